import { describe, expect, it } from 'vitest';
import { inDailyWindow, parseLocalTime, zonedInstant } from '../../protocol/zoned-time.js';
import { openingIntervals, zonedTimeToUtc } from '../../sync-server/time/zoned.js';

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
      Date.parse('2026-03-08T05:00:00Z'),
      Date.parse('2026-03-08T12:00:00Z'),
      [{ start: '02:30', end: '04:00' }],
      'America/New_York',
    );
    expect(open && iso(open.from)).toBe('2026-03-08T07:30:00.000Z');
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
