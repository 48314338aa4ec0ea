import type { TimeWindow } from '../../protocol/content.js';
import {
  addDays,
  inDailyWindow,
  isWithinOpeningHours,
  localParts,
  MINUTE_MS,
  parseLocalTime,
  zonedInstant,
} from '../../protocol/zoned-time.js';
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

/** Is local minute-of-day `m` inside the window? `end` before `start` crosses midnight; 24:00 is end of day. */
export function inWindow(w: TimeWindow, m: number): boolean {
  return inDailyWindow(w.start, w.end, m * MINUTE_MS);
}

/** The next window boundary after `nowMs`, looking at most two local days ahead. */
function nextBoundary(hours: readonly TimeWindow[], tz: string, nowMs: number): number | undefined {
  const today = localParts(tz, nowMs).date;
  let best: number | undefined;
  for (let day = 0; day <= 2; day++) {
    const date = addDays(today, day);
    for (const w of hours)
      for (const hhmm of [w.start, w.end]) {
        const t = zonedInstant(tz, date, parseLocalTime(hhmm));
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
  if (isWithinOpeningHours(i.timezone, i.nowMs, i.openingHours))
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
