/**
 * Local dates and wall-clock times in an IANA zone, through Intl only (no tz database of our own), so
 * the device and the dashboard compute the same instants. Local dates are `YYYY-MM-DD` strings.
 * Every function takes the zone first, then the instant or local date.
 */
import type { TimeWindow } from './content.js';
import { coded } from './errors.js';

export class TimeZoneError extends coded('TIMEZONE_INVALID') {}
export const isTimeZoneError = (e: unknown): e is TimeZoneError => e instanceof TimeZoneError;

export const MINUTE_MS = 60_000;
export const DAY_MS = 86_400_000;

export interface LocalParts {
  /** `YYYY-MM-DD` in the zone. */
  date: string;
  /** Milliseconds since local midnight by the wall clock (0 … 86_399_999). */
  msOfDay: number;
  /** ISO weekday of `date`, 1 = Monday … 7 = Sunday. */
  weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      });
    } catch (err) {
      throw new TimeZoneError(`"${zone}" is not a known IANA time zone`, { cause: err });
    }
    formatters.set(zone, f);
  }
  return f;
}

/** Throws TimeZoneError when `zone` is not a zone Intl knows. */
export function assertTimeZone(zone: string): void {
  formatter(zone);
}

/** The wall clock in `zone` at instant `t`, expressed as if it were UTC (ms). */
function wallAsUtc(zone: string, t: number): number {
  const parts = formatter(zone).formatToParts(new Date(t));
  const get = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value);
  const ms = ((t % 1000) + 1000) % 1000;
  return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'), ms);
}

/** UTC offset of `zone` at instant `t`, in ms (e.g. +7 h for Asia/Ho_Chi_Minh). */
export function zoneOffsetMs(zone: string, t: number): number {
  return wallAsUtc(zone, t) - t;
}

export function localParts(zone: string, t: number): LocalParts {
  const wall = wallAsUtc(zone, t);
  const day = Math.floor(wall / DAY_MS);
  return { date: utcDayToDate(day), msOfDay: wall - day * DAY_MS, weekday: isoWeekday(day) };
}

export function localDate(zone: string, t: number): string {
  return localParts(zone, t).date;
}

function utcDayToDate(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

function dateToUtcDay(date: string): number {
  return Math.floor(Date.parse(`${date}T00:00:00Z`) / DAY_MS);
}

function isoWeekday(utcDay: number): number {
  // 1970-01-01 was a Thursday (ISO 4).
  return ((((utcDay + 3) % 7) + 7) % 7) + 1;
}

/** Whether `text` is a calendar date written `YYYY-MM-DD` (2026-02-30 is not one). */
export function isLocalDate(text: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
  const day = dateToUtcDay(text); // NaN for month 13; Date.parse rolls 02-30 over to March
  return !Number.isNaN(day) && utcDayToDate(day) === text;
}

export function addDays(date: string, n: number): string {
  return utcDayToDate(dateToUtcDay(date) + n);
}

export function weekdayOf(date: string): number {
  return isoWeekday(dateToUtcDay(date));
}

/**
 * The instant at which the wall clock in `zone` shows `date` + `msOfDay` (which may exceed a day:
 * 24:00 is the next midnight). Times that do not exist (a DST gap) move forward by the gap; times
 * that exist twice (DST end) take the earlier — the "compatible" rule of Temporal and RFC 5545.
 * The one rule for every local→UTC conversion: schedules, display opening hours, alerts, reports.
 */
export function zonedInstant(zone: string, date: string, msOfDay: number): number {
  return instantOf((t) => zoneOffsetMs(zone, t), dateToUtcDay(date) * DAY_MS + msOfDay);
}

/** zonedInstant's rule for wall time `wall` (as if UTC), with the zone's offsets from `offset`. */
function instantOf(offset: (t: number) => number, wall: number): number {
  const before = offset(wall - DAY_MS);
  const after = offset(wall + DAY_MS);
  // One offset on both sides: whether or not wall - before fits, it is the answer below.
  if (before === after) return wall - before;
  const fits = [wall - before, wall - after].filter((t) => offset(t) === wall - t);
  if (fits.length) return Math.min(...fits);
  return wall - before;
}

/** Local midnight starting `date` in `zone`. */
export function startOfLocalDay(zone: string, date: string): number {
  return zonedInstant(zone, date, 0);
}

/** `HH:MM` (00:00 … 24:00) → ms past midnight. */
export function parseLocalTime(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return (h * 60 + m) * MINUTE_MS;
}

/**
 * Whether wall-clock `msOfDay` lies in the daily window `start`–`end` (`HH:MM`, 00:00 … 24:00; start
 * inclusive, end exclusive). An end not after the start crosses midnight (22:00–02:00 holds 23:00
 * and 01:00); 24:00 is the end of the day.
 */
export function inDailyWindow(start: string, end: string, msOfDay: number): boolean {
  const s = parseLocalTime(start);
  const e = parseLocalTime(end);
  return s < e ? msOfDay >= s && msOfDay < e : msOfDay >= s || msOfDay < e;
}

/**
 * The instant at which the wall clock in `zone` shows the given local time. Month and day may
 * overflow (month 13 = January next year), as with Date.UTC; near a DST change, zonedInstant's rule.
 */
export function zonedTimeToUtc(
  zone: string,
  year: number,
  month: number,
  day: number,
  hour = 0,
  minute = 0,
): number {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  const utcDay = Math.floor(wall / DAY_MS);
  return zonedInstant(zone, utcDayToDate(utcDay), wall - utcDay * DAY_MS);
}

/** Whether instant `t` is within the daily opening `windows` in `zone`; no windows means always open. */
export function isWithinOpeningHours(
  zone: string,
  t: number,
  windows: readonly TimeWindow[] | undefined,
): boolean {
  if (!windows || windows.length === 0) return true;
  const { msOfDay } = localParts(zone, t);
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
  zone: string,
  from: number,
  to: number,
  windows: readonly TimeWindow[] | undefined,
): Interval[] {
  if (to <= from) return [];
  if (!windows || windows.length === 0) return [{ from, to }];
  const out: Interval[] = [];
  // Each instant looks up the offsets a day either side of it, and the next day's looks up the same
  // ones again: each is looked up once (through Intl, the cost of a quarter's opening hours).
  const offsets = new Map<number, number>();
  const offset = (t: number) => {
    let o = offsets.get(t);
    if (o === undefined) offsets.set(t, (o = zoneOffsetMs(zone, t)));
    return o;
  };
  const at = (day: number, msOfDay: number) => instantOf(offset, day * DAY_MS + msOfDay);
  const firstDay = dateToUtcDay(localDate(zone, from));
  // Begin a day early so a window that crossed midnight into `from`'s day is included.
  for (let day = firstDay - 1; ; day++) {
    const dayStart = at(day, 0);
    if (dayStart >= to) break;
    for (const w of windows) {
      const s = parseLocalTime(w.start);
      const e = parseLocalTime(w.end);
      const a = at(day, s);
      const b = at(s < e ? day : day + 1, e);
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
