/**
 * The demo's schedule, and the "on air" line the demo prints. The sample bundle's own schedule is a
 * gate's real one (the night playlist from 20:00 to 06:00 in Vietnam), so a demo run in European or
 * American daytime would show only the night playlist. The demo publishes the sample with this
 * schedule instead, signed like any other: the day playlist (ticker, video, every language) at any
 * hour, and the night playlist in one short window a few minutes after the start, on that date only.
 * What the dashboard shows is what runs, and the demo says which playlist is on air and why, from the
 * schedule engine's own segment.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { type BundleManifest, Schedule, type ScheduleEntry } from '../protocol/content.js';
import type { PlannedItem } from '../protocol/schedule.js';
import {
  createScheduleEngine,
  type EngineGate,
  type ScheduleEngine,
  type Segment,
} from '../protocol/schedule-engine.js';
import { localParts } from '../protocol/zoned-time.js';
import { DemoOptionError } from './demo-guards.js';

/** The demo schedule's only entry: the night playlist, for a short while. */
export const NIGHT_DEMO_ENTRY_ID = 'night-demo';
export const NIGHT_PLAYLIST_ID = 'night';
/** How long the demo schedule keeps the night playlist on air. */
export const NIGHT_DEMO_MINUTES = 2;
/** By default the night window begins this many minutes after the demo starts. */
export const NIGHT_DEMO_AFTER_MINUTES = 3;

const MINUTE_MS = 60_000;

export interface DemoScheduleOptions {
  /** The night window begins this many whole minutes after `startAt` (0: the minute under way). */
  nightInMinutes?: number;
}

/** Throws DemoOptionError unless `n` is a whole number of minutes within a day. */
export function assertNightInMinutes(n: number): void {
  if (!Number.isInteger(n) || n < 0 || n > 1440)
    throw new DemoOptionError(
      `--night-in-min must be a whole number of minutes from 0 to 1440 (0: the night playlist at once), not "${n}"`,
    );
}

/** `HH:MM` of `t` in `zone`. */
export function localHhMm(zone: string, t: number): string {
  const minutes = Math.floor(localParts(zone, t).msOfDay / MINUTE_MS);
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/**
 * The sample's schedule as the demo runs it from `startAt`: its default playlist (the day playlist)
 * whenever nothing else is on, and the night playlist from the minute `nightInMinutes` after the
 * start, for NIGHT_DEMO_MINUTES, on that local date only. Pure.
 */
export function demoSchedule(sample: Schedule, zone: string, startAt: number, o: DemoScheduleOptions = {}) {
  const after = o.nightInMinutes ?? NIGHT_DEMO_AFTER_MINUTES;
  assertNightInMinutes(after);
  const begin = Math.floor(startAt / MINUTE_MS) * MINUTE_MS + after * MINUTE_MS;
  const date = localParts(zone, begin).date;
  const night: ScheduleEntry = {
    id: NIGHT_DEMO_ENTRY_ID,
    playlistId: NIGHT_PLAYLIST_ID,
    priority: 10,
    from: date,
    to: date,
    // An end before the start (a window over midnight) still belongs to `date`.
    window: { start: localHhMm(zone, begin), end: localHhMm(zone, begin + NIGHT_DEMO_MINUTES * MINUTE_MS) },
  };
  const schedule: Schedule = {
    timezone: zone,
    defaultPlaylistId: sample.defaultPlaylistId,
    entries: [night],
  };
  return { schedule, nightFrom: begin, nightUntil: begin + NIGHT_DEMO_MINUTES * MINUTE_MS };
}

/**
 * Copies the sample bundle folder to `to` with its schedule replaced by the demo schedule; the rest
 * of the manifest (items, playlists, layout) is the sample's, unchanged.
 */
export function writeDemoBundle(sampleDir: string, to: string, startAt: number, o: DemoScheduleOptions = {}) {
  cpSync(sampleDir, to, { recursive: true });
  const manifest = JSON.parse(readFileSync(join(sampleDir, 'bundle.json'), 'utf8')) as BundleManifest;
  if (!manifest.playlists.some((p) => p.id === NIGHT_PLAYLIST_ID))
    throw new Error(`the sample bundle has no "${NIGHT_PLAYLIST_ID}" playlist`);
  const zone = manifest.schedule.timezone ?? 'Asia/Ho_Chi_Minh';
  const made = demoSchedule(manifest.schedule, zone, startAt, o);
  manifest.schedule = made.schedule;
  writeFileSync(join(to, 'bundle.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return { ...made, zone, manifest };
}

/** What the demo adds to the engine's reason, for the schedule it made itself. */
export interface OnAirNotes {
  /** Said when the default playlist is on air. */
  default?: string;
  /** Said when the entry with this id is on air. */
  entries?: Record<string, string>;
}

/** The demo's notes, for as long as the schedule installed is the one it made. */
export function demoNotes(): OnAirNotes {
  return {
    default: 'the demo schedule plays the day playlist at any hour',
    entries: {
      [NIGHT_DEMO_ENTRY_ID]: `the demo schedule puts the night playlist on for ${NIGHT_DEMO_MINUTES} minutes so it can be seen`,
    },
  };
}

/** `HH:MM` of the end of a span: one ending at local midnight ends at "24:00" of its day. */
function endText(zone: string, t: number): string {
  const hhmm = localHhMm(zone, t);
  return hhmm === '00:00' ? '24:00' : hhmm;
}

function entryWhen(e: ScheduleEntry, zone: string): string {
  const parts = [e.window ? `${e.window.start}–${e.window.end} ${zone}` : `all day (${zone})`];
  if (e.from && e.from === e.to) parts.push(`${e.from} only`);
  else if (e.from && e.to) parts.push(`${e.from} to ${e.to}`);
  else if (e.from) parts.push(`from ${e.from}`);
  else if (e.to) parts.push(`until ${e.to}`);
  if (e.weekdays) parts.push(`weekdays ${e.weekdays.join(',')}`);
  return parts.join(', ');
}

/**
 * One line saying what is on air and why, from the schedule engine's segment (its source, the entry
 * or emergency that chose it, its bounds) and the manifest that segment was computed from. Pure.
 */
export function describeOnAir(
  seg: Segment,
  manifest: BundleManifest,
  zone: string,
  notes: OnAirNotes = {},
): string {
  let line: string;
  let note: string | undefined;
  switch (seg.source) {
    case 'emergency':
      line = `on air: emergency '${seg.emergencyId}' (from ${localHhMm(zone, seg.startAt)} until ${endText(zone, seg.endAt)} ${zone}; an emergency overrides the schedule)`;
      break;
    case 'time-unknown':
      line = `on air: ${seg.playlistId} playlist (the clock is not trusted yet: the default playlist plays until it is)`;
      break;
    case 'schedule': {
      const entry = manifest.schedule.entries.find((e) => e.id === seg.scheduleEntryId);
      line = `on air: ${seg.playlistId} playlist (schedule entry '${seg.scheduleEntryId}'${entry ? `, ${entryWhen(entry, zone)}` : ''})`;
      note = seg.scheduleEntryId ? notes.entries?.[seg.scheduleEntryId] : undefined;
      break;
    }
    case 'default':
      line = `on air: ${seg.playlistId} playlist (the schedule's default: no schedule entry from ${localHhMm(zone, seg.startAt)} to ${endText(zone, seg.endAt)} ${zone})`;
      note = notes.default;
      break;
  }
  return note ? `${line} because ${note}` : line;
}

/** Whether two segments have the same reason (the same thing chose the same playlist). */
export function sameReason(a: Segment, b: Segment): boolean {
  return (
    a.source === b.source &&
    a.playlistId === b.playlistId &&
    a.scheduleEntryId === b.scheduleEntryId &&
    a.emergencyId === b.emergencyId
  );
}

/** What the watcher needs of the running screen. */
export interface OnAirSource {
  /** Each item as it goes on air (the daemon's `onStarted`). */
  onStarted(listener: (e: { item: PlannedItem }) => void): () => void;
  /** The manifest of the bundle installed now. */
  manifest(): BundleManifest | undefined;
  gate: EngineGate;
  /** Trusted minus system time: planned items are in the page's (system) clock. */
  offsetMs(): number;
}

/**
 * Prints which playlist is on air and why each time that changes: the schedule engine's segment for
 * each item that goes on air, computed from the manifest installed. The demo's own reasons are added
 * only while the installed schedule is the one the demo made (a bundle published since says only
 * what it does). Returns the unsubscribe function.
 */
export function watchOnAir(src: OnAirSource, demo: Schedule, out: (line: string) => void): () => void {
  const made = Schedule.parse(demo);
  let cached: { manifest: BundleManifest; engine: ScheduleEngine; notes: OnAirNotes } | undefined;
  let last: Segment | undefined;
  return src.onStarted((e) => {
    const manifest = src.manifest();
    if (!manifest) return;
    let seg: Segment;
    try {
      if (cached?.manifest !== manifest)
        cached = {
          manifest,
          engine: createScheduleEngine(manifest, src.gate),
          notes: isDeepStrictEqual(manifest.schedule, made) ? demoNotes() : {},
        };
      // The segment that planned this item: at its planned start (a fair start may show it early),
      // in the clock mode it was planned in.
      const at = e.item.startAt + src.offsetMs();
      seg = cached.engine.segmentAt(at, e.item.source === 'time-unknown' ? { timeUnknownSince: at } : {});
    } catch (err) {
      // The daemon plays the default playlist when the engine fails; say so rather than guess.
      out(`on air: the default playlist (the schedule could not be evaluated: ${(err as Error).message})`);
      last = undefined;
      return;
    }
    if (last && sameReason(last, seg)) return;
    last = seg;
    out(describeOnAir(seg, manifest, cached.engine.timezone, cached.notes));
  });
}
