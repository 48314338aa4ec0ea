/**
 * The gate's day before and after a draft (pure): for each hour of today in the gate's time zone,
 * what is on air (a playlist, or an emergency message) by the version on air and by the draft,
 * computed by the devices' own schedule engine (schedule-preview.ts). An hour in which the plan
 * changes lists every playlist it plays, in order.
 */
import type { BundleManifest } from '../../protocol/content.js';
import type { GateConfig } from '../../protocol/config.js';
import type { PlanSource } from '../../protocol/schedule.js';
import { localParts, zonedInstant } from '../../protocol/zoned-time.js';
import { previewSegments } from './schedule-preview.js';

const HOUR_MS = 3600_000;

/** One thing on air during (part of) an hour. */
export interface OnAir {
  source: PlanSource;
  playlistId: string;
  /** The playlist's name in the manifest, when it has one. */
  name?: string;
  emergencyId?: string;
}

export interface HourOnAir {
  /** 0–23, local. */
  hour: number;
  /** Epoch ms of the hour's start. */
  at: number;
  shows: OnAir[];
}

/** One side of the day: its hours, or why they could not be computed. */
export type DayPlan = { hours: HourOnAir[] } | { problem: string };

export interface ScheduleDay {
  timezone: string;
  /** The gate's local date (YYYY-MM-DD) the hours belong to. */
  date: string;
  /** null: nothing is on air yet (the draft is the first version, or it is published). */
  before: DayPlan | null;
  after: DayPlan;
}

const key = (o: OnAir) => (o.emergencyId ? `e:${o.emergencyId}` : `p:${o.playlistId}`);

/** What `manifest` puts on air in each hour of local `date` at `gate` (in `gate.timezone`). */
export function hoursOnAir(manifest: BundleManifest, gate: GateConfig, date: string): HourOnAir[] {
  const tz = gate.timezone;
  const starts = Array.from({ length: 25 }, (_, h) => zonedInstant(tz, date, h * HOUR_MS));
  const names = new Map(manifest.playlists.map((p) => [p.id, p.name]));
  const segments = previewSegments(manifest, gate, starts[0]!, starts[24]! - starts[0]!);
  return Array.from({ length: 24 }, (_, hour) => {
    const from = starts[hour]!;
    const to = starts[hour + 1]!;
    const shows: OnAir[] = [];
    for (const s of segments) {
      if (s.endAt <= from || s.startAt >= to) continue;
      const name = names.get(s.playlistId);
      const o: OnAir = {
        source: s.source,
        playlistId: s.playlistId,
        ...(name ? { name } : {}),
        ...(s.emergencyId ? { emergencyId: s.emergencyId } : {}),
      };
      if (!shows.some((x) => key(x) === key(o))) shows.push(o);
    }
    return { hour, at: from, shows };
  });
}

function plan(manifest: BundleManifest, gate: GateConfig, date: string): DayPlan {
  try {
    return { hours: hoursOnAir(manifest, gate, date) };
  } catch (err) {
    return { problem: (err as Error).message };
  }
}

/** Today (at `now`, in the gate's zone) before and after the draft. */
export function scheduleDay(
  after: BundleManifest,
  before: BundleManifest | null,
  gate: GateConfig,
  now: number,
): ScheduleDay {
  const date = localParts(gate.timezone, now).date;
  return {
    timezone: gate.timezone,
    date,
    before: before ? plan(before, gate, date) : null,
    after: plan(after, gate, date),
  };
}

/** Whether two hours show the same things in the same order. */
export function sameHour(a: HourOnAir | undefined, b: HourOnAir | undefined): boolean {
  return (a?.shows.map(key).join('|') ?? '') === (b?.shows.map(key).join('|') ?? '');
}
