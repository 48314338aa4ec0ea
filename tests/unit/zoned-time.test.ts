import { describe, expect, it } from 'vitest';
import {
  inDailyWindow,
  parseLocalTime,
  zonedInstant,
  zonedInstantTwoPass,
} from '../../protocol/zoned-time.js';

const iso = (t: number) => new Date(t).toISOString();

describe('zonedInstantTwoPass', () => {
  it('equals zonedInstant away from offset changes, and takes 24:00 as the next midnight', () => {
    for (const [zone, date, hhmm] of [
      ['Asia/Ho_Chi_Minh', '2026-04-01', '00:00'],
      ['Asia/Ho_Chi_Minh', '2026-04-01', '24:00'],
      ['Europe/Paris', '2026-07-01', '12:00'],
      ['America/New_York', '2026-01-15', '23:30'],
    ] as const)
      expect(zonedInstantTwoPass(zone, date, parseLocalTime(hhmm))).toBe(
        zonedInstant(zone, date, parseLocalTime(hhmm)),
      );
    expect(iso(zonedInstantTwoPass('Asia/Ho_Chi_Minh', '2026-04-01', parseLocalTime('24:00')))).toBe(
      '2026-04-01T17:00:00.000Z',
    );
  });

  it('keeps its own rule in DST gaps and overlaps', () => {
    // [zone, date, wall time, two passes, zonedInstant]
    const cases: [string, string, string, string, string][] = [
      // Paris gap (02:00–03:00 on 29 March): both move 02:30 forward to 03:30 CEST.
      ['Europe/Paris', '2026-03-29', '02:30', '2026-03-29T01:30:00.000Z', '2026-03-29T01:30:00.000Z'],
      // Paris overlap (02:00–03:00 twice on 25 October): two passes take the later 02:30 (CET),
      // zonedInstant the earlier (CEST).
      ['Europe/Paris', '2026-10-25', '02:30', '2026-10-25T01:30:00.000Z', '2026-10-25T00:30:00.000Z'],
      // New York gap (02:00–03:00 on 8 March): two passes move 02:30 back to 01:30 EST,
      // zonedInstant forward to 03:30 EDT.
      ['America/New_York', '2026-03-08', '02:30', '2026-03-08T06:30:00.000Z', '2026-03-08T07:30:00.000Z'],
      // New York overlap (01:00–02:00 twice on 1 November): both take the earlier 01:30 (EDT).
      ['America/New_York', '2026-11-01', '01:30', '2026-11-01T05:30:00.000Z', '2026-11-01T05:30:00.000Z'],
    ];
    for (const [zone, date, hhmm, twoPass, compatible] of cases) {
      expect(iso(zonedInstantTwoPass(zone, date, parseLocalTime(hhmm)))).toBe(twoPass);
      expect(iso(zonedInstant(zone, date, parseLocalTime(hhmm)))).toBe(compatible);
    }
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
