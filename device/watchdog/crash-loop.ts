import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../platform/atomic-file.js';
import type { Clock } from '../../protocol/clock.js';
import type { Logger } from '../../platform/log.js';

/** The event the sync client sends on its next connect (then calls `acknowledge`). */
export interface CrashLoopEvent {
  type: 'crash-loop';
  /** Starts counted inside the window when the loop was noticed. */
  starts: number;
  windowMs: number;
  firstAt: string;
  lastAt: string;
}

export interface CrashLoopOptions {
  /** Starts closer together than this count towards a loop. */
  windowMs: number;
  /** This many starts inside the window is a crash loop. */
  threshold: number;
}

export const DEFAULT_CRASH_LOOP: CrashLoopOptions = { windowMs: 10 * 60_000, threshold: 5 };

interface StartsFile {
  v: 1;
  starts: number[];
  pending: CrashLoopEvent[];
}

/** The state after one more start at `nowMs`: a pure step, so the rule is testable without files. */
export function recordStartIn(prev: StartsFile, nowMs: number, o: CrashLoopOptions): StartsFile {
  const starts = [...prev.starts.filter((t) => nowMs - t < o.windowMs && t <= nowMs), nowMs].slice(
    -o.threshold * 2,
  );
  const pending = [...prev.pending];
  const last = pending[pending.length - 1];
  if (starts.length >= o.threshold) {
    const ev: CrashLoopEvent = {
      type: 'crash-loop',
      starts: starts.length,
      windowMs: o.windowMs,
      firstAt: new Date(starts[0]!).toISOString(),
      lastAt: new Date(nowMs).toISOString(),
    };
    // one loop is one event: extend the open one instead of piling up an event per restart
    if (last && nowMs - Date.parse(last.lastAt) < o.windowMs)
      pending[pending.length - 1] = { ...ev, firstAt: last.firstAt, starts: last.starts + 1 };
    else pending.push(ev);
  }
  return { v: 1, starts, pending: pending.slice(-20) };
}

/**
 * Counts daemon starts in `<dataDir>/starts.json`. One small atomic write per start and one per
 * acknowledgement: a few writes a day on a healthy box, so the SD card does not notice.
 */
export class CrashLoopCounter {
  private readonly file: string;
  private state: StartsFile = { v: 1, starts: [], pending: [] };

  constructor(
    dataDir: string,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly opts: CrashLoopOptions = DEFAULT_CRASH_LOOP,
  ) {
    this.file = join(dataDir, 'starts.json');
  }

  /**
   * Call once at start-up. Returns whether this start is part of a crash loop. Never fails for
   * want of disk: a start that cannot be written (a full disk, a read-only remount) is counted in
   * memory only and `notSaved` says why, so the screen still comes up and the fault is reported.
   */
  async recordStart(): Promise<{ startsInWindow: number; isCrashLoop: boolean; notSaved?: string }> {
    this.state = recordStartIn(await this.load(), this.clock.now(), this.opts);
    let notSaved: string | undefined;
    try {
      await writeFileAtomic(this.file, JSON.stringify(this.state));
    } catch (err) {
      notSaved = `${(err as { code?: string }).code ?? 'error'}: ${(err as Error).message}`;
      this.log.error('start not recorded: starts.json cannot be written', { err });
    }
    const isCrashLoop = this.state.starts.length >= this.opts.threshold;
    if (isCrashLoop)
      this.log.error('crash loop', {
        startsInWindow: this.state.starts.length,
        windowMs: this.opts.windowMs,
      });
    return { startsInWindow: this.state.starts.length, isCrashLoop, ...(notSaved ? { notSaved } : {}) };
  }

  /** Events not yet acknowledged by the server, oldest first. */
  pending(): readonly CrashLoopEvent[] {
    return this.state.pending;
  }

  /** The server stored these events: forget them (one write). */
  async acknowledge(count = this.state.pending.length): Promise<void> {
    if (count <= 0) return;
    this.state = { ...this.state, pending: this.state.pending.slice(count) };
    try {
      await writeFileAtomic(this.file, JSON.stringify(this.state));
    } catch (err) {
      // Acknowledged in memory; at worst the server hears of the loop again after a restart.
      this.log.warn('acknowledgement not recorded: starts.json cannot be written', { err });
    }
  }

  private async load(): Promise<StartsFile> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch {
      return { v: 1, starts: [], pending: [] }; // first start on this box
    }
    try {
      const raw = JSON.parse(text) as Partial<StartsFile>;
      const starts = Array.isArray(raw.starts) ? raw.starts.filter((n) => typeof n === 'number') : [];
      const pending = Array.isArray(raw.pending) ? raw.pending.filter((e) => e?.type === 'crash-loop') : [];
      return { v: 1, starts, pending };
    } catch (err) {
      // the counter is advisory: a damaged file restarts the count rather than stopping the daemon
      this.log.warn('starts.json unreadable; starting the count afresh', { err });
      return { v: 1, starts: [], pending: [] };
    }
  }
}
