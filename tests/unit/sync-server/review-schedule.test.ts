import { describe, expect, it } from 'vitest';
import { parseBundleManifest } from '../../../protocol/content.js';
import type { GateConfig } from '../../../protocol/config.js';
import { hoursOnAir, sameHour, scheduleDay } from '../../../sync-server/content/review-schedule.js';

const GATE: GateConfig = {
  siteGroup: 'kien-giang/ha-tien',
  name: 'Hà Tiên',
  timezone: 'Asia/Ho_Chi_Minh',
  languages: ['vi', 'en'],
  missingVariant: { mode: 'skip' },
};

function manifest(o: { entries?: unknown[]; emergencies?: unknown[] } = {}) {
  return parseBundleManifest({
    schema: 1,
    siteGroup: GATE.siteGroup,
    createdAt: '2026-11-01T00:00:00Z',
    items: [{ id: 'welcome', title: 'Chào mừng', kind: 'text', variants: { vi: { body: 'Chào mừng' } } }],
    playlists: [
      { id: 'main', name: 'Ban ngày', entries: [{ itemId: 'welcome' }] },
      { id: 'evening', name: 'Buổi tối', entries: [{ itemId: 'welcome' }] },
    ],
    schedule: { defaultPlaylistId: 'main', entries: o.entries ?? [] },
    emergencies: o.emergencies ?? [],
  });
}

const names = (h: { shows: { name?: string; emergencyId?: string }[] }) =>
  h.shows.map((s) => s.emergencyId ?? s.name);

describe('the gate’s day hour by hour', () => {
  it('lists each playlist an hour plays, in order, in the gate’s zone', () => {
    const m = manifest({
      entries: [{ id: 'nightly', playlistId: 'evening', window: { start: '18:30', end: '20:00' } }],
      emergencies: [
        {
          id: 'storm',
          text: { vi: { body: 'Bão' } },
          // 10:15–11:00 in Ho Chi Minh City (UTC+7).
          startsAt: '2026-12-06T03:15:00Z',
          expiresAt: '2026-12-06T04:00:00Z',
        },
      ],
    });
    const hours = hoursOnAir(m, GATE, '2026-12-06');
    expect(hours).toHaveLength(24);
    expect(hours[0]!.at).toBe(Date.parse('2026-12-05T17:00:00Z'));
    expect(names(hours[9]!)).toEqual(['Ban ngày']);
    expect(names(hours[10]!)).toEqual(['Ban ngày', 'storm']);
    expect(names(hours[11]!)).toEqual(['Ban ngày']);
    expect(names(hours[18]!)).toEqual(['Ban ngày', 'Buổi tối']);
    expect(names(hours[19]!)).toEqual(['Buổi tối']);
    expect(names(hours[20]!)).toEqual(['Ban ngày']);
  });

  it('takes today in the gate’s zone, and compares with nothing before the first version', () => {
    // 20:00 UTC on the 6th is 03:00 on the 7th at the gate.
    const now = Date.parse('2026-12-06T20:00:00Z');
    const day = scheduleDay(manifest(), null, GATE, now);
    expect([day.date, day.timezone, day.before]).toEqual(['2026-12-07', 'Asia/Ho_Chi_Minh', null]);
    const after = 'hours' in day.after ? day.after.hours : [];
    expect(after[0]!.at).toBe(Date.parse('2026-12-06T17:00:00Z'));
    const withEvening = scheduleDay(
      manifest({
        entries: [{ id: 'nightly', playlistId: 'evening', window: { start: '18:00', end: '22:00' } }],
      }),
      manifest(),
      GATE,
      now,
    );
    const [b, a] = [withEvening.before, withEvening.after].map((p) => (p && 'hours' in p ? p.hours : []));
    expect(a!.map((h, i) => (sameHour(b![i], h) ? '' : h.hour))).toEqual([
      ...Array(18).fill(''),
      18,
      19,
      20,
      21,
      '',
      '',
    ]);
  });

  it('says why a plan cannot be computed instead of failing the page', () => {
    const bad = { ...manifest(), schedule: { defaultPlaylistId: 'missing', entries: [] } };
    const day = scheduleDay(bad, null, GATE, Date.parse('2026-12-06T00:00:00Z'));
    expect(day.after).toEqual({ problem: expect.stringContaining('missing') });
  });
});
