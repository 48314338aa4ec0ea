import type { TimeWindow } from '../../protocol/content.js';
import type { PowerState } from './display-power.js';

/** An ops command (display on/off) that beats the schedule until it expires. */
export interface DisplayOverride {
  state: PowerState;
  /** When the command was given (ms); the newest active override wins. */
  atMs: number;
  /** When it stops applying (ms); absent = until the next override or a clear. */
  untilMs?: number;
}

export interface DisplayInputs {
  /** Absent or empty = always open. */
  openingHours: readonly TimeWindow[] | undefined;
  timezone: string;
  overrides: readonly DisplayOverride[];
  /** Motion keeps the screen on until this instant (ms), outside opening hours. */
  motionUntilMs: number | undefined;
  nowMs: number;
}

export type DisplayReason = 'opening-hours' | 'closed' | 'always-open' | 'override' | 'motion';

export interface DisplayDecision {
  state: PowerState;
  reason: DisplayReason;
  /** The next instant the decision may change; the controller re-evaluates then. */
  nextCheckMs: number | undefined;
}

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Is local minute-of-day `m` inside the window? `end` before `start` crosses midnight; 24:00 is end of day. */
export function inWindow(w: TimeWindow, m: number): boolean {
  const s = minutes(w.start);
  const e = minutes(w.end);
  return s < e ? m >= s && m < e : m >= s || m < e;
}

interface LocalParts {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
  s: number;
}

const fmtCache = new Map<string, Intl.DateTimeFormat>();
function localParts(ms: number, tz: string): LocalParts {
  let f = fmtCache.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    fmtCache.set(tz, f);
  }
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(ms)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return { y: p['year']!, mo: p['month']!, d: p['day']!, h: p['hour']!, mi: p['minute']!, s: p['second']! };
}

/** UTC instant of a local wall time in `tz` (two passes handle a DST offset change). */
export function localToUtc(y: number, mo: number, d: number, minuteOfDay: number, tz: string): number {
  const wall = Date.UTC(y, mo - 1, d, 0, minuteOfDay);
  let guess = wall;
  for (let i = 0; i < 2; i++) {
    const p = localParts(guess, tz);
    const asUtc = Date.UTC(p.y, p.mo - 1, p.d, p.h, p.mi, p.s);
    guess = wall - (asUtc - guess);
  }
  return guess;
}

function scheduleOpen(hours: readonly TimeWindow[] | undefined, tz: string, nowMs: number): boolean {
  if (!hours || hours.length === 0) return true;
  const p = localParts(nowMs, tz);
  const m = p.h * 60 + p.mi;
  return hours.some((w) => inWindow(w, m));
}

/** The next window boundary after `nowMs`, looking at most two local days ahead. */
function nextBoundary(hours: readonly TimeWindow[], tz: string, nowMs: number): number | undefined {
  const p = localParts(nowMs, tz);
  let best: number | undefined;
  for (let day = 0; day <= 2; day++) {
    const date = new Date(Date.UTC(p.y, p.mo - 1, p.d + day));
    for (const w of hours)
      for (const hhmm of [w.start, w.end]) {
        const t = localToUtc(
          date.getUTCFullYear(),
          date.getUTCMonth() + 1,
          date.getUTCDate(),
          minutes(hhmm),
          tz,
        );
        if (t > nowMs && (best === undefined || t < best)) best = t;
      }
  }
  return best;
}

function activeOverride(list: readonly DisplayOverride[], nowMs: number): DisplayOverride | undefined {
  let best: DisplayOverride | undefined;
  for (const o of list)
    if (o.atMs <= nowMs && (o.untilMs === undefined || o.untilMs > nowMs) && (!best || o.atMs >= best.atMs))
      best = o;
  return best;
}

/**
 * Whether the screen should be on now. Order: an active ops override, then opening hours, then motion
 * (which only wakes a screen the schedule has off; it never beats an ops "off").
 */
export function desiredDisplayState(i: DisplayInputs): DisplayDecision {
  const candidates: number[] = [];
  const add = (t: number | undefined) => {
    if (t !== undefined && t > i.nowMs) candidates.push(t);
  };
  for (const o of i.overrides) {
    add(o.atMs);
    add(o.untilMs);
  }
  add(i.motionUntilMs);
  if (i.openingHours?.length) add(nextBoundary(i.openingHours, i.timezone, i.nowMs));
  const nextCheckMs = candidates.length ? Math.min(...candidates) : undefined;

  const o = activeOverride(i.overrides, i.nowMs);
  if (o) return { state: o.state, reason: 'override', nextCheckMs };
  if (!i.openingHours?.length) return { state: 'on', reason: 'always-open', nextCheckMs };
  if (scheduleOpen(i.openingHours, i.timezone, i.nowMs))
    return { state: 'on', reason: 'opening-hours', nextCheckMs };
  if (i.motionUntilMs !== undefined && i.motionUntilMs > i.nowMs)
    return { state: 'on', reason: 'motion', nextCheckMs };
  return { state: 'off', reason: 'closed', nextCheckMs };
}

/** Drops overrides that can no longer apply, so the list stays small over months. */
export function pruneOverrides(list: readonly DisplayOverride[], nowMs: number): DisplayOverride[] {
  const active = activeOverride(list, nowMs);
  return list.filter((o) => o.atMs > nowMs || o === active);
}
