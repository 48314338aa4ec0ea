/**
 * Wall-clock arithmetic in a gate's IANA time zone for the server (alerts, reports): the local parts
 * of an instant, the instant of a local time, and daily opening windows. The zone arithmetic itself
 * is protocol/zoned-time.ts; this module keeps the server's argument order and shapes.
 */
import type { TimeWindow } from '../../protocol/content.js';
import {
  addDays,
  DAY_MS,
  inDailyWindow,
  localParts as zonedLocalParts,
  parseLocalTime,
  zonedInstant,
  zoneOffsetMs as zonedOffsetMs,
} from '../../protocol/zoned-time.js';

export interface LocalParts {
  year: number;
  /** 1..12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

/** The wall-clock date and time at instant `ms` in `timeZone`. */
export function localParts(ms: number, timeZone: string): LocalParts {
  const wall = new Date(ms + zonedOffsetMs(timeZone, ms));
  return {
    year: wall.getUTCFullYear(),
    month: wall.getUTCMonth() + 1,
    day: wall.getUTCDate(),
    hour: wall.getUTCHours(),
    minute: wall.getUTCMinutes(),
    second: wall.getUTCSeconds(),
  };
}

/** The zone's offset from UTC at instant `ms`, in ms (Asia/Ho_Chi_Minh: +7 h). */
export function zoneOffsetMs(ms: number, timeZone: string): number {
  return zonedOffsetMs(timeZone, ms);
}

/**
 * The instant at which the wall clock in `timeZone` shows the given local time. Month and day may
 * overflow (month 13 = January next year), as with Date.UTC. Near a DST change the instant follows
 * zonedInstant's rule (protocol/zoned-time.ts), as the schedule engine does.
 */
export function zonedTimeToUtc(
  timeZone: string,
  year: number,
  month: number,
  day: number,
  hour = 0,
  minute = 0,
): number {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  const utcDay = Math.floor(wall / DAY_MS);
  const date = new Date(utcDay * DAY_MS).toISOString().slice(0, 10);
  return zonedInstant(timeZone, date, wall - utcDay * DAY_MS);
}

/** Whether instant `ms` is within the gate's opening hours; no windows means always open. */
export function isWithinOpeningHours(
  ms: number,
  windows: readonly TimeWindow[] | undefined,
  timeZone: string,
): boolean {
  if (!windows || windows.length === 0) return true;
  const { msOfDay } = zonedLocalParts(timeZone, ms);
  return windows.some((w) => inDailyWindow(w.start, w.end, msOfDay));
}

export interface Interval {
  /** Epoch ms, inclusive. */
  from: number;
  /** Epoch ms, exclusive. */
  to: number;
}

/**
 * The opening intervals between `from` and `to` (sorted, merged, clipped); no windows means the whole
 * span. Windows that cross midnight run into the next local day.
 */
export function openingIntervals(
  from: number,
  to: number,
  windows: readonly TimeWindow[] | undefined,
  timeZone: string,
): Interval[] {
  if (to <= from) return [];
  if (!windows || windows.length === 0) return [{ from, to }];
  const out: Interval[] = [];
  const firstDate = zonedLocalParts(timeZone, from).date;
  // Begin a day early so a window that crossed midnight into `from`'s day is included.
  for (let d = -1; ; d++) {
    const date = addDays(firstDate, d);
    const dayStart = zonedInstant(timeZone, date, 0);
    if (dayStart >= to) break;
    for (const w of windows) {
      const s = parseLocalTime(w.start);
      const e = parseLocalTime(w.end);
      const a = zonedInstant(timeZone, date, s);
      const b = zonedInstant(timeZone, s < e ? date : addDays(date, 1), e);
      const lo = Math.max(a, from);
      const hi = Math.min(b, to);
      if (hi > lo) out.push({ from: lo, to: hi });
    }
  }
  return mergeIntervals(out);
}

/** Sorts and merges overlapping or touching intervals. */
export function mergeIntervals(intervals: readonly Interval[]): Interval[] {
  const s = intervals.filter((i) => i.to > i.from).sort((a, b) => a.from - b.from);
  const out: Interval[] = [];
  for (const i of s) {
    const last = out[out.length - 1];
    if (last && i.from <= last.to) last.to = Math.max(last.to, i.to);
    else out.push({ from: i.from, to: i.to });
  }
  return out;
}

/** `a` minus `b`; both sorted and merged. */
export function subtractIntervals(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  let j = 0;
  for (const i of a) {
    let cur = i.from;
    while (j < b.length && b[j]!.to <= cur) j++;
    let k = j;
    while (k < b.length && b[k]!.from < i.to) {
      if (b[k]!.from > cur) out.push({ from: cur, to: b[k]!.from });
      cur = Math.max(cur, b[k]!.to);
      k++;
    }
    if (cur < i.to) out.push({ from: cur, to: i.to });
  }
  return out;
}

/** `a` ∩ `b`; both sorted and merged. */
export function intersectIntervals(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const out: Interval[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const lo = Math.max(a[i]!.from, b[j]!.from);
    const hi = Math.min(a[i]!.to, b[j]!.to);
    if (hi > lo) out.push({ from: lo, to: hi });
    if (a[i]!.to < b[j]!.to) i++;
    else j++;
  }
  return out;
}

export const totalLength = (intervals: readonly Interval[]): number =>
  intervals.reduce((n, i) => n + (i.to - i.from), 0);
