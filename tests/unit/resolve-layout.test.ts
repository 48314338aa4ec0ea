import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveSlide } from '../../device/playback/resolve-slide.js';
import type { PlannedItem } from '../../protocol/schedule.js';
import { EMERGENCY, GATE_NAMES, LANGS, layoutManifest } from '../helpers/layout-bundle.js';
import { memoryBundle } from '../helpers/memory-bundle.js';

const at = Date.parse('2026-12-07T05:45:00+07:00');
const planned = (p: Partial<PlannedItem>): PlannedItem => ({
  startAt: at,
  durationMs: 8000,
  source: 'default',
  playlistId: 'day',
  itemId: 'photo',
  kind: 'image',
  language: 'km',
  forLanguage: 'km',
  transition: 'cut',
  fadeMs: 0,
  ...p,
});

describe('slide resolution: layouts and emergencies', () => {
  it('gives a slide of a playlist with a layout its header, hours and ticker band', () => {
    const m = layoutManifest();
    const bundle = memoryBundle(m);
    const r = resolveSlide(planned({}), bundle, { languages: LANGS, timezone: 'Asia/Ho_Chi_Minh' });
    if (!r.ok) throw new Error(r.reason);
    const layout = r.slide.layout!;
    expect(layout).toMatchObject({ id: 'gate-day', ticker: true });
    expect(layout.aspect).toBeCloseTo(16 / 9, 6);
    expect(layout.header!.names).toEqual(GATE_NAMES);
    expect(layout.header!.timeZone).toBe('Asia/Ho_Chi_Minh');
    expect(Object.keys(layout.header!.texts)).toEqual([...LANGS]);
    // The gate opens at 07:00 local: 75 minutes after the slide's start.
    expect(layout.header!.hours!.intervals.find((i) => i.to > at)).toEqual({
      from: Date.parse('2026-12-07T07:00:00+07:00'),
      to: Date.parse('2026-12-07T22:00:00+07:00'),
    });
    // The layout's own ticker text, in the gate's order.
    expect(r.slide.ticker!.parts.map((p) => p.lang)).toEqual([...LANGS]);
  });

  it('plays a playlist without a layout on the whole screen, as before', () => {
    const bundle = memoryBundle(layoutManifest());
    const r = resolveSlide(planned({ playlistId: 'main', itemId: 'red', language: 'vi' }), bundle, LANGS);
    expect(r.ok && r.slide.layout).toBeUndefined();
  });

  it('loops a side playlist in every gate language its items have', () => {
    const m = layoutManifest();
    m.layouts[0]!.regions = { ...m.layouts[0]!.regions, side: { playlistId: 'day' } } as never;
    const r = resolveSlide(planned({}), memoryBundle(m), LANGS);
    if (!r.ok) throw new Error(r.reason);
    const side = r.slide.layout!.side!;
    expect(side.map((s) => s.id)).toEqual([
      ...LANGS.map((l) => `gate-day/side/photo/${l}`),
      ...LANGS.map((l) => `gate-day/side/hello/${l}`),
    ]);
    expect(side.every((s) => s.layout === null && s.ticker === null)).toBe(true);
  });

  it('shows an emergency in every gate language at once, whichever language slot it is', () => {
    const bundle = memoryBundle(layoutManifest());
    for (const lang of ['vi', 'lo']) {
      const r = resolveSlide(
        planned({
          source: 'emergency',
          itemId: 'pause',
          emergencyId: 'pause',
          playlistId: 'emergency:pause',
          kind: 'text',
          language: lang,
          forLanguage: lang,
        }),
        bundle,
        ['km', 'vi', 'en', 'lo', 'zh-Hans'],
      );
      if (!r.ok) throw new Error(r.reason);
      expect(r.slide.content).toEqual({
        kind: 'emergency',
        parts: ['km', 'vi', 'en', 'lo', 'zh-Hans'].map((l) => ({
          lang: l,
          ...EMERGENCY[l as keyof typeof EMERGENCY],
        })),
      });
      // It covers the layout rather than replacing it.
      expect('layout' in r.slide).toBe(false);
    }
  });
});

describe('the Ha Tien sample bundle', () => {
  it('plays its day playlist in a layout with the gate name, clock, countdown and ticker', () => {
    const raw = JSON.parse(
      readFileSync(join(import.meta.dirname, '..', '..', 'samples', 'ha-tien', 'bundle.json'), 'utf8'),
    );
    const bundle = memoryBundle(raw);
    const day = bundle.manifest.playlists.find((p) => p.id === 'day')!;
    const r = resolveSlide(
      planned({
        playlistId: 'day',
        itemId: day.entries[0]!.itemId,
        kind: bundle.manifest.items.find((i) => i.id === day.entries[0]!.itemId)!.kind,
        language: 'km',
      }),
      bundle,
      ['vi', 'km', 'en', 'zh-Hans'],
    );
    if (!r.ok) throw new Error(r.reason);
    expect(r.slide.layout).toMatchObject({ id: 'gate-day', ticker: true, header: { clock: true } });
    expect(r.slide.layout!.header!.names['km']).toBe('ច្រកព្រំដែនអន្តរជាតិហាទៀង');
    expect(r.slide.layout!.header!.hours).toBeDefined();
    expect(r.slide.ticker!.parts.map((p) => p.lang)).toEqual(['vi', 'km', 'en', 'zh-Hans']);
  });
});
