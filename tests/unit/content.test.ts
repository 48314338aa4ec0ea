import { describe, expect, it } from 'vitest';
import { mediaTargets, parseBundleManifest, targetPathProblem } from '../../protocol/content.js';
import { isContentError } from '../../protocol/errors.js';

const valid = () => ({
  schema: 1,
  siteGroup: 'kien-giang/ha-tien',
  createdAt: '2026-11-22T08:00:00+07:00',
  items: [
    {
      id: 'welcome',
      title: 'Welcome',
      kind: 'text',
      durationMs: 8000,
      variants: { vi: { body: 'Chào mừng quý khách' }, km: { body: 'សូមស្វាគមន៍' } },
    },
    {
      id: 'map',
      title: 'Map',
      kind: 'image',
      variants: { vi: { src: 'kien-giang/ha-tien/media/map-vi.png' } },
    },
  ],
  playlists: [
    { id: 'day', name: 'Day', entries: [{ itemId: 'welcome' }, { itemId: 'map', durationMs: 5000 }] },
  ],
  schedule: { defaultPlaylistId: 'day', entries: [] },
});

function problemsOf(raw: unknown): string[] {
  try {
    parseBundleManifest(raw);
  } catch (e) {
    if (isContentError(e)) return e.problems.map((p) => `${p.path}: ${p.message}`);
    throw e;
  }
  return [];
}

describe('bundle manifest', () => {
  it('accepts a valid manifest and fills defaults', () => {
    const m = parseBundleManifest(valid());
    expect(m.playlists[0]!.languageMode).toBe('all-in-turn');
    expect(m.playlists[0]!.transition).toBe('cut');
    expect(Object.isFrozen(m.items)).toBe(true);
    expect(mediaTargets(m)).toEqual(['kien-giang/ha-tien/media/map-vi.png']);
  });

  it('names an unknown item, a missing default playlist and duplicate ids', () => {
    const raw = valid();
    raw.playlists[0]!.entries.push({ itemId: 'nope' });
    raw.schedule.defaultPlaylistId = 'night';
    raw.items.push({ ...raw.items[0]! });
    const problems = problemsOf(raw);
    expect(problems).toContainEqual(expect.stringContaining('unknown item "nope"'));
    expect(problems).toContainEqual(expect.stringContaining('default playlist "night" does not exist'));
    expect(problems).toContainEqual(expect.stringContaining('duplicate id "welcome"'));
  });

  it('requires canonical BCP-47 language tags', () => {
    const raw = valid();
    (raw.items[0]!.variants as Record<string, unknown>)['zh-hans'] = { body: '欢迎' };
    expect(problemsOf(raw)).toContainEqual(expect.stringContaining('must be written "zh-Hans"'));
  });

  it.each([
    ['../etc/passwd', 'must not contain empty'],
    ['/etc/passwd', 'must be relative'],
    ['kien-giang\\ha-tien\\x.png', 'backslash'],
    ['kien-giang/ha-tien/a\u0000.png', 'control characters'],
    ['kien-giang//x.png', 'must not contain empty'],
  ])('refuses the target path %j', (path, why) => {
    expect(targetPathProblem(path)).toContain(why);
    const raw = valid();
    (raw.items[1]!.variants as unknown as Record<string, { src: string }>)['vi'] = { src: path };
    expect(problemsOf(raw).join('\n')).toContain(why);
  });

  it('refuses a "zxx" (no linguistic content) variant beside language variants', () => {
    const raw = valid();
    (raw.items[1]!.variants as unknown as Record<string, { src: string }>)['zxx'] = {
      src: 'kien-giang/ha-tien/media/map.png',
    };
    expect(problemsOf(raw).join('\n')).toContain("must be the item's only variant");
  });

  it('refuses media outside the site group', () => {
    const raw = valid();
    (raw.items[1]!.variants as unknown as Record<string, { src: string }>)['vi'] = {
      src: 'lang-son/huu-nghi/media/x.png',
    };
    expect(problemsOf(raw)).toContainEqual(expect.stringContaining('outside site group'));
  });

  it('refuses a schedule window that starts and ends at once, and reversed dates', () => {
    const raw = valid() as ReturnType<typeof valid> & { schedule: { entries: unknown[] } };
    raw.schedule.entries.push(
      { id: 'a', playlistId: 'day', window: { start: '08:00', end: '08:00' } },
      { id: 'b', playlistId: 'day', from: '2026-12-31', to: '2026-01-01' },
    );
    const problems = problemsOf(raw);
    expect(problems).toContainEqual(expect.stringContaining('window start and end must differ'));
    expect(problems).toContainEqual(expect.stringContaining('"from" must not be after "to"'));
  });
});

describe('bundle manifest: the gate and layouts', () => {
  const withLayout = () => ({
    ...valid(),
    gate: { name: { vi: 'Cửa khẩu Hà Tiên', km: 'ច្រកហាទៀង' }, hours: [{ start: '07:00', end: '22:00' }] },
    layouts: [{ id: 'gate-day', regions: { header: {}, ticker: {}, side: { playlistId: 'day' } } }],
    playlists: [{ ...valid().playlists[0]!, layoutId: 'gate-day' }],
  });

  it('accepts a layout with a header, a ticker and a side playlist, and defaults main to 16:9', () => {
    const m = parseBundleManifest(withLayout());
    expect(m.layouts![0]!.mainAspect).toBe('16:9');
    expect(m.layouts![0]!.regions.header).toEqual({ clock: true, countdown: true });
    expect(m.playlists[0]!.layoutId).toBe('gate-day');
    expect(m.gate!.hours).toEqual([{ start: '07:00', end: '22:00' }]);
  });

  it('plays a bundle without layouts as before', () => {
    const m = parseBundleManifest(valid());
    expect(m.layouts).toBeUndefined();
    expect(m.gate).toBeUndefined();
    expect(m.playlists[0]!.layoutId).toBeUndefined();
  });

  it('names every broken layout reference, bad hours and unknown regions at once', () => {
    const raw = withLayout();
    raw.playlists[0]!.layoutId = 'night';
    const problems = problemsOf({
      ...raw,
      gate: { name: { vi: 'Hà Tiên', vie: 'x' }, hours: [{ start: '07:00', end: '07:00', weekdays: [8] }] },
      layouts: [
        { id: 'gate-day', mainAspect: 'wide', regions: { side: { playlistId: 'nope' }, corner: {} } },
        { id: 'gate-day', regions: {} },
      ],
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        'playlists.[0].layoutId: playlist "day" names unknown layout "night"',
        'layouts.[0].regions.side.playlistId: layout "gate-day" plays unknown playlist "nope" in its side',
        'layouts.[1].id: duplicate id "gate-day"',
        'layouts.[0].mainAspect: aspect is W:H, e.g. "16:9"',
        'gate.hours.[0]: window start and end must differ',
      ]),
    );
    expect(problems.some((p) => p.startsWith('gate.name.vie'))).toBe(true);
    expect(problems.some((p) => p.startsWith('gate.hours.[0].weekdays'))).toBe(true);
    expect(problems.some((p) => p.includes('corner'))).toBe(true);
    const noGate = withLayout() as Record<string, unknown>;
    delete noGate['gate'];
    expect(problemsOf(noGate)).toEqual([
      'layouts.[0].regions.header: layout "gate-day" has a header but the bundle names no gate',
    ]);
  });
});
