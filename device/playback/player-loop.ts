/**
 * Drives the screen from the plan. It asks `planAt(t)` what is on air and what comes next, resolves
 * each planned item into a slide, and queues it on the surface at least `leadMs` before its start,
 * so the page has the whole previous item's time to load and decode it. The page itself switches
 * on the planned time; this loop only keeps its queue filled.
 *
 * It emits one `started` event when an item goes on air (from the page's own `started` report: the
 * actual start is the frame it went on air), one `played` event per item actually shown once it has
 * left the air (its duration is the time it was really up: until the next slide's first frame, or
 * the loop's stop), and one `skipped` event per item that could not be shown.
 *
 * A bundle switch (or any start-over) replaces the queue with what the new plan has on air; when
 * that is the showing already on air (same item, language, variant, playlist and source, under
 * another slide id because the new plan times its slot differently), it is one showing that goes on,
 * not a second one: proof of play records it once, from its first frame to its real end.
 *
 * Fair starts (docs/playback.md): a start-over lands mid-item. When enough of that item is left
 * (`fairStartLeadIn`), it goes on air at once for the rest of its slot and is recorded as partial;
 * when too little is left to be worth a flash, the next item goes on air at once instead and stays
 * until its own planned end, a whole play. Either way the screen is in step with the plan from the
 * next item boundary. Any showing up for less than its item's whole length is `partial`.
 */

import type { PageReport } from '../../player/slide.js';
import type { PlayerSurface } from '../../player/surface.js';
import type { Clock } from '../../protocol/clock.js';
import { createLogger, type Logger } from '../../platform/log.js';
import type { PlannedItem } from '../../protocol/schedule.js';
import type { ContentSource } from '../content/installed.js';
import type { PopRegion } from '../../protocol/proof-of-play.js';
import {
  describeItem,
  type RegionShowing,
  resolveSlide,
  slideId,
  type VariantRef,
  waitingCard,
} from './resolve-slide.js';

/** What is on air at a time, and what follows it. */
export interface PlanWindow {
  current?: PlannedItem;
  next?: PlannedItem;
}
/** The schedule engine, seen from the player: a pure function of time (the bundle is its own input). */
export type PlanAt = (now: number) => PlanWindow;

/** One item shown: what proof of play records. */
export interface PlayEvent {
  item: PlannedItem;
  slideId: string;
  language: string;
  variant: VariantRef;
  siteGroup: string;
  bundleVersion: number;
  /** Epoch ms the plan said. */
  scheduledStart: number;
  /** Epoch ms of the animation frame the item went on air in. */
  actualStart: number;
  /** Time really on air: from that frame to the first frame of what replaced it (or the loop's stop). */
  durationMs: number;
  /**
   * Set when the item was not shown whole (`isWholeShowing`): joined mid-item, or cut short by an
   * emergency, a schedule or bundle change, or the player stopping. Absent on whole plays.
   */
  partial?: true;
  /**
   * Shown in a layout's side or footer region (which loops its own playlist); absent: main. Its
   * source and schedule entry are those of main's showing that brought the layout on air.
   */
  region?: PopRegion;
}

/** An item that went on air (its `played` event follows when it leaves the air). */
export type StartEvent = Omit<PlayEvent, 'durationMs' | 'partial'>;

/** An item that could not be shown (missing variant or file, failed to load, too late). */
export interface SkipEvent {
  item: PlannedItem;
  slideId: string;
  reason: string;
  at: number;
  /** The item's title and the variant's file, when the bundle names them (for the event and alert). */
  title?: string;
  file?: string;
}

export interface PlayerLoopOptions {
  surface: PlayerSurface;
  content: ContentSource;
  planAt: PlanAt;
  clock: Clock;
  /** The zone is the config's, for a layout's clock when the bundle's schedule names none. */
  gate: { name: string; languages: readonly string[]; timezone?: string };
  deviceId?: string;
  /** Queue each slide this long before its start (at least ~1 s for decoding). */
  leadMs?: number;
  /** When nothing is planned, look again after this long. */
  idleRetryMs?: number;
  log?: Logger;
}

interface Sent {
  item: PlannedItem;
  variant: VariantRef;
  siteGroup: string;
  bundleVersion: number;
}

const MAX_REMEMBERED = 64;
/** Region slides remembered (a layout's side and footer slides, by the id the page gets). */
const MAX_REGION_REMEMBERED = 400;
/** How far the clock may jump past the queue before the loop starts over from "now". */
const JUMP_MS = 5000;
const MAX_SKIPS_PER_FILL = 50;
/**
 * Joining mid-item, the rest of the item on air is shown only when at least this much of it is left
 * (and at least half of the item): less would be a flash, so the next item goes on air instead.
 */
export const FAIR_START_MIN_LEAD_IN_MS = 3000;

/**
 * Whether what is left of an item from `now` is worth showing as a lead-in before the next item
 * boundary (it will be recorded as partial), rather than bringing the next item forward.
 */
export function fairStartLeadIn(item: PlannedItem, now: number): boolean {
  const left = item.startAt + item.durationMs - now;
  const whole = item.wholeDurationMs ?? item.durationMs;
  return left >= Math.min(FAIR_START_MIN_LEAD_IN_MS, whole / 2);
}

/**
 * Whether a showing up for `shownMs` was the whole item (`wholeMs` long). The first frame of a slide
 * may come a little after its planned time (decoding), so up to a tenth of the item, at most 1 s,
 * may be missing: a late frame, not a cut.
 */
export function isWholeShowing(shownMs: number, wholeMs: number): boolean {
  return shownMs >= wholeMs - Math.min(1000, wholeMs / 10);
}

export class PlayerLoop {
  private readonly listeners = {
    started: new Set<(e: StartEvent) => void>(),
    played: new Set<(e: PlayEvent) => void>(),
    skipped: new Set<(e: SkipEvent) => void>(),
  };
  private readonly sent = new Map<string, Sent>();
  private readonly regionSent = new Map<string, RegionShowing & Omit<Sent, 'item' | 'variant'>>();
  /** What each side or footer region has on air, recorded when it leaves the air. */
  private readonly regionOnAir = new Map<PopRegion, StartEvent>();
  /** The showing on air, recorded when it leaves the air. */
  private onAir: StartEvent | undefined;
  /** The slide the last start-over put on air at once: it may continue the showing on air. */
  private replacing: string | undefined;
  private lastPlanned: PlannedItem | undefined;
  private timer: NodeJS.Timeout | undefined;
  private offs: (() => void)[] = [];
  private running = false;
  private readonly log: Logger;
  private readonly leadMs: number;

  constructor(private readonly o: PlayerLoopOptions) {
    this.log = o.log ?? createLogger('device:player-loop');
    this.leadMs = o.leadMs ?? 2000;
  }

  start(): void {
    this.running = true;
    this.offs.push(this.o.surface.onReport((r) => this.received(r)));
    this.offs.push(
      this.o.content.onChange((b) => {
        this.log.info('bundle changed; replanning', { siteGroup: b.siteGroup, version: b.version });
        this.restart();
      }),
    );
    this.restart();
  }

  /** Stops the loop; what is on air is recorded as shown until now. */
  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const off of this.offs) off();
    this.offs = [];
    const now = this.o.clock.now();
    this.endOnAir(now);
    for (const region of [...this.regionOnAir.keys()]) this.endRegion(region, now);
  }

  /** Each item as it goes on air (status, LED); `onPlayed` hears of it when it has left the air. */
  onStarted(listener: (e: StartEvent) => void): () => void {
    this.listeners.started.add(listener);
    return () => this.listeners.started.delete(listener);
  }

  onPlayed(listener: (e: PlayEvent) => void): () => void {
    this.listeners.played.add(listener);
    return () => this.listeners.played.delete(listener);
  }

  onSkipped(listener: (e: SkipEvent) => void): () => void {
    this.listeners.skipped.add(listener);
    return () => this.listeners.skipped.delete(listener);
  }

  /** Starts over from "now": what is on air now is shown at once, the queue is replaced. */
  restart(): void {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const now = this.o.clock.now();
    const bundle = this.o.content.current();
    const plan = bundle ? this.plan(now) : {};
    let candidate = plan.current ?? plan.next;
    let extra = plan.current ? plan.next : undefined;
    for (let i = 0; candidate && bundle && i < MAX_SKIPS_PER_FILL; i++) {
      let r = resolveSlide(candidate, bundle, this.o.gate);
      if (r.ok) {
        const onAirNow = candidate.startAt <= now;
        let early = false;
        // Too little left of the item on air to show it (a flash): the next one goes on air now
        // and stays until its own end, unless the item on air is the showing already up.
        if (onAirNow && !fairStartLeadIn(candidate, now) && !this.continuesOnAir(candidate, r.variant)) {
          const after = this.following(candidate);
          const ra = after && resolveSlide(after, bundle, this.o.gate);
          if (after && ra?.ok) {
            this.log.info('fair start: next item brought forward', {
              instead: candidate.itemId,
              itemId: after.itemId,
              leftMs: candidate.startAt + candidate.durationMs - now,
            });
            candidate = after;
            r = ra;
            early = true;
          }
        }
        // On air now: shown as soon as it is loaded rather than at its planned start.
        const immediate =
          onAirNow || early ? { ...r.slide, startAt: 0, transition: 'cut' as const } : r.slide;
        this.remember(candidate, r.variant, bundle.siteGroup, bundle.version, r.regions);
        this.replacing = onAirNow && !early ? r.slide.id : undefined;
        void this.o.surface
          .replace([immediate])
          .catch((err) => this.log.error('surface replace failed', { err }));
        this.lastPlanned = candidate;
        this.fill();
        return;
      }
      this.skip(candidate, r.reason, now);
      candidate = extra ?? this.plan(candidate.startAt + candidate.durationMs).current;
      extra = undefined;
    }
    // Nothing to show: the neutral card, never a black screen.
    this.lastPlanned = undefined;
    void this.o.surface
      .replace([waitingCard(this.o.gate.name, this.o.deviceId, now)])
      .catch((err) => this.log.error('surface replace failed', { err }));
    this.timer = setTimeout(() => this.restart(), this.o.idleRetryMs ?? 5000);
  }

  /** Queues what follows the last planned item until the queue reaches `leadMs` past now. */
  private fill(): void {
    if (!this.running) return;
    this.timer = undefined;
    const now = this.o.clock.now();
    const bundle = this.o.content.current();
    let last = this.lastPlanned;
    if (!bundle || !last) {
      this.restart();
      return;
    }
    const endOf = (p: PlannedItem) => p.startAt + p.durationMs;
    if (now > endOf(last) + JUMP_MS || now < last.startAt - 24 * 3600_000) {
      this.log.warn('clock moved past the queue; starting over', { now, lastStart: last.startAt });
      this.restart();
      return;
    }
    for (let i = 0; endOf(last) - now <= this.leadMs && i < MAX_SKIPS_PER_FILL; i++) {
      const next = this.following(last);
      if (!next) break;
      const r = resolveSlide(next, bundle, this.o.gate);
      if (r.ok) {
        this.remember(next, r.variant, bundle.siteGroup, bundle.version, r.regions);
        void this.o.surface
          .enqueue(r.slide)
          .catch((err) => this.log.error('surface enqueue failed', { err }));
      } else this.skip(next, r.reason, now);
      last = next;
    }
    this.lastPlanned = last;
    const wait = Math.max(50, endOf(last) - this.leadMs - this.o.clock.now());
    this.timer = setTimeout(() => this.fill(), wait);
  }

  /** The item after `prev`, as the plan sees it at the end of `prev`. */
  private following(prev: PlannedItem): PlannedItem | undefined {
    const end = prev.startAt + prev.durationMs;
    const p = this.plan(end);
    const same = (a: PlannedItem, b: PlannedItem) =>
      a.itemId === b.itemId && a.language === b.language && a.startAt === b.startAt;
    const c = p.current;
    if (c && !same(c, prev) && c.startAt > prev.startAt) return c;
    const n = p.next;
    return n && n.startAt > prev.startAt && !same(n, prev) ? n : undefined;
  }

  /** Whether `item` (with `variant`) is the showing already on air, which a start-over continues. */
  private continuesOnAir(item: PlannedItem, variant: VariantRef): boolean {
    return this.onAir !== undefined && sameShowing(this.onAir, { item, variant });
  }

  private plan(t: number): PlanWindow {
    try {
      return this.o.planAt(t);
    } catch (err) {
      this.log.error('planning failed', { at: t, err });
      return {};
    }
  }

  private remember(
    item: PlannedItem,
    variant: VariantRef,
    siteGroup: string,
    bundleVersion: number,
    regions: readonly RegionShowing[] = [],
  ): void {
    this.sent.set(slideId(item), { item, variant, siteGroup, bundleVersion });
    while (this.sent.size > MAX_REMEMBERED) this.sent.delete(this.sent.keys().next().value!);
    for (const r of regions) {
      this.regionSent.delete(r.slideId);
      this.regionSent.set(r.slideId, { ...r, siteGroup, bundleVersion });
    }
    while (this.regionSent.size > MAX_REGION_REMEMBERED)
      this.regionSent.delete(this.regionSent.keys().next().value!);
  }

  private skip(item: PlannedItem, reason: string, at: number, failedFile?: string): void {
    const named = describeItem(item, this.o.content.current(), failedFile);
    this.log.warn('item skipped', { itemId: item.itemId, language: item.language, reason, ...named });
    const e: SkipEvent = { item, slideId: slideId(item), reason, at, ...named };
    for (const l of this.listeners.skipped) l(e);
  }

  private received(r: PageReport): void {
    if (r.type === 'started' && r.region) this.regionStarted(r.region, r.slideId, r.startAt, r.actualStart);
    else if (r.type === 'region-ended') this.endRegion(r.region, r.at);
    else if (r.type === 'started') {
      const s = this.sent.get(r.slideId);
      const on = this.onAir;
      // A restarted browser shows the current slide again; a start-over may put the same showing
      // back on air under the new plan's slide id. Either way the showing goes on: one record.
      if (on && (on.slideId === r.slideId || (r.slideId === this.replacing && s && sameShowing(on, s)))) {
        on.slideId = r.slideId;
        this.replacing = undefined;
        return;
      }
      if (r.slideId === this.replacing) this.replacing = undefined;
      this.endOnAir(r.actualStart);
      // An emergency covers every region: what they show under it is not on screen.
      if (s?.item.source === 'emergency')
        for (const region of [...this.regionOnAir.keys()]) this.endRegion(region, r.actualStart);
      if (!s) return; // the waiting card, or a slide forgotten since
      const e: StartEvent = {
        item: s.item,
        slideId: r.slideId,
        language: s.item.language,
        variant: s.variant,
        siteGroup: s.siteGroup,
        bundleVersion: s.bundleVersion,
        scheduledStart: s.item.startAt,
        actualStart: r.actualStart,
      };
      this.onAir = e;
      for (const l of this.listeners.started) l(e);
    } else if (r.type === 'error') {
      const s = this.sent.get(r.slideId);
      if (s) this.skip(s.item, r.reason, this.o.clock.now(), s.variant.targetPath);
    }
  }

  /**
   * A side or footer region put a slide on air (the page's id is the layout's `#<round>`): the
   * region's previous showing ends there, and this one is recorded when it leaves the air. Under an
   * emergency nothing of a region is on screen, so nothing is recorded.
   */
  private regionStarted(region: PopRegion, pageSlideId: string, startAt: number, actualStart: number): void {
    this.endRegion(region, actualStart);
    const s = this.regionSent.get(pageSlideId.replace(/#\d+$/, ''));
    const main = this.onAir;
    if (!s || s.region !== region || main?.item.source === 'emergency') return;
    const { scheduleEntryId: _none, ...own } = s.item;
    const item: PlannedItem = {
      ...own,
      // The region loops on the page's own time: its slot is the one the page planned (a page time,
      // fractional milliseconds; a planned start is whole milliseconds).
      startAt: Math.round(startAt > 0 ? startAt : actualStart),
      ...(main
        ? {
            source: main.item.source,
            ...(main.item.scheduleEntryId ? { scheduleEntryId: main.item.scheduleEntryId } : {}),
          }
        : {}),
    };
    this.regionOnAir.set(region, {
      item,
      slideId: pageSlideId,
      language: item.language,
      variant: s.variant,
      siteGroup: s.siteGroup,
      bundleVersion: s.bundleVersion,
      scheduledStart: item.startAt,
      actualStart,
      region,
    });
  }

  /** A region's showing left the air at `end` (its next slide, the region emptied, an emergency, the stop). */
  private endRegion(region: PopRegion, end: number): void {
    const on = this.regionOnAir.get(region);
    if (!on) return;
    this.regionOnAir.delete(region);
    const durationMs = Math.max(0, end - on.actualStart);
    const whole = isWholeShowing(durationMs, on.item.durationMs);
    const e: PlayEvent = { ...on, durationMs, ...(whole ? {} : { partial: true as const }) };
    for (const l of this.listeners.played) l(e);
  }

  /** The showing on air left it at `end` (the next slide's first frame, or the loop's stop). */
  private endOnAir(end: number): void {
    const on = this.onAir;
    if (!on) return;
    this.onAir = undefined;
    const durationMs = Math.max(0, end - on.actualStart);
    const whole = isWholeShowing(durationMs, on.item.wholeDurationMs ?? on.item.durationMs);
    const e: PlayEvent = { ...on, durationMs, ...(whole ? {} : { partial: true as const }) };
    for (const l of this.listeners.played) l(e);
  }
}

/** Whether a slide sent now shows what is already on air (same item, language, variant and slot kind). */
function sameShowing(on: StartEvent, s: Pick<Sent, 'item' | 'variant'>): boolean {
  return (
    on.item.itemId === s.item.itemId &&
    on.item.language === s.item.language &&
    on.item.playlistId === s.item.playlistId &&
    on.item.source === s.item.source &&
    on.variant.sha256 === s.variant.sha256
  );
}
