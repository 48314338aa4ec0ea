/**
 * Wall-clock arithmetic in a gate's IANA time zone with Intl only (no tz database of our own):
 * the local parts of an instant, the instant of a local time, and daily opening windows.
 */
import type { TimeWindow } from '../../protocol/content.js';

export interface LocalParts {
  year: number;
  /** 1..12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** The wall-clock date and time at instant `ms` in `timeZone`. */
export function localParts(ms: number, timeZone: string): LocalParts {
  const out: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(ms))
    if (p.type !== 'literal') out[p.type] = Number(p.value);
  return {
    year: out['year']!,
    month: out['month']!,
    day: out['day']!,
    hour: out['hour']!,
    minute: out['minute']!,
    second: out['second']!,
  };
}

/** The zone's offset from UTC at instant `ms`, in ms (Asia/Ho_Chi_Minh: +7 h). */
export function zoneOffsetMs(ms: number, timeZone: string): number {
  const p = localParts(ms, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - (ms - (((ms % 1000) + 1000) % 1000));
}

/**
 * The instant at which the wall clock in `timeZone` shows the given local time. Month and day may
 * overflow (month 13 = January next year), as with Date.UTC. In a DST gap the later offset wins.
 */
export function zonedTimeToUtc(
  timeZone: string,
  year: number,
  month: number,
  day: number,
  hour = 0,
  minute = 0,
): number {
  const guess = Date.UTC(year, month - 1, day, hour, minute);
  let t = guess - zoneOffsetMs(guess, timeZone);
  // A second pass corrects guesses that landed across an offset change.
  t = guess - zoneOffsetMs(t, timeZone);
  return t;
}

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Whether local minute-of-day `m` falls in window `w` (start inclusive, end exclusive; may cross midnight). */
function inWindow(m: number, w: TimeWindow): boolean {
  const s = minutesOf(w.start);
  const e = minutesOf(w.end);
  return s < e ? m >= s && m < e : m >= s || m < e;
}

/** Whether instant `ms` is within the gate's opening hours; no windows means always open. */
export function isWithinOpeningHours(
  ms: number,
  windows: readonly TimeWindow[] | undefined,
  timeZone: string,
): boolean {
  if (!windows || windows.length === 0) return true;
  const p = localParts(ms, timeZone);
  const m = p.hour * 60 + p.minute;
  return windows.some((w) => inWindow(m, w));
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
  const start = localParts(from, timeZone);
  // Begin a day early so a window that crossed midnight into `from`'s day is included.
  for (let d = -1; ; d++) {
    const dayStart = zonedTimeToUtc(timeZone, start.year, start.month, start.day + d);
    if (dayStart >= to) break;
    for (const w of windows) {
      const s = minutesOf(w.start);
      const e = minutesOf(w.end);
      const endDayOffset = s < e ? 0 : 1;
      const a = zonedTimeToUtc(timeZone, start.year, start.month, start.day + d, Math.floor(s / 60), s % 60);
      const b = zonedTimeToUtc(
        timeZone,
        start.year,
        start.month,
        start.day + d + endDayOffset,
        Math.floor(e / 60),
        e % 60,
      );
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
