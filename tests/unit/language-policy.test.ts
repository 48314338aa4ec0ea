import { describe, expect, it } from 'vitest';
import { chooseLanguage, contentGaps, passSlots } from '../../protocol/language-policy.js';
import { createScheduleEngine } from '../../protocol/schedule-engine.js';
import { HA_TIEN, manifest, playlist, t, textItem } from '../helpers/schedule-fixtures.js';

const LAO_GATE = {
  timezone: 'Asia/Ho_Chi_Minh',
  languages: ['vi', 'lo', 'en'],
  missingVariant: { mode: 'skip' as const },
};
const SUBSTITUTE = { ...HA_TIEN, missingVariant: { mode: 'substitute' as const, languages: ['en', 'vi'] } };

const m = manifest({
  items: [
    textItem('welcome', ['vi', 'km', 'en', 'zh-Hans', 'lo'], 5000),
    textItem('customs', ['vi', 'en'], 5000), // no km, no zh-Hans
    textItem('local', ['vi'], 5000),
    textItem('khmer-only', ['km'], 5000), // none of the substitute languages either
  ],
  playlists: [
    playlist('default', ['welcome', 'customs']),
    playlist('rotate', ['welcome', 'customs'], { languageMode: 'rotate-per-loop' }),
    playlist('odd', ['khmer-only', 'local'], { ticker: { text: { vi: 'Tin', en: 'News' } } }),
  ],
  schedule: { defaultPlaylistId: 'default', entries: [] },
});
const items = new Map(m.items.map((i) => [i.id, i]));
const byId = (id: string) => m.playlists.find((p) => p.id === id)!;
const show = (slots: { itemId: string; language: string; forLanguage: string }[]) =>
  slots.map((s) =>
    s.language === s.forLanguage ? `${s.itemId}/${s.language}` : `${s.itemId}/${s.language}←${s.forLanguage}`,
  );

describe('language policy', () => {
  it('all-in-turn shows every gate language of each item in the gate order, skipping missing ones', () => {
    expect(show(passSlots(byId('default'), items, HA_TIEN, 0))).toEqual([
      'welcome/vi',
      'welcome/km',
      'welcome/en',
      'welcome/zh-Hans',
      'customs/vi',
      'customs/en',
    ]);
    // The Lao-border gate has its own set and order.
    expect(show(passSlots(byId('default'), items, LAO_GATE, 0))).toEqual([
      'welcome/vi',
      'welcome/lo',
      'welcome/en',
      'customs/vi',
      'customs/en',
    ]);
  });

  it('substitutes the first available listed language for a missing one', () => {
    expect(show(passSlots(byId('default'), items, SUBSTITUTE, 0))).toEqual([
      'welcome/vi',
      'welcome/km',
      'welcome/en',
      'welcome/zh-Hans',
      'customs/vi',
      'customs/en←km',
      'customs/en',
      'customs/en←zh-Hans',
    ]);
    expect(chooseLanguage(['vi'], 'km', SUBSTITUTE.missingVariant)).toEqual({
      language: 'vi',
      forLanguage: 'km',
      substituted: true,
    });
    // None of the substitutes exists: nothing to show.
    expect(chooseLanguage(['km'], 'vi', SUBSTITUTE.missingVariant).language).toBeUndefined();
  });

  it('rotate-per-loop shows one language per pass, the next language on the next pass', () => {
    const passes = [0, 1, 2, 3, 4].map((k) => show(passSlots(byId('rotate'), items, HA_TIEN, k)));
    expect(passes).toEqual([
      ['welcome/vi', 'customs/vi'],
      ['welcome/km'],
      ['welcome/en', 'customs/en'],
      ['welcome/zh-Hans'],
      ['welcome/vi', 'customs/vi'],
    ]);
    const sub = [1, 3].map((k) => show(passSlots(byId('rotate'), items, SUBSTITUTE, k)));
    expect(sub).toEqual([
      ['welcome/km', 'customs/en←km'],
      ['welcome/zh-Hans', 'customs/en←zh-Hans'],
    ]);
  });

  it('the engine plays rotate-per-loop passes back to back across the whole cycle', () => {
    const rotating = manifest({ ...m, schedule: { defaultPlaylistId: 'rotate', entries: [] } });
    const e = createScheduleEngine(rotating, HA_TIEN);
    const day = t('2026-01-02T00:00:00+07:00');
    const seq = e.timeline(day, day + 2 * 30_000).map((i) => `${i.itemId}/${i.language}`);
    // One cycle is 2 + 1 + 2 + 1 slots of 5 s = 30 s, then it starts again.
    expect(seq).toEqual([
      'welcome/vi',
      'customs/vi',
      'welcome/km',
      'welcome/en',
      'customs/en',
      'welcome/zh-Hans',
      'welcome/vi',
      'customs/vi',
      'welcome/km',
      'welcome/en',
      'customs/en',
      'welcome/zh-Hans',
    ]);
    // Mid-cycle the position still follows the clock (60 s into the day: the third cycle begins).
    expect(e.now(day + 60_000 + 17_000).current).toMatchObject({ itemId: 'welcome', language: 'en' });
  });

  it('a playlist with nothing to show in the gate languages falls back to the default playlist', () => {
    const odd = manifest({
      ...m,
      schedule: { defaultPlaylistId: 'default', entries: [{ id: 'odd', playlistId: 'odd' }] },
    });
    const e = createScheduleEngine(odd, { ...HA_TIEN, languages: ['zh-Hans'] });
    const n = e.now(t('2026-01-02T09:00:00+07:00'));
    expect(n.segment.scheduleEntryId).toBe('odd');
    expect(n.current).toMatchObject({ playlistId: 'default', itemId: 'welcome', language: 'zh-Hans' });
  });

  it('lists every content gap of a bundle for a gate, with the resolution', () => {
    const withEmergency = manifest({
      ...m,
      emergencies: [
        {
          id: 'closed',
          text: { vi: { body: 'Đóng' } },
          startsAt: '2026-01-02T00:00:00Z',
          expiresAt: '2026-01-03T00:00:00Z',
        },
      ],
    });
    /** The gaps of `itemId` (a `what`) skipped in each of `languages`, in that order. */
    const skipped = (itemId: string, what: string, ...languages: string[]) =>
      languages.map((language) => ({ itemId, language, resolution: 'skipped', what }));
    expect(contentGaps(withEmergency, HA_TIEN)).toEqual([
      ...skipped('customs', 'item', 'km', 'zh-Hans'),
      ...skipped('local', 'item', 'km', 'en', 'zh-Hans'),
      ...skipped('khmer-only', 'item', 'vi', 'en', 'zh-Hans'),
      ...skipped('closed', 'emergency', 'km', 'en', 'zh-Hans'),
      ...skipped('odd', 'ticker', 'km', 'zh-Hans'),
    ]);
    const gaps = createScheduleEngine(withEmergency, SUBSTITUTE).contentGaps();
    expect(gaps.filter((g) => g.itemId === 'customs')).toEqual([
      { itemId: 'customs', language: 'km', resolution: 'substituted:en', what: 'item' },
      { itemId: 'customs', language: 'zh-Hans', resolution: 'substituted:en', what: 'item' },
    ]);
    expect(gaps.filter((g) => g.itemId === 'khmer-only').map((g) => g.resolution)).toEqual([
      'skipped',
      'skipped',
      'skipped',
    ]);
    expect(gaps.find((g) => g.itemId === 'closed' && g.language === 'km')?.resolution).toBe('substituted:vi');
  });

  it('an emergency without any gate language still shows the languages it has', () => {
    const em = manifest({
      emergencies: [
        {
          id: 'fr',
          text: { fr: { body: 'Fermé' } },
          startsAt: '2026-01-02T00:00:00Z',
          expiresAt: '2026-01-03T00:00:00Z',
        },
      ],
    });
    const n = createScheduleEngine(em, HA_TIEN).now(t('2026-01-02T12:00:00Z'));
    expect(n.current).toMatchObject({ source: 'emergency', language: 'fr', forLanguage: 'fr' });
  });
});

describe('language-neutral items', () => {
  it('plays an item whose only variant is "zxx" once per pass, and never reports it as a gap', async () => {
    const { passSlots, contentGaps } = await import('../../protocol/language-policy.js');
    const items = new Map([
      ['clip', { id: 'clip', variants: { zxx: { src: 'g/clip.mp4' } } }],
      ['hello', { id: 'hello', variants: { vi: { body: 'Xin chào' }, en: { body: 'Hello' } } }],
    ]);
    const policy = { languages: ['vi', 'km', 'en'], missingVariant: { mode: 'skip' as const } };
    const slots = passSlots(
      { entries: [{ itemId: 'hello' }, { itemId: 'clip' }], languageMode: 'all-in-turn' },
      items as never,
      policy,
      0,
    );
    expect(slots.map((s) => `${s.itemId}:${s.language}`)).toEqual(['hello:vi', 'hello:en', 'clip:zxx']);
    const gaps = contentGaps(
      {
        items: [...items.values()] as never,
        playlists: [{ entries: [{ itemId: 'hello' }, { itemId: 'clip' }] }] as never,
        emergencies: [],
      },
      policy,
    );
    expect(gaps.map((g) => `${g.itemId}:${g.language}`)).toEqual(['hello:km']);
  });
});
