/**
 * The port the player loop drives: a screen showing slides. `ChromiumSupervisor` (player/browser/)
 * is the real one; `MemorySurface` is its twin for unit tests.
 */
import type { PageReport, PageReports, Slide } from './slide.js';

export interface PlayerSurface extends PageReports {
  /** Queues a slide: the page preloads it and switches to it at `slide.startAt`. */
  enqueue(slide: Slide): Promise<void>;
  /** Drops the waiting slides (what is on air stays until the first of these is ready) and queues these. */
  replace(slides: Slide[]): Promise<void>;
  /** A PNG of what is on screen now. */
  screenshot(): Promise<Buffer>;
  /** Reloads the page, then shows again what was on air and waiting. */
  reload(): Promise<void>;
  /** Restarts the browser, then shows again what was on air and waiting. */
  restart(reason: string): Promise<void>;
  /**
   * Shows a notice over the content until `untilEpochMs` (identify, the technician's button), or
   * clears it with null. It survives page reloads and browser restarts until it expires.
   */
  notice(notice: Notice | null): Promise<void>;
}

/** Lines shown large over the content (e.g. the device id, its addresses and state). */
export interface Notice {
  lines: string[];
  untilEpochMs: number;
}

/**
 * In-memory twin: records what it was asked to do. `startDue(now)` plays the page's part: every
 * queued slide whose start has come is reported as started (or as failed, if `fail()` marked it).
 */
export class MemorySurface implements PlayerSurface {
  readonly enqueued: Slide[] = [];
  readonly replaced: Slide[][] = [];
  readonly restarts: string[] = [];
  reloads = 0;
  onAir: Slide | undefined;
  private queue: Slide[] = [];
  private readonly failing = new Map<string, string>();
  private readonly listeners = new Set<(r: PageReport) => void>();

  async enqueue(slide: Slide): Promise<void> {
    this.enqueued.push(slide);
    this.queue.push(slide);
    this.queue.sort((a, b) => a.startAt - b.startAt);
  }

  async replace(slides: Slide[]): Promise<void> {
    this.replaced.push(slides);
    this.queue = [...slides].sort((a, b) => a.startAt - b.startAt);
  }

  async screenshot(): Promise<Buffer> {
    throw new Error('MemorySurface cannot take screenshots');
  }

  async reload(): Promise<void> {
    this.reloads++;
  }

  async restart(reason: string): Promise<void> {
    this.restarts.push(reason);
  }

  readonly notices: (Notice | null)[] = [];
  async notice(notice: Notice | null): Promise<void> {
    this.notices.push(notice);
  }

  onReport(listener: (r: PageReport) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The next load of this slide fails with `reason`. */
  fail(slideId: string, reason = 'cannot load'): void {
    this.failing.set(slideId, reason);
  }

  /** Starts (or fails) every queued slide due by `now`, in order; returns the ids started. */
  startDue(now: number): string[] {
    const started: string[] = [];
    while (this.queue.length && this.queue[0]!.startAt <= now) {
      const slide = this.queue.shift()!;
      const reason = this.failing.get(slide.id);
      if (reason) {
        this.emit({ type: 'error', pageId: 'memory', slideId: slide.id, reason });
        continue;
      }
      this.onAir = slide;
      started.push(slide.id);
      this.emit({
        type: 'started',
        pageId: 'memory',
        slideId: slide.id,
        startAt: slide.startAt,
        actualStart: slide.startAt === 0 ? now : slide.startAt,
      });
    }
    return started;
  }

  get waiting(): readonly Slide[] {
    return this.queue;
  }

  private emit(r: PageReport): void {
    for (const l of this.listeners) l(r);
  }
}
