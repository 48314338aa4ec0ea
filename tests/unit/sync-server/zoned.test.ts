import { describe, expect, it } from 'vitest';
import {
  intersectIntervals,
  isWithinOpeningHours,
  localParts,
  mergeIntervals,
  openingIntervals,
  subtractIntervals,
  totalLength,
  zonedTimeToUtc,
} from '../../../sync-server/time/zoned.js';

const HCM = 'Asia/Ho_Chi_Minh';
const H = 3_600_000;

describe('zoned time', () => {
  it('converts local wall time to UTC and back', () => {
    const t = zonedTimeToUtc(HCM, 2026, 4, 1);
    expect(new Date(t).toISOString()).toBe('2026-03-31T17:00:00.000Z');
    expect(localParts(t, HCM)).toEqual({ year: 2026, month: 4, day: 1, hour: 0, minute: 0, second: 0 });
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
    expect(isWithinOpeningHours(at('2026-03-10T00:00:00Z'), day, HCM)).toBe(true); // 07:00
    expect(isWithinOpeningHours(at('2026-03-10T10:00:00Z'), day, HCM)).toBe(false); // 17:00
    const night = [{ start: '22:00', end: '02:00' }];
    expect(isWithinOpeningHours(at('2026-03-10T18:30:00Z'), night, HCM)).toBe(true); // 01:30
    expect(isWithinOpeningHours(at('2026-03-10T20:00:00Z'), night, HCM)).toBe(false); // 03:00
    expect(isWithinOpeningHours(at('2026-03-10T20:00:00Z'), undefined, HCM)).toBe(true);
  });

  it('lists opening intervals over a span', () => {
    const from = zonedTimeToUtc(HCM, 2026, 3, 10);
    const to = zonedTimeToUtc(HCM, 2026, 3, 13);
    const iv = openingIntervals(from, to, [{ start: '07:00', end: '17:00' }], HCM);
    expect(iv).toHaveLength(3);
    expect(totalLength(iv)).toBe(30 * H);
    expect(iv[0]).toEqual({ from: from + 7 * H, to: from + 17 * H });
    const night = openingIntervals(from, to, [{ start: '22:00', end: '02:00' }], HCM);
    // 00:00–02:00 on day 1, 22:00–02:00 twice, 22:00–24:00 on day 3.
    expect(totalLength(night)).toBe(2 * H + 4 * H * 2 + 2 * H);
    expect(openingIntervals(from, to, undefined, HCM)).toEqual([{ from, to }]);
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
