/**
 * The schedule engine: a pure function of a bundle manifest, the gate's config and a time. The device
 * plays what it says and the dashboard previews it, so both must get the same answer from the same
 * inputs; nothing here reads a clock, a file or the environment.
 *
 * How time is cut up. At each instant exactly one thing is "on air":
 * 1. an active emergency (startsAt ≤ t < expiresAt); when several are, the one that started last
 *    (ties: listed first);
 * 2. otherwise the schedule entry occurrence containing t with the highest priority (ties: listed
 *    first). An entry occurs on each local date D inside its inclusive date range and weekdays, over
 *    its window on D; a window whose end is not after its start crosses midnight and still belongs to
 *    D (22:00–06:00 on Friday covers Friday 22:00 to Saturday 06:00);
 * 3. otherwise the default playlist, for that local date.
 * A *segment* is a maximal stretch with the same thing on air (an occurrence on a given date, the
 * default on a given date, or an emergency). Each segment starts its playlist from the top at the
 * segment's start and cycles it until the segment ends, cutting the last item short. Positions are
 * therefore a function of the clock alone: a restart resumes where the plan says.
 */
import type { BundleManifest, Emergency, MediaItem, MediaKind, Playlist, ScheduleEntry } from './content.js';
import { coded } from './errors.js';
import {
  contentGaps,
  emergencySlots,
  type LanguagePolicy,
  passesPerCycle,
  passSlots,
} from './language-policy.js';
import type { ContentGap, PlannedItem, PlanSource } from './schedule.js';
import {
  addDays,
  assertTimeZone,
  DAY_MS,
  localParts,
  parseLocalTime,
  startOfLocalDay,
  weekdayOf,
  zonedInstant,
  zoneOffsetMs,
} from './zoned-time.js';

export class ScheduleError extends coded('SCHEDULE_INVALID') {}
export const isScheduleError = (e: unknown): e is ScheduleError => e instanceof ScheduleError;

/**
 * How long an item stays up when neither the playlist entry nor the item gives a duration. The
 * manifest does not carry a video's own length, so a video without a duration gets 30 s (looped or
 * held on its last frame by the player, per the item's `loop`).
 */
export const DEFAULT_DURATIONS_MS: Readonly<Record<MediaKind, number>> = Object.freeze({
  image: 10_000,
  text: 10_000,
  html: 15_000,
  video: 30_000,
});

/** A timeline longer than this many items is refused (a year of 1-second items would be 31 M). */
export const MAX_TIMELINE_ITEMS = 1_000_000;
/** A timeline longer than this is refused before any work is done. */
export const MAX_TIMELINE_SPAN_MS = 62 * DAY_MS;

/** The part of the gate's config the engine reads (GateConfig fits). */
export interface EngineGate extends LanguagePolicy {
  /** IANA zone; the schedule's own `timezone`, when set, wins. */
  timezone: string;
}

export interface ScheduleEngineOptions {
  defaultDurationsMs?: Partial<Record<MediaKind, number>>;
}

/** A maximal stretch of time with one thing on air. */
export interface Segment {
  source: PlanSource;
  playlistId: string;
  scheduleEntryId?: string;
  emergencyId?: string;
  /** The local date the occurrence (or default day) belongs to; absent for emergencies and time-unknown. */
  date?: string;
  /** Epoch ms; the playlist starts from its top here. */
  startAt: number;
  /** Epoch ms, exclusive; Infinity when the time is unknown. */
  endAt: number;
}

export interface PlanOptions {
  /**
   * Set when the clock cannot be trusted: the default playlist plays (source 'time-unknown'),
   * cycling from this instant (the caller's own clock, e.g. when it lost trust in the time), and
   * schedule entries and emergencies are ignored since their times cannot be placed.
   */
  timeUnknownSince?: number;
}

export interface NowPlaying {
  /** The item on screen at t (its startAt ≤ t < startAt + durationMs), if anything plays. */
  current: PlannedItem | undefined;
  /** The item after it (possibly from the next segment), found within two days. */
  next: PlannedItem | undefined;
  segment: Segment;
}

export interface ScheduleEngine {
  /** The zone the schedule is evaluated in. */
  readonly timezone: string;
  segmentAt(t: number, options?: PlanOptions): Segment;
  now(t: number, options?: PlanOptions): NowPlaying;
  /**
   * Every planned item overlapping [from, to), in order, back to back: each item starts where the
   * previous one ends. The first may start before `from`, the last may end after `to`.
   */
  timeline(from: number, to: number, options?: PlanOptions): PlannedItem[];
  /** The bundle's content gaps for this gate (see language-policy.ts). */
  contentGaps(): ContentGap[];
}

interface Occurrence {
  entryIndex: number;
  entry: ScheduleEntry;
  date: string;
  startAt: number;
  endAt: number;
}

interface Choice {
  key: string;
  source: PlanSource;
  playlistId: string;
  entry?: ScheduleEntry;
  emergency?: Emergency;
  date?: string;
  /** Bounds the segment can't extend past. */
  lower: number;
  upper: number;
}

interface CycleSlot {
  itemId: string;
  kind: MediaKind;
  language: string;
  forLanguage: string;
  durationMs: number;
  /** Offset of the slot in the cycle. */
  offsetMs: number;
}

interface Cycle {
  slots: CycleSlot[];
  totalMs: number;
  playlistId: string;
  transition: 'cut' | 'fade';
  fadeMs: number;
}

const EMPTY: Cycle = { slots: [], totalMs: 0, playlistId: '', transition: 'cut', fadeMs: 0 };

export function createScheduleEngine(
  manifest: BundleManifest,
  gate: EngineGate,
  options: ScheduleEngineOptions = {},
): ScheduleEngine {
  const timezone = manifest.schedule.timezone ?? gate.timezone;
  assertTimeZone(timezone);
  if (gate.languages.length === 0) throw new ScheduleError('the gate has no languages');
  const durations = { ...DEFAULT_DURATIONS_MS, ...options.defaultDurationsMs };
  const items = new Map<string, MediaItem>(manifest.items.map((i) => [i.id, i]));
  const playlists = new Map<string, Playlist>(manifest.playlists.map((p) => [p.id, p]));
  const entries = manifest.schedule.entries;
  const emergencies = manifest.emergencies.map((e, index) => ({
    e,
    index,
    startsAt: Date.parse(e.startsAt),
    expiresAt: Date.parse(e.expiresAt),
  }));
  const defaultId = manifest.schedule.defaultPlaylistId;
  if (!playlists.has(defaultId)) throw new ScheduleError(`default playlist "${defaultId}" does not exist`);
  for (const e of entries) {
    if (!playlists.has(e.playlistId))
      throw new ScheduleError(`schedule entry "${e.id}" names unknown playlist "${e.playlistId}"`);
  }

  // --- local days, cached: Intl calls dominate the cost otherwise -------------------------------
  const dayStarts = new Map<string, number>();
  function dayStart(date: string): number {
    let v = dayStarts.get(date);
    if (v === undefined) {
      v = startOfLocalDay(timezone, date);
      if (dayStarts.size > 4096) dayStarts.clear();
      dayStarts.set(date, v);
    }
    return v;
  }
  /**
   * zonedInstant(timezone, date, ms) from cached midnights: where the days around `date` are all
   * 24 h long (no offset change), the instant is that midnight plus `ms`; Intl only near a change.
   */
  function instantOn(date: string, ms: number): number {
    if (ms >= DAY_MS) return instantOn(addDays(date, 1), ms - DAY_MS);
    const start = dayStart(date);
    const prev = addDays(date, -1);
    const next = addDays(date, 1);
    const steady =
      start - dayStart(prev) === DAY_MS &&
      dayStart(next) - start === DAY_MS &&
      dayStart(addDays(next, 1)) - dayStart(next) === DAY_MS;
    return steady ? start + ms : zonedInstant(timezone, date, ms);
  }
  /** The local date at t, from cached midnights (Intl only for a first guess near new dates). */
  let guessOffsetMs: number | undefined;
  function localDateAt(t: number): string {
    guessOffsetMs ??= zoneOffsetMs(timezone, t);
    let date = new Date(t + guessOffsetMs).toISOString().slice(0, 10);
    for (let i = 0; i < 3; i++) {
      if (t < dayStart(date)) date = addDays(date, -1);
      else if (t >= dayStart(addDays(date, 1))) date = addDays(date, 1);
      else return date;
    }
    // Far from the guess (a zone with a large offset change): ask Intl, and remember its offset.
    guessOffsetMs = zoneOffsetMs(timezone, t);
    return localParts(timezone, t).date;
  }

  // --- occurrences of schedule entries, per local date ------------------------------------------
  const occCache = new Map<string, Occurrence[]>();
  function occurrencesOn(date: string): Occurrence[] {
    const hit = occCache.get(date);
    if (hit) return hit;
    const weekday = weekdayOf(date);
    const out: Occurrence[] = [];
    entries.forEach((entry, entryIndex) => {
      if (entry.from && date < entry.from) return;
      if (entry.to && date > entry.to) return;
      if (entry.weekdays && !entry.weekdays.includes(weekday)) return;
      let startAt: number;
      let endAt: number;
      if (entry.window) {
        const s = parseLocalTime(entry.window.start);
        let e = parseLocalTime(entry.window.end);
        if (e <= s) e += DAY_MS;
        startAt = instantOn(date, s);
        endAt = instantOn(date, e);
      } else {
        startAt = dayStart(date);
        endAt = dayStart(addDays(date, 1));
      }
      // A window lying wholly inside a DST gap has no instants at all.
      if (endAt > startAt) out.push({ entryIndex, entry, date, startAt, endAt });
    });
    if (occCache.size > 128) occCache.clear();
    occCache.set(date, out);
    return out;
  }

  function choiceAt(t: number): Choice {
    let em: (typeof emergencies)[number] | undefined;
    for (const x of emergencies) {
      if (x.startsAt <= t && t < x.expiresAt && (!em || x.startsAt > em.startsAt)) em = x;
    }
    if (em) {
      return {
        key: `e:${em.index}`,
        source: 'emergency',
        playlistId: `emergency:${em.e.id}`,
        emergency: em.e,
        lower: em.startsAt,
        upper: em.expiresAt,
      };
    }
    const today = localDateAt(t);
    let best: Occurrence | undefined;
    for (const date of [addDays(today, -1), today]) {
      for (const o of occurrencesOn(date)) {
        if (o.startAt > t || t >= o.endAt) continue;
        if (
          !best ||
          o.entry.priority > best.entry.priority ||
          (o.entry.priority === best.entry.priority && o.entryIndex < best.entryIndex)
        )
          best = o;
      }
    }
    if (best) {
      return {
        key: `s:${best.entryIndex}:${best.date}`,
        source: 'schedule',
        playlistId: best.entry.playlistId,
        entry: best.entry,
        date: best.date,
        lower: best.startAt,
        upper: best.endAt,
      };
    }
    return {
      key: `d:${today}`,
      source: 'default',
      playlistId: defaultId,
      date: today,
      lower: dayStart(today),
      upper: dayStart(addDays(today, 1)),
    };
  }

  /** Every instant within two local days of `today` at which what is on air may change, sorted. */
  const boundaryCache = new Map<string, number[]>();
  function boundariesAround(today: string): number[] {
    const hit = boundaryCache.get(today);
    if (hit) return hit;
    const set = new Set<number>();
    for (let d = -2; d <= 2; d++) {
      const date = addDays(today, d);
      set.add(dayStart(date));
      for (const o of occurrencesOn(date)) {
        set.add(o.startAt);
        set.add(o.endAt);
      }
    }
    for (const x of emergencies) {
      set.add(x.startsAt);
      set.add(x.expiresAt);
    }
    const sorted = [...set].sort((a, b) => a - b);
    if (boundaryCache.size > 64) boundaryCache.clear();
    boundaryCache.set(today, sorted);
    return sorted;
  }

  /** Every instant near t at which what is on air may change, inside (lower, upper). */
  function boundariesNear(t: number, lower: number, upper: number): number[] {
    return boundariesAround(localDateAt(t)).filter((b) => b > lower && b < upper);
  }

  // A segment is the same answer for every instant inside it, so recent ones are reused.
  const recentSegments: Segment[] = [];

  function segmentAt(t: number, opts: PlanOptions = {}): Segment {
    checkTime(t, 't');
    if (opts.timeUnknownSince !== undefined) {
      checkTime(opts.timeUnknownSince, 'timeUnknownSince');
      return {
        source: 'time-unknown',
        playlistId: defaultId,
        startAt: opts.timeUnknownSince,
        endAt: Infinity,
      };
    }
    const hit = recentSegments.find((s) => s.startAt <= t && t < s.endAt);
    if (hit) return { ...hit };
    const seg = computeSegment(t);
    recentSegments.unshift(seg);
    if (recentSegments.length > 8) recentSegments.pop();
    return { ...seg };
  }

  function computeSegment(t: number): Segment {
    const c = choiceAt(t);
    let startAt = c.lower;
    let endAt = c.upper;
    if (c.source === 'emergency') {
      // Only a later-starting emergency can interrupt one.
      const me = emergencies.find((x) => x.e === c.emergency)!;
      for (const x of emergencies) {
        if (x === me || x.startsAt < me.startsAt || (x.startsAt === me.startsAt && x.index > me.index))
          continue;
        if (x.expiresAt <= t && x.expiresAt > startAt) startAt = x.expiresAt;
        if (x.startsAt > t && x.startsAt < endAt) endAt = x.startsAt;
      }
    } else {
      // Schedule entries are bounded to two days, so this scan is short: walk out from t until
      // what is on air differs.
      const bs = boundariesNear(t, c.lower, c.upper);
      for (let i = bs.length - 1; i >= 0; i--) {
        const b = bs[i]!;
        if (b > t) continue;
        if (choiceAt(b - 1).key !== c.key) {
          startAt = b;
          break;
        }
      }
      for (const b of bs) {
        if (b <= t) continue;
        if (choiceAt(b).key !== c.key) {
          endAt = b;
          break;
        }
      }
    }
    const seg: Segment = { source: c.source, playlistId: c.playlistId, startAt, endAt };
    if (c.entry) seg.scheduleEntryId = c.entry.id;
    if (c.emergency) seg.emergencyId = c.emergency.id;
    if (c.date) seg.date = c.date;
    return seg;
  }

  // --- cycles: a playlist (or emergency) unrolled into timed language slots ------------------------
  const cycles = new Map<string, Cycle>();
  const policy: LanguagePolicy = { languages: gate.languages, missingVariant: gate.missingVariant };

  function playlistCycle(id: string): Cycle {
    const hit = cycles.get(id);
    if (hit) return hit;
    const p = playlists.get(id)!;
    const slots: CycleSlot[] = [];
    let offset = 0;
    for (let pass = 0; pass < passesPerCycle(p, policy); pass++) {
      for (const s of passSlots(p, items, policy, pass)) {
        const item = items.get(s.itemId)!;
        const durationMs = p.entries[s.entryIndex]!.durationMs ?? item.durationMs ?? durations[item.kind];
        slots.push({ ...stripEntry(s), kind: item.kind, durationMs, offsetMs: offset });
        offset += durationMs;
      }
    }
    const cycle = { slots, totalMs: offset, playlistId: id, transition: p.transition, fadeMs: p.fadeMs };
    cycles.set(id, cycle);
    return cycle;
  }

  function emergencyCycle(e: Emergency): Cycle {
    const key = `emergency:${e.id}`;
    const hit = cycles.get(key);
    if (hit) return hit;
    let langs = emergencySlots(e, policy);
    // An emergency is never silenced by the language policy: with none of the gate's languages it
    // shows the languages it has (the gap is still reported).
    if (langs.length === 0) langs = Object.keys(e.text).map((l) => ({ language: l, forLanguage: l }));
    const slots = langs.map((l, i) => ({
      itemId: e.id,
      kind: 'text' as const,
      language: l.language,
      forLanguage: l.forLanguage,
      durationMs: e.perLanguageMs,
      offsetMs: i * e.perLanguageMs,
    }));
    const cycle: Cycle = {
      slots,
      totalMs: slots.length * e.perLanguageMs,
      playlistId: key,
      transition: 'cut',
      fadeMs: 0,
    };
    cycles.set(key, cycle);
    return cycle;
  }

  function cycleFor(seg: Segment): Cycle {
    if (seg.source === 'emergency')
      return emergencyCycle(manifest.emergencies.find((e) => e.id === seg.emergencyId)!);
    const own = playlistCycle(seg.playlistId);
    if (own.totalMs > 0) return own;
    // Nothing in this playlist can be shown in the gate's languages: rather than a black screen,
    // play the default playlist in its place.
    const fallback = playlistCycle(defaultId);
    return fallback.totalMs > 0 ? fallback : EMPTY;
  }

  /** Visits the items of `seg` overlapping [from, to); stops when visit returns false. */
  function walkSegment(seg: Segment, from: number, to: number, visit: (p: PlannedItem) => boolean): boolean {
    const cycle = cycleFor(seg);
    if (cycle.totalMs === 0) return true;
    const end = Math.min(to, seg.endAt);
    const pos = Math.max(from, seg.startAt) - seg.startAt;
    let base = seg.startAt + Math.floor(pos / cycle.totalMs) * cycle.totalMs;
    let i = slotIndexAt(cycle, pos % cycle.totalMs);
    for (;;) {
      const slot = cycle.slots[i]!;
      const startAt = base + slot.offsetMs;
      if (startAt >= end) return true;
      const planned: PlannedItem = {
        startAt,
        durationMs: Math.min(slot.durationMs, seg.endAt - startAt),
        source: seg.source,
        playlistId: cycle.playlistId,
        itemId: slot.itemId,
        kind: slot.kind,
        language: slot.language,
        forLanguage: slot.forLanguage,
        transition: cycle.transition,
        fadeMs: cycle.fadeMs,
      };
      if (planned.durationMs < slot.durationMs) planned.wholeDurationMs = slot.durationMs;
      if (seg.scheduleEntryId !== undefined) planned.scheduleEntryId = seg.scheduleEntryId;
      if (seg.emergencyId !== undefined) planned.emergencyId = seg.emergencyId;
      if (!visit(planned)) return false;
      i++;
      if (i === cycle.slots.length) {
        i = 0;
        base += cycle.totalMs;
      }
    }
  }

  function walk(from: number, to: number, opts: PlanOptions, visit: (p: PlannedItem) => boolean): void {
    let t = from;
    while (t < to) {
      const seg = segmentAt(t, opts);
      if (!walkSegment(seg, t, to, visit)) return;
      t = seg.endAt;
    }
  }

  function timeline(from: number, to: number, opts: PlanOptions = {}): PlannedItem[] {
    checkTime(from, 'from');
    checkTime(to, 'to');
    if (to - from > MAX_TIMELINE_SPAN_MS)
      throw new ScheduleError(
        `timeline longer than ${MAX_TIMELINE_SPAN_MS / DAY_MS} days; ask for a shorter interval`,
      );
    const out: PlannedItem[] = [];
    walk(from, to, opts, (p) => {
      if (out.length >= MAX_TIMELINE_ITEMS)
        throw new ScheduleError(
          `timeline longer than ${MAX_TIMELINE_ITEMS} items; ask for a shorter interval`,
        );
      out.push(p);
      return true;
    });
    return out;
  }

  function firstFrom(t: number, opts: PlanOptions): PlannedItem | undefined {
    let found: PlannedItem | undefined;
    walk(t, t + 2 * DAY_MS, opts, (p) => {
      found = p;
      return false;
    });
    return found;
  }

  function now(t: number, opts: PlanOptions = {}): NowPlaying {
    const segment = segmentAt(t, opts);
    let current: PlannedItem | undefined;
    walk(t, t + 1, opts, (p) => {
      current = p;
      return false;
    });
    const next = firstFrom(current ? current.startAt + current.durationMs : t, opts);
    return { current, next, segment };
  }

  return {
    timezone,
    segmentAt,
    now,
    timeline,
    contentGaps: () => contentGaps(manifest, policy),
  };
}

function stripEntry(s: { itemId: string; language: string; forLanguage: string }) {
  return { itemId: s.itemId, language: s.language, forLanguage: s.forLanguage };
}

function slotIndexAt(cycle: Cycle, offset: number): number {
  let lo = 0;
  let hi = cycle.slots.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (cycle.slots[mid]!.offsetMs <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function checkTime(t: number, name: string): void {
  // Dates reach ±8.64e15 ms; leave room for the days either side the engine looks at.
  if (!Number.isFinite(t) || Math.abs(t) > 8.64e15 - 10 * DAY_MS)
    throw new ScheduleError(`${name} must be an epoch ms within the range of dates, got ${t}`);
}

/** The content a planned item shows: the item's variant in the planned language, or an emergency's text. */
export type PlannedContent =
  | { kind: 'emergency'; emergency: Emergency; text: Emergency['text'][string] }
  | { kind: 'item'; item: MediaItem; variant: MediaItem['variants'][string] };

export function plannedContent(
  manifest: Pick<BundleManifest, 'items' | 'emergencies'>,
  p: Pick<PlannedItem, 'source' | 'itemId' | 'emergencyId' | 'language'>,
): PlannedContent | undefined {
  if (p.source === 'emergency') {
    const emergency = manifest.emergencies.find((e) => e.id === p.emergencyId);
    const text = emergency?.text[p.language];
    return emergency && text ? { kind: 'emergency', emergency, text } : undefined;
  }
  const item = manifest.items.find((i) => i.id === p.itemId);
  const variant = item
    ? (item.variants as Record<string, MediaItem['variants'][string]>)[p.language]
    : undefined;
  return item && variant ? { kind: 'item', item, variant } : undefined;
}
