import { describe, expect, it } from 'vitest';
import type { PlannedItem } from '../../protocol/schedule.js';
import { createScheduleEngine } from '../../protocol/schedule-engine.js';
import { gapsAndOverlaps, HA_TIEN, manifest, playlist, t, textItem } from '../helpers/schedule-fixtures.js';

const HOUR = 3_600_000;

/** A busy week: overlapping priorities, a crossing window, a date range, weekdays, two emergencies. */
function busy(timezone?: string) {
  return manifest({
    items: [
      textItem('a', undefined, 7000),
      textItem('b', ['vi', 'en'], 13_000),
      textItem('c'),
      textItem('d', ['km']),
    ],
    playlists: [
      playlist('default', ['a', 'b']),
      playlist('p-b', ['b', 'c'], { languageMode: 'rotate-per-loop' }),
      playlist('p-c', ['c', 'a'], { transition: 'fade' }),
      playlist('p-d', ['d', 'a']),
    ],
    schedule: {
      ...(timezone ? { timezone } : {}),
      defaultPlaylistId: 'default',
      entries: [
        {
          id: 'work',
          playlistId: 'p-b',
          priority: 1,
          weekdays: [1, 2, 3, 4, 5],
          window: { start: '07:30', end: '17:30' },
        },
        { id: 'night', playlistId: 'p-c', priority: 2, window: { start: '22:00', end: '06:00' } },
        {
          id: 'fest',
          playlistId: 'p-d',
          priority: 3,
          from: '2026-03-07',
          to: '2026-03-08',
          window: { start: '01:00', end: '04:00' },
        },
        { id: 'lunch', playlistId: 'p-d', priority: 1, window: { start: '11:59', end: '13:01' } },
      ],
    },
    emergencies: [
      {
        id: 'flood',
        text: { vi: { body: 'Lũ' }, en: { body: 'Flood' } },
        startsAt: '2026-03-06T09:00:07Z',
        expiresAt: '2026-03-06T10:00:00Z',
        perLanguageMs: 5000,
      },
    ],
  });
}

/** Index of the item on air at `at` (binary search: items are sorted and back to back). */
function indexAt(items: PlannedItem[], at: number): number {
  let lo = 0;
  let hi = items.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (items[mid]!.startAt <= at) lo = mid;
    else hi = mid - 1;
  }
  const i = items[lo]!;
  return i.startAt <= at && at < i.startAt + i.durationMs ? lo : -1;
}

describe('timeline', () => {
  for (const zone of ['Asia/Ho_Chi_Minh', 'America/New_York']) {
    it(`has no gaps or overlaps over a week, and now() agrees with it (${zone})`, () => {
      const e = createScheduleEngine(busy(zone), {
        ...HA_TIEN,
        missingVariant: { mode: 'substitute', languages: ['en', 'vi'] },
      });
      const from = t('2026-03-02T00:00:00Z');
      const to = from + 7 * 24 * HOUR;
      const items = e.timeline(from, to);
      expect(items.length).toBeGreaterThan(10_000);
      expect(gapsAndOverlaps(items)).toEqual([]);
      expect(items[0]!.startAt).toBeLessThanOrEqual(from);
      const last = items.at(-1)!;
      expect(last.startAt + last.durationMs).toBeGreaterThanOrEqual(to);
      const sources = new Set(items.map((i) => i.scheduleEntryId ?? i.emergencyId ?? i.source));
      expect([...sources].sort()).toEqual(['default', 'fest', 'flood', 'lunch', 'night', 'work']);
      // Sample instants, including segment edges, against now().
      const probes = [from, to - 1, t('2026-03-06T09:00:07Z'), t('2026-03-06T10:00:00Z') - 1];
      for (let k = 0; k < 150; k++)
        probes.push(from + Math.floor((((k * 7919) % 1000) / 1000) * (to - from)) + k);
      for (const item of items.filter((_, i) => i % 997 === 0))
        probes.push(item.startAt, item.startAt + item.durationMs - 1);
      for (const p of probes) {
        const n = e.now(p);
        const idx = indexAt(items, p);
        expect(idx).toBeGreaterThanOrEqual(0);
        expect(n.current).toEqual(items[idx]);
        if (idx + 1 < items.length) expect(n.next).toEqual(items[idx + 1]);
      }
    });
  }

  it('is the same whether asked in one piece or in many', () => {
    const e = createScheduleEngine(busy(), HA_TIEN);
    const from = t('2026-03-06T00:00:00+07:00');
    const whole = e.timeline(from, from + 30 * HOUR);
    const pieces: PlannedItem[] = [];
    for (let s = from; s < from + 30 * HOUR; s += 3_333_333) {
      for (const item of e.timeline(s, Math.min(s + 3_333_333, from + 30 * HOUR))) {
        const prev = pieces.at(-1);
        if (!prev || prev.startAt !== item.startAt) pieces.push(item);
      }
    }
    expect(pieces).toEqual(whole);
  });

  it('cuts the last item of a segment at the segment end and starts the next at its top', () => {
    const e = createScheduleEngine(busy(), HA_TIEN);
    const boundary = t('2026-03-02T07:30:00+07:00'); // Monday: default → work
    const [before, after] = e.timeline(boundary - 1, boundary + 1);
    expect(before!.source).toBe('default');
    expect(before!.startAt + before!.durationMs).toBe(boundary);
    expect(after).toMatchObject({ scheduleEntryId: 'work', startAt: boundary, itemId: 'b', language: 'vi' });
  });

  it('plays the default playlist, from its top at a given instant, when the time is unknown', () => {
    const e = createScheduleEngine(busy(), HA_TIEN);
    // The wall clock says 1970 and the emergency would not be placeable anyway.
    const since = 5_000;
    const n = e.now(since + 8000, { timeUnknownSince: since });
    expect(n.segment).toMatchObject({
      source: 'time-unknown',
      playlistId: 'default',
      startAt: since,
      endAt: Infinity,
    });
    expect(n.current).toMatchObject({
      source: 'time-unknown',
      itemId: 'a',
      language: 'km',
      startAt: since + 7000,
    });
    const items = e.timeline(since, since + HOUR, { timeUnknownSince: since });
    expect(gapsAndOverlaps(items)).toEqual([]);
    expect(new Set(items.map((i) => i.source))).toEqual(new Set(['time-unknown']));
  });

  it('refuses a timeline that would be absurdly long', () => {
    const e = createScheduleEngine(busy(), HA_TIEN);
    expect(() => e.timeline(0, 400 * 24 * HOUR)).toThrow(
      expect.objectContaining({ code: 'SCHEDULE_INVALID' }),
    );
  });
});

describe('time zones with daylight saving (America/New_York)', () => {
  const NY = { ...HA_TIEN, timezone: 'America/New_York', languages: ['vi'] };
  const m = manifest({
    schedule: {
      defaultPlaylistId: 'default',
      entries: [
        {
          id: 'early',
          playlistId: 'p-b',
          from: '2026-03-08',
          to: '2026-03-08',
          window: { start: '01:30', end: '03:30' },
        },
        {
          id: 'gap',
          playlistId: 'p-c',
          priority: 1,
          from: '2026-03-08',
          to: '2026-03-08',
          window: { start: '02:15', end: '02:45' },
        },
        {
          id: 'fallback',
          playlistId: 'p-d',
          from: '2026-10-31',
          to: '2026-10-31',
          window: { start: '22:00', end: '06:00' },
        },
      ],
    },
  });
  const e = createScheduleEngine(m, NY);

  it('local days are 23 and 25 hours long on the change days', () => {
    const plain = createScheduleEngine(manifest(), NY);
    const spring = plain.segmentAt(t('2026-03-08T12:00:00-04:00'));
    expect(spring).toMatchObject({
      startAt: t('2026-03-08T00:00:00-05:00'),
      endAt: t('2026-03-09T00:00:00-04:00'),
    });
    expect(spring.endAt - spring.startAt).toBe(23 * HOUR);
    const autumn = plain.segmentAt(t('2026-11-01T12:00:00-05:00'));
    expect(autumn.endAt - autumn.startAt).toBe(25 * HOUR);
    // With the night window, the default of Nov 1 starts when the window ends.
    const nov = e.segmentAt(t('2026-11-01T12:00:00-05:00'));
    expect(nov).toMatchObject({ source: 'default', date: '2026-11-01' });
    expect(nov.startAt).toBe(t('2026-11-01T06:00:00-05:00'));
    const plainDay = e.segmentAt(t('2026-11-02T12:00:00-05:00'));
    expect(plainDay.endAt - plainDay.startAt).toBe(24 * HOUR);
    const springDefault = e.segmentAt(t('2026-03-09T01:00:00-04:00'));
    expect(springDefault.endAt - springDefault.startAt).toBe(24 * HOUR);
  });

  it('a window across the spring-forward gap is one hour of real time', () => {
    const seg = e.segmentAt(t('2026-03-08T01:45:00-05:00'));
    expect(seg).toMatchObject({ scheduleEntryId: 'early', startAt: t('2026-03-08T01:30:00-05:00') });
    // 02:15–02:45 does not exist that night; it moves forward by the gap to 03:15–03:45 EDT.
    expect(e.segmentAt(t('2026-03-08T03:20:00-04:00')).scheduleEntryId).toBe('gap');
    expect(e.segmentAt(t('2026-03-08T03:14:59-04:00')).scheduleEntryId).toBe('early');
    expect(e.segmentAt(t('2026-03-08T03:44:59-04:00'))).toMatchObject({
      scheduleEntryId: 'gap',
      startAt: t('2026-03-08T03:15:00-04:00'),
      endAt: t('2026-03-08T03:45:00-04:00'),
    });
    expect(e.segmentAt(t('2026-03-08T03:45:00-04:00'))).toMatchObject({
      source: 'default',
      date: '2026-03-08',
    });
  });

  it('a crossing window over the fall-back night lasts nine hours', () => {
    const seg = e.segmentAt(t('2026-11-01T01:30:00-05:00')); // the second 01:30
    expect(seg).toMatchObject({ scheduleEntryId: 'fallback', date: '2026-10-31' });
    expect(seg.startAt).toBe(t('2026-10-31T22:00:00-04:00'));
    expect(seg.endAt).toBe(t('2026-11-01T06:00:00-05:00'));
    expect(seg.endAt - seg.startAt).toBe(9 * HOUR);
    const items = e.timeline(seg.startAt - HOUR, seg.endAt + HOUR);
    expect(gapsAndOverlaps(items)).toEqual([]);
  });
});
