import { describe, expect, it, vi } from 'vitest';
import {
  addDays,
  inDailyWindow,
  isLocalDate,
  intersectIntervals,
  isWithinOpeningHours,
  localDate,
  localParts,
  mergeIntervals,
  openingIntervals,
  parseLocalTime,
  startOfLocalDay,
  subtractIntervals,
  totalLength,
  zonedInstant,
  zonedTimeToUtc,
} from '../../protocol/zoned-time.js';

const iso = (t: number) => new Date(t).toISOString();

describe('zonedInstant', () => {
  it('takes 24:00 as the next midnight', () => {
    expect(iso(zonedInstant('Asia/Ho_Chi_Minh', '2026-04-01', parseLocalTime('24:00')))).toBe(
      '2026-04-01T17:00:00.000Z',
    );
  });

  it('moves a time in a DST gap forward and takes the earlier of a doubled time, in every zone', () => {
    const cases: [string, string, string, string][] = [
      // Paris gap (02:00–03:00 on 29 March): 02:30 becomes 03:30 CEST.
      ['Europe/Paris', '2026-03-29', '02:30', '2026-03-29T01:30:00.000Z'],
      // Paris overlap (02:00–03:00 twice on 25 October): the earlier 02:30 (CEST).
      ['Europe/Paris', '2026-10-25', '02:30', '2026-10-25T00:30:00.000Z'],
      // New York gap (02:00–03:00 on 8 March): forward to 03:30 EDT.
      ['America/New_York', '2026-03-08', '02:30', '2026-03-08T07:30:00.000Z'],
      // New York overlap (01:00–02:00 twice on 1 November): the earlier 01:30 (EDT).
      ['America/New_York', '2026-11-01', '01:30', '2026-11-01T05:30:00.000Z'],
    ];
    for (const [zone, date, hhmm, compatible] of cases)
      expect(iso(zonedInstant(zone, date, parseLocalTime(hhmm)))).toBe(compatible);
  });

  it("is the rule the server's report periods and opening intervals use", () => {
    expect(iso(zonedTimeToUtc('America/New_York', 2026, 3, 8, 2, 30))).toBe('2026-03-08T07:30:00.000Z');
    expect(iso(zonedTimeToUtc('Europe/Paris', 2026, 10, 25, 2, 30))).toBe('2026-10-25T00:30:00.000Z');
    const [open] = openingIntervals(
      'America/New_York',
      Date.parse('2026-03-08T05:00:00Z'),
      Date.parse('2026-03-08T12:00:00Z'),
      [{ start: '02:30', end: '04:00' }],
    );
    expect(open && iso(open.from)).toBe('2026-03-08T07:30:00.000Z');
  });
});

describe('local dates', () => {
  it('knows a real YYYY-MM-DD date from a look-alike', () => {
    for (const d of ['2026-04-01', '2028-02-29', '2026-12-31', '1970-01-01'])
      expect(isLocalDate(d)).toBe(true);
    for (const d of ['2026-02-29', '2026-02-30', '2026-13-01', '2026-00-10', '2026-4-1', '01/04/2026', ''])
      expect(isLocalDate(d)).toBe(false);
  });

  it('starts a day at local midnight, in a zone with DST too', () => {
    expect(iso(startOfLocalDay('Asia/Ho_Chi_Minh', '2026-04-01'))).toBe('2026-03-31T17:00:00.000Z');
    expect(iso(startOfLocalDay('Europe/Paris', '2026-03-29'))).toBe('2026-03-28T23:00:00.000Z');
    expect(iso(startOfLocalDay('Europe/Paris', '2026-03-30'))).toBe('2026-03-29T22:00:00.000Z');
  });
});

describe('inDailyWindow', () => {
  const at = (hhmm: string) => parseLocalTime(hhmm);
  it('is start-inclusive, end-exclusive', () => {
    expect(inDailyWindow('07:00', '17:00', at('07:00'))).toBe(true);
    expect(inDailyWindow('07:00', '17:00', at('17:00') - 1)).toBe(true);
    expect(inDailyWindow('07:00', '17:00', at('17:00'))).toBe(false);
    expect(inDailyWindow('07:00', '17:00', at('06:59'))).toBe(false);
  });
  it('crosses midnight when the end is not after the start, and ends at 24:00', () => {
    expect(inDailyWindow('22:00', '02:00', at('23:00'))).toBe(true);
    expect(inDailyWindow('22:00', '02:00', at('01:59'))).toBe(true);
    expect(inDailyWindow('22:00', '02:00', at('02:00'))).toBe(false);
    expect(inDailyWindow('22:00', '02:00', at('12:00'))).toBe(false);
    expect(inDailyWindow('08:00', '24:00', at('23:59'))).toBe(true);
    expect(inDailyWindow('08:00', '24:00', at('00:00'))).toBe(false);
  });
});

const HCM = 'Asia/Ho_Chi_Minh';
const H = 3_600_000;

describe('local wall time and opening hours', () => {
  it('converts local wall time to UTC and back', () => {
    const t = zonedTimeToUtc(HCM, 2026, 4, 1);
    expect(new Date(t).toISOString()).toBe('2026-03-31T17:00:00.000Z');
    expect(localParts(HCM, t)).toEqual({ date: '2026-04-01', msOfDay: 0, weekday: 3 });
    // Month overflow and a zone with DST.
    expect(new Date(zonedTimeToUtc(HCM, 2026, 13, 1)).toISOString()).toBe('2026-12-31T17:00:00.000Z');
    expect(new Date(zonedTimeToUtc('Europe/Paris', 2026, 7, 1, 12)).toISOString()).toBe(
      '2026-07-01T10:00:00.000Z',
    );
    expect(new Date(zonedTimeToUtc('Europe/Paris', 2026, 1, 1, 12)).toISOString()).toBe(
      '2026-01-01T11:00:00.000Z',
    );
  });

  it('tells opening hours, including windows across midnight', () => {
    const at = (iso: string) => Date.parse(iso);
    const day = [{ start: '07:00', end: '17:00' }];
    expect(isWithinOpeningHours(HCM, at('2026-03-10T00:00:00Z'), day)).toBe(true); // 07:00
    expect(isWithinOpeningHours(HCM, at('2026-03-10T10:00:00Z'), day)).toBe(false); // 17:00
    const night = [{ start: '22:00', end: '02:00' }];
    expect(isWithinOpeningHours(HCM, at('2026-03-10T18:30:00Z'), night)).toBe(true); // 01:30
    expect(isWithinOpeningHours(HCM, at('2026-03-10T20:00:00Z'), night)).toBe(false); // 03:00
    expect(isWithinOpeningHours(HCM, at('2026-03-10T20:00:00Z'), undefined)).toBe(true);
  });

  it('lists opening intervals over a span', () => {
    const from = zonedTimeToUtc(HCM, 2026, 3, 10);
    const to = zonedTimeToUtc(HCM, 2026, 3, 13);
    const iv = openingIntervals(HCM, from, to, [{ start: '07:00', end: '17:00' }]);
    expect(iv).toHaveLength(3);
    expect(totalLength(iv)).toBe(30 * H);
    expect(iv[0]).toEqual({ from: from + 7 * H, to: from + 17 * H });
    const night = openingIntervals(HCM, from, to, [{ start: '22:00', end: '02:00' }]);
    // 00:00–02:00 on day 1, 22:00–02:00 twice, 22:00–24:00 on day 3.
    expect(totalLength(night)).toBe(2 * H + 4 * H * 2 + 2 * H);
    expect(openingIntervals(HCM, from, to, undefined)).toEqual([{ from, to }]);
  });

  it('counts opening hours by the wall clock across DST changes', () => {
    const paris = 'Europe/Paris';
    // 29 March 2026 has 23 hours in Paris; 25 October has 25.
    const all = [{ start: '00:00', end: '24:00' }];
    const spring = openingIntervals(
      paris,
      zonedTimeToUtc(paris, 2026, 3, 29),
      zonedTimeToUtc(paris, 2026, 3, 30),
      all,
    );
    expect(totalLength(spring)).toBe(23 * H);
    const autumn = openingIntervals(
      paris,
      zonedTimeToUtc(paris, 2026, 10, 25),
      zonedTimeToUtc(paris, 2026, 10, 26),
      all,
    );
    expect(totalLength(autumn)).toBe(25 * H);
    // 03:30 CEST on the spring day is inside 03:00–04:00; 01:30 CET is not.
    const early = [{ start: '03:00', end: '04:00' }];
    expect(isWithinOpeningHours(paris, Date.parse('2026-03-29T01:30:00Z'), early)).toBe(true);
    expect(isWithinOpeningHours(paris, Date.parse('2026-03-29T00:30:00Z'), early)).toBe(false);
  });

  it('works out a year of opening hours with a few zone lookups a day, as day-by-day zonedInstant does', () => {
    // A report works out each gate's opening hours over its period: through Intl, every lookup counts.
    const lookups = vi.spyOn(Intl.DateTimeFormat.prototype, 'formatToParts');
    try {
      const zones = [HCM, 'Europe/Paris', 'America/Santiago', 'Australia/Lord_Howe'];
      const hours = [
        [{ start: '07:00', end: '21:00' }],
        [
          { start: '22:00', end: '02:30' },
          { start: '02:00', end: '03:00' },
        ],
      ];
      for (const zone of zones)
        for (const windows of hours) {
          const from = zonedTimeToUtc(zone, 2026, 1, 1);
          const to = zonedTimeToUtc(zone, 2027, 1, 1);
          lookups.mockClear();
          const got = openingIntervals(zone, from, to, windows);
          const calls = lookups.mock.calls.length;
          // The same intervals as each local day's windows placed one by one with zonedInstant.
          const expected: { from: number; to: number }[] = [];
          for (
            let date = addDays(localDate(zone, from), -1);
            zonedInstant(zone, date, 0) < to;
            date = addDays(date, 1)
          )
            for (const w of windows) {
              const s = parseLocalTime(w.start);
              const e = parseLocalTime(w.end);
              const a = Math.max(from, zonedInstant(zone, date, s));
              const b = Math.min(to, zonedInstant(zone, s < e ? date : addDays(date, 1), e));
              if (b > a) expected.push({ from: a, to: b });
            }
          expect(got, `${zone} ${JSON.stringify(windows)}`).toEqual(mergeIntervals(expected));
          // One lookup a day for midnight and one per window edge, and a few more around each change of clocks.
          expect(calls, `${zone} ${JSON.stringify(windows)}`).toBeLessThanOrEqual(
            368 * (1 + 2 * windows.length) + 60,
          );
        }
    } finally {
      lookups.mockRestore();
    }
  });

  it('does interval arithmetic', () => {
    expect(
      mergeIntervals([
        { from: 5, to: 8 },
        { from: 0, to: 3 },
        { from: 3, to: 4 },
      ]),
    ).toEqual([
      { from: 0, to: 4 },
      { from: 5, to: 8 },
    ]);
    expect(
      subtractIntervals(
        [{ from: 0, to: 10 }],
        [
          { from: 2, to: 3 },
          { from: 5, to: 12 },
        ],
      ),
    ).toEqual([
      { from: 0, to: 2 },
      { from: 3, to: 5 },
    ]);
    expect(
      intersectIntervals(
        [
          { from: 0, to: 10 },
          { from: 20, to: 30 },
        ],
        [{ from: 5, to: 25 }],
      ),
    ).toEqual([
      { from: 5, to: 10 },
      { from: 20, to: 25 },
    ]);
  });
});
