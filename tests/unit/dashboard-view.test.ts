import { describe, expect, it } from 'vitest';
import {
  countStates,
  type FleetRow,
  groupFleet,
  SCREEN_STATES,
  screenState,
} from '../../sync-server/fleet/fleet-state.js';
import { fleetTexts } from '../../sync-server/fleet/texts.js';
import { openAlertCounter } from '../../sync-server/fleet/fleet-view.js';
import { previewSegments, previewSegmentsSliced } from '../../sync-server/content/schedule-preview.js';
import { lineChart } from '../../sync-server/fleet/svg-chart.js';
import { manifest, playlist, t } from '../helpers/schedule-fixtures.js';

const row = (over: Partial<FleetRow>): FleetRow => ({
  id: 'd',
  siteGroup: 'kien-giang/ha-tien',
  province: 'kien-giang',
  gateName: 'Hà Tiên',
  timezone: 'Asia/Ho_Chi_Minh',
  screenName: 's',
  state: 'playing',
  online: true,
  lastSeenMs: null,
  currentItem: null,
  currentLanguage: null,
  installedVersion: null,
  latestVersion: null,
  alerts: null,
  ...over,
});

/** The gate the schedule previews are drawn for: Hà Tiên in Vietnamese and Khmer. */
const PREVIEW_GATE = {
  siteGroup: 'kien-giang/ha-tien',
  name: 'Hà Tiên',
  timezone: 'Asia/Ho_Chi_Minh',
  languages: ['vi', 'km'],
  missingVariant: { mode: 'skip' as const },
};

describe('fleet state', () => {
  it('derives the state from presence and the newest health report', () => {
    expect(screenState(false, { display: 'on' })).toBe('offline');
    expect(screenState(true, undefined)).toBe('playing');
    expect(screenState(true, { display: 'on' })).toBe('playing');
    expect(screenState(true, { display: 'off' })).toBe('displayOff');
    expect(screenState(true, { display: 'blank' })).toBe('displayOff');
    expect(screenState(true, { display: 'crashed' })).toBe('error');
    expect(screenState(true, { display: 'on', storage: { rootReadOnly: true, ext4ErrorsCount: 0 } })).toBe(
      'error',
    );
  });

  it('groups by province then gate then screen, in Vietnamese name order, and counts states', () => {
    const rows = [
      row({
        id: '1',
        siteGroup: 'lao-cai/kim-thanh',
        province: 'lao-cai',
        gateName: 'Kim Thành',
        screenName: 'B',
      }),
      row({
        id: '2',
        siteGroup: 'kien-giang/ha-tien',
        province: 'kien-giang',
        gateName: 'Hà Tiên',
        screenName: 'Z',
        state: 'offline',
      }),
      row({
        id: '3',
        siteGroup: 'lao-cai/kim-thanh',
        province: 'lao-cai',
        gateName: 'Kim Thành',
        screenName: 'A',
        state: 'error',
      }),
    ];
    const g = groupFleet(rows);
    expect(g.map((p) => p.province)).toEqual(['kien-giang', 'lao-cai']);
    expect(g[1]!.gates[0]!.rows.map((r) => r.screenName)).toEqual(['A', 'B']);
    expect(countStates(rows)).toEqual({ playing: 1, offline: 1, displayOff: 0, error: 1 });
  });

  it('counts a screen’s unresolved alerts and its gate-wide ones', () => {
    const count = openAlertCounter(() => [
      { deviceId: 'a', siteGroup: 'g', resolvedAt: null },
      { deviceId: 'a', siteGroup: 'g', resolvedAt: 5 },
      { siteGroup: 'g', resolvedAt: null },
      { deviceId: 'b', siteGroup: 'g', resolvedAt: null },
      { siteGroup: 'other', resolvedAt: null },
    ]);
    expect(count('a', 'g')).toBe(2);
    expect(count('c', 'other')).toBe(1);
  });
});

describe('SVG line chart', () => {
  const o = {
    title: '<b>T</b>',
    fromMs: 0,
    toMs: 1000,
    gapMs: 100,
    fromLabel: 'a',
    toLabel: 'b',
    noDataLabel: 'none',
    formatValue: String,
  };
  it('breaks the line at gaps, escapes its texts, and says when there is no data', () => {
    const svg = lineChart(
      [
        { at: 0, value: 1 },
        { at: 50, value: 2 },
        { at: 500, value: 3 },
        { at: 550, value: null },
        { at: 560, value: 4 },
      ],
      o,
    ).value;
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(svg).toContain('data-points="4"');
    expect(svg).toContain('&lt;b&gt;T&lt;/b&gt;');
    expect(svg).not.toContain('<b>');
    expect(lineChart([], o).value).toContain('>none</text>');
  });
});

describe('schedule preview', () => {
  it('lists the segments of the next 24 hours from the manifest, in the gate’s zone', () => {
    const m = manifest({
      playlists: [playlist('default', ['a']), playlist('p-b', ['b'])],
      schedule: {
        defaultPlaylistId: 'default',
        entries: [{ id: 'morning', playlistId: 'p-b', window: { start: '08:00', end: '12:00' } }],
      },
    });
    const segs = previewSegments(m, PREVIEW_GATE, t('2026-03-02T06:00:00+07:00'));
    expect(segs.map((s) => [s.playlistId, new Date(s.startAt).toISOString()])).toEqual([
      ['default', expect.any(String)],
      ['p-b', '2026-03-02T01:00:00.000Z'],
      ['default', '2026-03-02T05:00:00.000Z'],
      // A new local day starts a new segment (the default playlist restarts from its top).
      ['default', '2026-03-02T17:00:00.000Z'],
    ]);
  });
});

describe('schedule preview of a large schedule', () => {
  // 500 two-minute windows a day (the schema's maximum of entries), each with its own priority:
  // a segment boundary every minute or so, so a week hits the 200-segment cap.
  const entries = Array.from({ length: 500 }, (_, i) => {
    const hhmm = (m: number) =>
      `${String(Math.floor(m / 60) % 24).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
    return {
      id: `e${i}`,
      playlistId: ['p-b', 'p-c', 'p-d'][i % 3]!,
      priority: i,
      window: { start: hhmm(i * 2), end: hhmm(i * 2 + 1) },
    };
  });
  const m = manifest({ schedule: { defaultPlaylistId: 'default', entries } });
  const from = t('2026-03-02T00:00:00+07:00');

  it('gives the same segments in slices, and serves the event loop between them', async () => {
    const whole = previewSegments(m, PREVIEW_GATE, from, 168 * 3600_000);
    expect(whole).toHaveLength(200);
    let turns = 0;
    const tick = setInterval(() => turns++, 0);
    try {
      const sliced = await previewSegmentsSliced(m, PREVIEW_GATE, from, 168 * 3600_000, 0);
      expect(sliced).toEqual(whole);
    } finally {
      clearInterval(tick);
    }
    // With a zero slice it yields after every segment: timers ran while it worked.
    expect(turns).toBeGreaterThan(10);
  });
});

describe('fleet texts', () => {
  it('name every screen state, and count screens in the right form', () => {
    for (const s of SCREEN_STATES) expect(fleetTexts.has(`state.${s}`), s).toBe(true);
    const counts = { playing: 1, offline: 0, displayOff: 0, error: 0 };
    expect(fleetTexts.text('en', 'fleet.summary', { total: 1, ...counts })).toBe(
      '1 screen: 1 playing, 0 offline, 0 display off, 0 error',
    );
    expect(fleetTexts.text('en', 'fleet.summary', { total: 2, ...counts })).toMatch(/^2 screens: /);
    expect(fleetTexts.text('vi', 'fleet.summary', { total: 1, ...counts })).toMatch(/^1 màn hình: /);
  });
});
