/**
 * Proof of play in front of its SQLite log: a play the log cannot take (a full disk) waits in memory
 * and is written with the next play or by a backed-off retry (store/pending-writes.ts). What cannot
 * be kept becomes a gap record in the chain as soon as writing works again: plays pushed out of the
 * full buffer, and plays still in memory when the process ended.
 *
 * The process may end at any moment (a kill, a power cut), so what waits in memory is journalled
 * to a small file allocated while there was room (`<dataDir>/pop-unsaved.json`, overwritten in
 * place: no new block is needed on a full disk). Each journal state carries a mark; the log records
 * the mark in the same transaction that writes the records (`unsavedCleared`), so at start a journal
 * whose mark is not cleared names exactly the plays that never reached the chain.
 */
import { closeSync, fdatasyncSync, fstatSync, openSync, readFileSync, writeSync } from 'node:fs';
import type { Logger } from '../../platform/log.js';
import { type PopEntry, PopEntry as PopEntrySchema } from '../../protocol/proof-of-play.js';
import { zodProblems } from '../../protocol/validate.js';
import { type LostSpan, type PendingState, PendingWrites } from '../store/pending-writes.js';
import type { Timers } from '../timers.js';
import { PopError, type SqlitePopLog } from './sqlite-pop-log.js';

/** Size of the journal file: one state, JSON, padded with spaces. */
export const POP_JOURNAL_BYTES = 4096;

interface JournalState {
  v: 1;
  mark: number;
  waiting: number;
  waitingSpan?: { fromAt: number; toAt: number };
  lost?: LostSpan;
  error?: string;
}

/** The journal file: allocated once, then overwritten in place (pwrite at 0, fdatasync). */
export class PopJournalFile {
  private fd: number | undefined;

  constructor(readonly path: string) {}

  /** The state left by the previous process, if any (a damaged file reads as none). */
  read(): JournalState | undefined {
    try {
      const text = readFileSync(this.path, 'utf8').replace(/\0/g, '').trim();
      if (!text) return undefined;
      const s = JSON.parse(text) as JournalState;
      return s.v === 1 && Number.isSafeInteger(s.mark) ? s : undefined;
    } catch {
      return undefined; // no journal yet, or torn: nothing is known to be lost
    }
  }

  /** Opens (allocating the file when there is room); false when it cannot (then states are not kept). */
  open(): boolean {
    try {
      this.fd = openSync(this.path, 'a+');
      closeSync(this.fd);
      this.fd = openSync(this.path, 'r+');
      if (fstatSync(this.fd).size < POP_JOURNAL_BYTES) {
        const blank = Buffer.alloc(POP_JOURNAL_BYTES, 0x20);
        const current = readFileSync(this.path);
        current.copy(blank, 0, 0, Math.min(current.length, POP_JOURNAL_BYTES));
        writeSync(this.fd, blank, 0, blank.length, 0);
        fdatasyncSync(this.fd);
      }
      return true;
    } catch {
      this.close();
      return false;
    }
  }

  /** Writes a state in place; throws when the disk refuses even that. */
  write(state: JournalState): void {
    if (this.fd === undefined) throw new Error('pop journal not open');
    const text = JSON.stringify(state);
    const buf = Buffer.alloc(POP_JOURNAL_BYTES, 0x20);
    buf.write(text.slice(0, POP_JOURNAL_BYTES), 'utf8');
    writeSync(this.fd, buf, 0, buf.length, 0);
    fdatasyncSync(this.fd);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

export interface BufferedPopLogOptions {
  deviceId: string;
  journal: PopJournalFile;
  /** Plays kept in memory at most (config `storage.unsavedMaxRecords`). */
  maxRecords: number;
  retryMaxMs: number;
  timers: Timers;
  log: Logger;
}

export class BufferedPopLog {
  private readonly pending: PendingWrites<PopEntry>;
  private mark = 0;
  private journalOpen = false;

  constructor(
    private readonly pop: Pick<SqlitePopLog, 'appendAll' | 'unsavedCleared'>,
    private readonly o: BufferedPopLogOptions,
  ) {
    this.pending = new PendingWrites<PopEntry>({
      name: 'proof of play',
      maxRecords: o.maxRecords,
      retryMaxMs: o.retryMaxMs,
      timers: o.timers,
      log: o.log,
      lostAlone: true,
      spanOf: (e) => ({ fromAt: e.actualStartAt, toAt: e.actualStartAt + e.durationMs }),
      write: (items, lost) =>
        this.pop.appendAll(
          [
            ...(lost ? [{ gap: { kind: 'gap' as const, deviceId: o.deviceId, ...lost } }] : []),
            ...items.map((entry) => ({ entry })),
          ],
          this.mark,
        ),
      onChange: (s) => this.journal(s),
    });
  }

  /**
   * Reads what the previous process left unwritten (a gap to declare), opens the journal and writes
   * the gap now if the disk lets it. Call after the log's start().
   */
  start(): void {
    const left = this.o.journal.read();
    const cleared = this.pop.unsavedCleared();
    this.mark = Math.max(left?.mark ?? 0, cleared);
    this.journalOpen = this.o.journal.open();
    if (!this.journalOpen)
      this.o.log.error('proof-of-play journal cannot be opened: plays held in memory die with the process');
    if (left && left.mark > cleared) {
      let span: LostSpan | undefined = left.lost;
      if (left.waiting > 0 && left.waitingSpan) {
        const ended: LostSpan = {
          count: left.waiting,
          ...left.waitingSpan,
          reason: 'process-ended',
          error: left.error ?? left.lost?.error ?? 'unknown',
        };
        span = span
          ? {
              count: span.count + ended.count,
              fromAt: Math.min(span.fromAt, ended.fromAt),
              toAt: Math.max(span.toAt, ended.toAt),
              reason: 'process-ended',
              error: ended.error,
            }
          : ended;
      }
      if (span) {
        this.o.log.error('proof of play lost by the previous run: declaring a gap', { ...span });
        this.pending.addLost(span);
      }
    }
  }

  /** Appends a play, or keeps it in memory while the disk refuses. Throws PopError for a bad entry. */
  append(entry: PopEntry): void {
    const parsed = PopEntrySchema.safeParse(entry);
    if (!parsed.success) throw new PopError('invalid proof-of-play entry', zodProblems(parsed.error));
    this.pending.add(parsed.data);
  }

  /** What waits in memory, and what was lost and not yet declared (health). */
  state(): PendingState {
    return this.pending.state();
  }

  /** One last try to write what waits, then stops retrying (the journal keeps the rest). */
  stop(): void {
    try {
      this.pending.flush();
    } catch (err) {
      this.o.log.error('proof of play: last write failed', { err });
    }
    this.pending.stop();
    this.o.journal.close();
  }

  private journal(s: PendingState): void {
    if (!this.journalOpen) return;
    // A new mark for each state: a write carries the mark of the state it empties (see start()).
    if (s.waiting === 0 && !s.lost) return; // nothing in memory: the last mark is cleared by the write
    this.mark++;
    try {
      this.o.journal.write({ v: 1, mark: this.mark, ...s });
    } catch (err) {
      this.o.log.error('proof-of-play journal not written: these plays die with the process', { err });
    }
  }
}
