/**
 * Local dates and wall-clock times in an IANA zone, through Intl only (no tz database of our own), so
 * the device and the dashboard compute the same instants. Local dates are `YYYY-MM-DD` strings.
 */
import { GatecastError } from './errors.js';

export class TimeZoneError extends GatecastError {
  readonly code = 'TIMEZONE_INVALID';
}
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
  const wall = dateToUtcDay(date) * DAY_MS + msOfDay;
  const before = zoneOffsetMs(zone, wall - DAY_MS);
  const after = zoneOffsetMs(zone, wall + DAY_MS);
  const fits = [wall - before, wall - after].filter((t) => zoneOffsetMs(zone, t) === wall - t);
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
