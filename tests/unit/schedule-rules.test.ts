import { describe, expect, it } from 'vitest';
import { createScheduleEngine, isScheduleError } from '../../protocol/schedule-engine.js';
import { isTimeZoneError } from '../../protocol/zoned-time.js';
import { HA_TIEN, manifest, playlist, t, textItem } from '../helpers/schedule-fixtures.js';

// 2026-01-02 is a Friday, 2026-01-03 a Saturday. Ha Tien is UTC+7 all year.
const VI_ONLY = { ...HA_TIEN, languages: ['vi'] };

function onAir(m: ReturnType<typeof manifest>, iso: string, gate = VI_ONLY) {
  const seg = createScheduleEngine(m, gate).segmentAt(t(iso));
  return seg.scheduleEntryId ?? seg.emergencyId ?? seg.source;
}

describe('schedule rules', () => {
  it('plays the default playlist when no entry matches', () => {
    const e = createScheduleEngine(manifest(), VI_ONLY);
    const seg = e.segmentAt(t('2026-01-02T12:00:00+07:00'));
    expect(seg).toMatchObject({ source: 'default', playlistId: 'default', date: '2026-01-02' });
    // The default day runs from local midnight to local midnight.
    expect(seg.startAt).toBe(t('2026-01-02T00:00:00+07:00'));
    expect(seg.endAt).toBe(t('2026-01-03T00:00:00+07:00'));
  });

  it('a window crossing midnight on Friday covers Friday 22:00 to Saturday 06:00 and belongs to Friday', () => {
    const m = manifest({
      schedule: {
        defaultPlaylistId: 'default',
        entries: [
          { id: 'night', playlistId: 'p-b', weekdays: [5], window: { start: '22:00', end: '06:00' } },
        ],
      },
    });
    expect(onAir(m, '2026-01-02T21:59:59+07:00')).toBe('default');
    expect(onAir(m, '2026-01-02T22:00:00+07:00')).toBe('night');
    expect(onAir(m, '2026-01-03T05:59:59+07:00')).toBe('night');
    expect(onAir(m, '2026-01-03T06:00:00+07:00')).toBe('default');
    // Thursday night (weekday 4) is not covered, nor is Saturday night.
    expect(onAir(m, '2026-01-01T23:00:00+07:00')).toBe('default');
    expect(onAir(m, '2026-01-03T23:00:00+07:00')).toBe('default');
    const seg = createScheduleEngine(m, VI_ONLY).segmentAt(t('2026-01-03T01:00:00+07:00'));
    expect(seg).toMatchObject({
      date: '2026-01-02',
      startAt: t('2026-01-02T22:00:00+07:00'),
      endAt: t('2026-01-03T06:00:00+07:00'),
    });
  });

  it('the date range is inclusive local dates and applies to the start date of a crossing window', () => {
    const m = manifest({
      schedule: {
        defaultPlaylistId: 'default',
        entries: [
          {
            id: 'tet',
            playlistId: 'p-b',
            from: '2026-02-16',
            to: '2026-02-18',
            window: { start: '20:00', end: '02:00' },
          },
        ],
      },
    });
    expect(onAir(m, '2026-02-16T00:30:00+07:00')).toBe('default'); // belongs to the 15th: out of range
    expect(onAir(m, '2026-02-16T20:00:00+07:00')).toBe('tet');
    expect(onAir(m, '2026-02-19T01:59:00+07:00')).toBe('tet'); // the 18th's window, after midnight
    expect(onAir(m, '2026-02-19T20:30:00+07:00')).toBe('default');
    // Local dates, not UTC dates: 2026-02-16 06:00 +07 is still the 15th in UTC.
    const allDay = manifest({
      schedule: {
        defaultPlaylistId: 'default',
        entries: [{ id: 'day', playlistId: 'p-b', from: '2026-02-16', to: '2026-02-16' }],
      },
    });
    expect(onAir(allDay, '2026-02-16T00:00:00+07:00')).toBe('day');
    expect(onAir(allDay, '2026-02-15T23:59:59+07:00')).toBe('default');
    expect(onAir(allDay, '2026-02-17T00:00:00+07:00')).toBe('default');
  });

  it('weekday edges: Sunday is 7 and Monday is 1, at local midnight', () => {
    const m = manifest({
      schedule: { defaultPlaylistId: 'default', entries: [{ id: 'sun', playlistId: 'p-b', weekdays: [7] }] },
    });
    expect(onAir(m, '2026-01-03T23:59:59.999+07:00')).toBe('default'); // Saturday
    expect(onAir(m, '2026-01-04T00:00:00+07:00')).toBe('sun');
    expect(onAir(m, '2026-01-04T23:59:59.999+07:00')).toBe('sun');
    expect(onAir(m, '2026-01-05T00:00:00+07:00')).toBe('default'); // Monday
  });

  it('the higher priority wins where entries overlap; ties go to the entry listed first', () => {
    const m = manifest({
      schedule: {
        defaultPlaylistId: 'default',
        entries: [
          { id: 'day', playlistId: 'p-b', priority: 1, window: { start: '08:00', end: '18:00' } },
          { id: 'lunch', playlistId: 'p-c', priority: 5, window: { start: '12:00', end: '13:00' } },
          { id: 'lunch-too', playlistId: 'p-d', priority: 5, window: { start: '12:30', end: '14:00' } },
        ],
      },
    });
    expect(onAir(m, '2026-01-02T11:00:00+07:00')).toBe('day');
    expect(onAir(m, '2026-01-02T12:45:00+07:00')).toBe('lunch');
    expect(onAir(m, '2026-01-02T13:00:00+07:00')).toBe('lunch-too');
    expect(onAir(m, '2026-01-02T14:00:00+07:00')).toBe('day');
    const e = createScheduleEngine(m, VI_ONLY);
    // "day" resumes after the interruption as a new segment, from the top of its playlist.
    const seg = e.segmentAt(t('2026-01-02T15:00:00+07:00'));
    expect(seg).toMatchObject({ scheduleEntryId: 'day', startAt: t('2026-01-02T14:00:00+07:00') });
    expect(e.now(t('2026-01-02T14:00:00+07:00')).current).toMatchObject({
      startAt: t('2026-01-02T14:00:00+07:00'),
      itemId: 'b',
    });
  });

  it('a lower-priority entry listed first loses to a higher one listed later', () => {
    const m = manifest({
      schedule: {
        defaultPlaylistId: 'default',
        entries: [
          { id: 'low', playlistId: 'p-b', priority: 0 },
          { id: 'high', playlistId: 'p-c', priority: 2, window: { start: '10:00', end: '11:00' } },
        ],
      },
    });
    expect(onAir(m, '2026-01-02T10:30:00+07:00')).toBe('high');
    expect(onAir(m, '2026-01-02T09:30:00+07:00')).toBe('low');
  });

  it('an emergency overrides everything from startsAt until expiresAt, in the gate languages in turn', () => {
    const m = manifest({
      schedule: { defaultPlaylistId: 'default', entries: [{ id: 'all', playlistId: 'p-b', priority: 1000 }] },
      emergencies: [
        {
          id: 'storm',
          text: { vi: { body: 'Tạm dừng' }, en: { body: 'Closed' }, km: { body: 'បិទ' } },
          startsAt: '2026-01-02T10:00:00+07:00',
          expiresAt: '2026-01-02T10:05:00+07:00',
          perLanguageMs: 8000,
        },
      ],
    });
    const e = createScheduleEngine(m, HA_TIEN);
    expect(e.segmentAt(t('2026-01-02T09:59:59.999+07:00')).scheduleEntryId).toBe('all');
    const start = t('2026-01-02T10:00:00+07:00');
    const items = e.timeline(start, start + 24_000);
    // zh-Hans is missing and the gate skips missing variants.
    expect(items.map((i) => [i.language, i.source, i.emergencyId, i.kind])).toEqual([
      ['vi', 'emergency', 'storm', 'text'],
      ['km', 'emergency', 'storm', 'text'],
      ['en', 'emergency', 'storm', 'text'],
    ]);
    expect(items[0]!.startAt).toBe(start);
    expect(items[0]!.playlistId).toBe('emergency:storm');
    // At expiry the schedule is back, starting a fresh segment.
    const after = e.now(t('2026-01-02T10:05:00+07:00'));
    expect(after.segment).toMatchObject({ scheduleEntryId: 'all', startAt: t('2026-01-02T10:05:00+07:00') });
    expect(after.current?.itemId).toBe('b');
    // The last emergency slot is cut at expiry.
    const last = e.timeline(t('2026-01-02T10:04:59+07:00'), t('2026-01-02T10:05:00+07:00'))[0]!;
    expect(last.startAt + last.durationMs).toBe(t('2026-01-02T10:05:00+07:00'));
  });

  it('a later emergency interrupts an earlier one, which resumes when the later expires', () => {
    const text = { vi: { body: 'x' } };
    const m = manifest({
      emergencies: [
        { id: 'long', text, startsAt: '2026-01-02T10:00:00+07:00', expiresAt: '2026-01-02T12:00:00+07:00' },
        { id: 'short', text, startsAt: '2026-01-02T10:30:00+07:00', expiresAt: '2026-01-02T11:00:00+07:00' },
      ],
    });
    expect(onAir(m, '2026-01-02T10:29:00+07:00')).toBe('long');
    expect(onAir(m, '2026-01-02T10:30:00+07:00')).toBe('short');
    const seg = createScheduleEngine(m, VI_ONLY).segmentAt(t('2026-01-02T11:30:00+07:00'));
    expect(seg).toMatchObject({
      emergencyId: 'long',
      startAt: t('2026-01-02T11:00:00+07:00'),
      endAt: t('2026-01-02T12:00:00+07:00'),
    });
  });

  it('durations: the playlist entry overrides the item, and kinds without one get the stated defaults', () => {
    const m = manifest({
      items: [
        textItem('a', ['vi'], 7000),
        { id: 'v', title: 'v', kind: 'video', variants: { vi: { src: 'kien-giang/ha-tien/media/v.mp4' } } },
        { id: 'img', title: 'i', kind: 'image', variants: { vi: { src: 'kien-giang/ha-tien/media/i.png' } } },
      ],
      playlists: [
        {
          id: 'default',
          name: 'd',
          entries: [{ itemId: 'a', durationMs: 3000 }, { itemId: 'v' }, { itemId: 'img' }],
        },
      ],
    });
    const e = createScheduleEngine(m, VI_ONLY);
    const from = t('2026-01-02T00:00:00+07:00');
    expect(e.timeline(from, from + 43_000).map((i) => [i.itemId, i.durationMs])).toEqual([
      ['a', 3000],
      ['v', 30_000],
      ['img', 10_000],
    ]);
    const e2 = createScheduleEngine(m, VI_ONLY, { defaultDurationsMs: { video: 12_000 } });
    expect(e2.timeline(from + 3000, from + 3001)[0]).toMatchObject({ itemId: 'v', durationMs: 12_000 });
  });

  it('marks an item the end of its segment cuts short with its whole length, and only that one', () => {
    const m = manifest({
      schedule: {
        defaultPlaylistId: 'default',
        entries: [{ id: 'b', playlistId: 'p-b', window: { start: '08:00', end: '09:00' } }],
      },
      emergencies: [
        {
          id: 'flood',
          text: { vi: { body: 'Lũ' } },
          startsAt: '2026-01-02T08:00:25+07:00',
          expiresAt: '2026-01-02T08:01:00+07:00',
        },
      ],
    });
    const e = createScheduleEngine(m, VI_ONLY);
    const items = e.timeline(t('2026-01-02T07:59:50+07:00'), t('2026-01-02T08:00:30+07:00'));
    expect(items.map((i) => [i.itemId, i.durationMs, i.wholeDurationMs])).toEqual([
      ['a', 10_000, undefined],
      ['b', 10_000, undefined], // the entry starts at 08:00: its playlist from the top
      ['b', 10_000, undefined],
      ['b', 5000, 10_000], // cut at 08:00:25 by the emergency
      ['flood', 8000, undefined],
    ]);
    expect(Object.keys(items[0]!)).not.toContain('wholeDurationMs');
  });

  it('is deterministic from the clock: a restart mid-playlist resumes where the plan says', () => {
    const m = manifest({
      playlists: [playlist('default', ['a', 'b', 'c'])],
    });
    const seen = createScheduleEngine(m, VI_ONLY).now(t('2026-01-02T09:17:43+07:00'));
    // A second engine built from the same inputs (a restarted daemon, or the dashboard) agrees.
    const again = createScheduleEngine(m, VI_ONLY).now(t('2026-01-02T09:17:43+07:00'));
    expect(again).toEqual(seen);
    // 09:17:43 is 33_463 s into the day; the cycle is 30 s; 13 s in → item b, started at 10 s.
    expect(seen.current).toMatchObject({
      itemId: 'b',
      startAt: t('2026-01-02T09:17:40+07:00'),
      durationMs: 10_000,
    });
    expect(seen.next).toMatchObject({ itemId: 'c', startAt: t('2026-01-02T09:17:50+07:00') });
  });

  it('refuses an unknown time zone and non-finite times with named errors', () => {
    // The content model refuses the zone first (CONTENT_INVALID); the engine still refuses a manifest
    // that reaches it without that check.
    expect(() =>
      manifest({ schedule: { timezone: 'Mars/Olympus', defaultPlaylistId: 'default', entries: [] } }),
    ).toThrow(expect.objectContaining({ code: 'CONTENT_INVALID' }));
    const m = manifest();
    const unchecked = { ...m, schedule: { ...m.schedule, timezone: 'Mars/Olympus' } };
    expect(() => createScheduleEngine(unchecked, VI_ONLY)).toThrow(
      expect.objectContaining({ code: 'TIMEZONE_INVALID' }),
    );
    let err: unknown;
    try {
      createScheduleEngine(manifest(), VI_ONLY).timeline(Number.NaN, 1);
    } catch (e) {
      err = e;
    }
    expect(isScheduleError(err)).toBe(true);
    expect(isTimeZoneError(err)).toBe(false);
    expect(() => createScheduleEngine(manifest(), VI_ONLY).now(1e20)).toThrow(
      expect.objectContaining({ code: 'SCHEDULE_INVALID' }),
    );
  });

  it('the schedule time zone, when given, wins over the gate config', () => {
    const m = manifest({
      schedule: {
        timezone: 'Asia/Tokyo',
        defaultPlaylistId: 'default',
        entries: [{ id: 'morning', playlistId: 'p-b', window: { start: '08:00', end: '09:00' } }],
      },
    });
    expect(createScheduleEngine(m, VI_ONLY).timezone).toBe('Asia/Tokyo');
    expect(onAir(m, '2026-01-02T08:30:00+09:00')).toBe('morning');
    expect(onAir(m, '2026-01-02T08:30:00+07:00')).toBe('default');
  });
});
