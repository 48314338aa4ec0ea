/**
 * Records the database could not take (a full disk: SQLITE_FULL, ENOSPC; or an I/O error) wait here,
 * in memory, in order, and are written again on the next record and on a backed-off timer (never a
 * busy loop). The buffer is bounded: past `maxRecords` the oldest go, and what went is kept as one
 * lost span (how many, from when to when, why) that the writer receives with the next write, so it
 * can record the hole (a gap record in the proof-of-play chain, a marker in the next health sample,
 * an event). A write gets everything waiting, lost span first: all of it is stored, or none.
 */
import { backoffDelayMs } from '../../protocol/backoff.js';
import type { Logger } from '../../platform/log.js';
import { isDiskFullError } from '../content/free-space.js';
import type { Timers } from '../timers.js';

export interface LostSpan {
  count: number;
  /** The first lost record's time and the last one's end (epoch ms). */
  fromAt: number;
  toAt: number;
  reason: 'buffer-full' | 'process-ended';
  /** The write error that held them back. */
  error: string;
}

export interface PendingState {
  waiting: number;
  /** The span of the records waiting, when any. */
  waitingSpan?: { fromAt: number; toAt: number };
  lost?: LostSpan;
  /** The write error that holds them back, when any. */
  error?: string;
}

/** Records waiting in memory, by default, per buffer (about 1 KiB each). */
export const DEFAULT_UNSAVED_MAX_RECORDS = 1000;
/** First retry after a refused write; doubles up to the configured maximum. */
export const UNSAVED_RETRY_BASE_MS = 1000;
export const DEFAULT_UNSAVED_RETRY_MAX_MS = 60_000;

export interface PendingWritesOptions<T> {
  name: string;
  maxRecords: number;
  retryMaxMs: number;
  timers: Timers;
  log: Logger;
  /** When a record happened (and until when), for the lost span. */
  spanOf(item: T): { fromAt: number; toAt: number };
  /** Stores the lost span (if any) and the items, all or nothing; throws what the database threw. */
  write(items: readonly T[], lost: LostSpan | undefined): void;
  /** Whether a lost span alone can be written (a gap record); otherwise it waits for the next item. */
  lostAlone: boolean;
  /** Told after every change of what waits (e.g. to journal it). */
  onChange?(state: PendingState): void;
}

/** The errors worth keeping a record for: the disk (full, or failing), not a bad record. */
export function isStorageError(err: unknown): boolean {
  if (isDiskFullError(err)) return true;
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_IOERR') || code === 'EIO');
}

const describe = (err: unknown): string => {
  const e = err as { code?: unknown; message?: unknown } | null;
  return `${typeof e?.code === 'string' ? `${e.code}: ` : ''}${String(e?.message ?? err)}`.slice(0, 300);
};

export class PendingWrites<T> {
  private queue: T[] = [];
  private lost: LostSpan | undefined;
  private error: string | undefined;
  private failures = 0;
  private timer: unknown;
  private stopped = false;

  constructor(private readonly o: PendingWritesOptions<T>) {}

  /**
   * Writes `item` (after whatever waits); keeps it when the disk refuses. Other errors are thrown.
   * True when it was written now.
   */
  add(item: T): boolean {
    this.queue.push(item);
    while (this.queue.length > this.o.maxRecords) this.drop(this.queue.shift()!, 'buffer-full');
    return this.flush();
  }

  /** Declares a span lost before this buffer existed (a previous process's); written first. */
  addLost(span: LostSpan): void {
    this.lost = this.lost ? merge(this.lost, span) : { ...span };
    this.flush();
  }

  /** Tries to write what waits now; true when nothing waits any more. */
  flush(): boolean {
    if (this.queue.length === 0 && (!this.lost || !this.o.lostAlone)) return this.idle();
    const items = this.queue;
    try {
      this.o.write(items, this.lost);
    } catch (err) {
      if (!isStorageError(err)) {
        // Not the disk: the newest record is at fault; it is not kept (the caller hears why).
        this.queue = items.slice(0, -1);
        this.changed();
        throw err;
      }
      const first = this.error === undefined;
      this.error = describe(err);
      if (first)
        this.o.log.error(`${this.o.name}: cannot write to the database; keeping records in memory`, {
          err,
          waiting: this.queue.length,
        });
      this.changed();
      this.schedule();
      return false;
    }
    if (this.error !== undefined || this.lost)
      this.o.log.warn(`${this.o.name}: records written again`, {
        written: items.length,
        ...(this.lost ? { lost: this.lost } : {}),
      });
    this.queue = [];
    this.lost = undefined;
    this.error = undefined;
    this.failures = 0;
    this.changed();
    return this.idle();
  }

  state(): PendingState {
    const s: PendingState = { waiting: this.queue.length };
    if (this.queue.length) {
      const spans = this.queue.map((i) => this.o.spanOf(i));
      s.waitingSpan = {
        fromAt: Math.min(...spans.map((x) => x.fromAt)),
        toAt: Math.max(...spans.map((x) => x.toAt)),
      };
    }
    if (this.lost) s.lost = { ...this.lost };
    if (this.error !== undefined) s.error = this.error;
    return s;
  }

  /** Stops the retry timer (the caller tries `flush()` once more before, if it can). */
  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.o.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private drop(item: T, reason: LostSpan['reason']): void {
    const { fromAt, toAt } = this.o.spanOf(item);
    const span: LostSpan = { count: 1, fromAt, toAt, reason, error: this.error ?? 'unknown' };
    this.lost = this.lost ? merge(this.lost, span) : span;
  }

  private changed(): void {
    this.o.onChange?.(this.state());
  }

  private idle(): boolean {
    if (this.timer !== undefined) this.o.timers.clearTimeout(this.timer);
    this.timer = undefined;
    return this.queue.length === 0;
  }

  private schedule(): void {
    if (this.stopped || this.timer !== undefined) return;
    const delay = backoffDelayMs(this.failures++, {
      baseMs: UNSAVED_RETRY_BASE_MS,
      maxMs: this.o.retryMaxMs,
    });
    this.timer = this.o.timers.setTimeout(() => {
      this.timer = undefined;
      try {
        this.flush();
      } catch (err) {
        this.o.log.error(`${this.o.name}: retry failed`, { err });
      }
    }, delay);
  }
}

/** One span covering both (the later reason wins: a process end explains the whole hole). */
export function merge(a: LostSpan, b: LostSpan): LostSpan {
  return {
    count: a.count + b.count,
    fromAt: Math.min(a.fromAt, b.fromAt),
    toAt: Math.max(a.toAt, b.toAt),
    reason: b.reason === 'process-ended' || a.reason === 'process-ended' ? 'process-ended' : 'buffer-full',
    error: b.error || a.error,
  };
}
