/**
 * A re-audit of the stored proof of play: every record of the registry (or of a period), as stored
 * up to the moment it starts, read again from its raw row and verified in full — its shape, hash and
 * seq, its signature with the device's key, its link to the record before — and compared with the
 * verdict recorded at ingest. A record judged differently now (a row edited in the database after
 * ingest) is the finding that matters; each is kept.
 *
 * It runs in the background, one chunk of records per event-loop turn, one re-audit at a time. Each
 * chunk's progress, findings and cursor are stored together, so a server stopped mid-way goes on
 * where it was (`resume`); an admin can cancel it.
 */
import type { KeyObject } from 'node:crypto';
import type { Clock } from '../../protocol/clock.js';
import { coded } from '../../protocol/errors.js';
import type { Logger } from '../../platform/log.js';
import type {
  ReauditCounts,
  ReauditDiffer,
  ReauditRun,
  ReauditStore,
  StoredReauditRow,
} from '../registry/reaudit-store.js';
import { deviceChainVerifier, reportRecordOf } from './registry-source.js';
import type { ChainBreak, ChainCheck, ProofOfPlayRecord } from './types.js';

/** Another re-audit is running: one at a time. */
export class ReauditRunningError extends coded('REAUDIT_RUNNING') {
  constructor(readonly id: number) {
    super(`re-audit ${id} is running; wait for it or cancel it`);
  }
}

/** Cancel was asked with no re-audit running. */
export class ReauditNotRunningError extends coded('REAUDIT_NOT_RUNNING') {
  constructor() {
    super('no re-audit is running');
  }
}

/** Records verified per chunk (about 100 µs each for the signature): the event loop runs between. */
export const REAUDIT_CHUNK_RECORDS = 500;

/** What a re-audit reports while it runs and once it is over. */
export interface ReauditProgress {
  run: ReauditRun;
  /** 0..100 */
  percent: number;
  /** Time left at the rate so far (null: not known yet, or over). */
  etaMs: number | null;
  /** The first records judged differently from ingest. */
  differ: ReauditDiffer[];
}

export interface ReauditorDeps {
  store: ReauditStore;
  /** The device's public key (undefined: none usable: its records count as unsigned). */
  keyOf: (deviceId: string) => KeyObject | undefined;
  clock: Clock;
  log: Logger;
  chunkRecords?: number;
}

/** A record's verdict at ingest in words ('unverified' when it was stored before verification). */
function ingestWords(row: StoredReauditRow): { words: string; bad: boolean | null } {
  if (row.verdict === null) return { words: 'unverified', bad: null };
  const parts = row.verdict === 'ok' ? [] : [row.verdict];
  if (row.linkOk === false) parts.push('link');
  return { words: parts.length ? parts.join('+') : 'ok', bad: parts.length > 0 };
}

export class Reauditor {
  private timer?: NodeJS.Immediate;
  private stopped = true;
  private readonly chunkRecords: number;
  private readonly verifier;

  constructor(private readonly deps: ReauditorDeps) {
    this.chunkRecords = deps.chunkRecords ?? REAUDIT_CHUNK_RECORDS;
    this.verifier = deviceChainVerifier(deps.keyOf);
  }

  /**
   * Starts a re-audit of the records with `at` in [fromMs, toMs) (null: unbounded) stored until now;
   * refused with ReauditRunningError while another runs.
   */
  start(req: {
    startedBy: string;
    period: string | null;
    fromMs: number | null;
    toMs: number | null;
  }): ReauditRun {
    const running = this.deps.store.running();
    if (running) throw new ReauditRunningError(running.id);
    const toRowid = this.deps.store.maxRowid();
    const run = this.deps.store.begin({
      ...req,
      startedAt: this.deps.clock.now(),
      toRowid,
      total: this.deps.store.count(req.fromMs, req.toMs, toRowid),
    });
    this.deps.log.info('proof-of-play re-audit started', {
      id: run.id,
      total: run.total,
      period: run.period,
    });
    this.schedule();
    return run;
  }

  /** Goes on with a re-audit a stop left running (at server start). */
  resume(): void {
    if (this.deps.store.running()) this.schedule();
  }

  /** Cancels the running re-audit: what it found so far is kept, but it counts as not done. */
  cancel(): ReauditRun {
    const running = this.deps.store.running();
    if (!running) throw new ReauditNotRunningError();
    this.deps.store.finish(running.id, 'cancelled', this.deps.clock.now());
    this.deps.log.info('proof-of-play re-audit cancelled', { id: running.id, done: running.done });
    return this.deps.store.get(running.id)!;
  }

  /** The latest re-audit with its progress, or undefined when none ever ran. */
  progress(): ReauditProgress | undefined {
    const run = this.deps.store.last();
    return run ? this.progressOf(run) : undefined;
  }

  progressOf(run: ReauditRun): ReauditProgress {
    const over = run.status !== 'running';
    const percent =
      run.status === 'done'
        ? 100
        : run.total === 0
          ? 0
          : Math.min(99, Math.floor((run.done * 100) / run.total));
    const elapsed = this.deps.clock.now() - run.startedAt;
    const etaMs = over || run.done === 0 ? null : Math.round((elapsed * (run.total - run.done)) / run.done);
    return { run, percent, etaMs, differ: this.deps.store.differ(run.id) };
  }

  /** Stops between chunks (shutdown); the re-audit stays running and `resume` goes on with it. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearImmediate(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    this.stopped = false;
    if (this.timer) return;
    this.timer = setImmediate(() => {
      this.timer = undefined;
      if (this.stopped) return;
      const run = this.deps.store.running();
      if (!run) return;
      let more: boolean;
      try {
        more = this.chunk(run);
      } catch (err) {
        this.deps.log.error('proof-of-play re-audit failed', { id: run.id, err });
        this.deps.store.finish(run.id, 'failed', this.deps.clock.now(), (err as Error).message);
        return;
      }
      if (more) this.schedule();
      else {
        this.deps.log.info('proof-of-play re-audit done', { id: run.id, done: run.done, differ: run.differ });
      }
    });
  }

  private record(deviceId: string, row: StoredReauditRow): ProofOfPlayRecord {
    let raw: unknown;
    try {
      raw = JSON.parse(row.payload);
    } catch {
      raw = row.payload; // not JSON: the verifier marks it
    }
    // No verdict given: the record is judged from its payload alone.
    return reportRecordOf(deviceId, { seq: row.seq, at: row.at ?? 0 }, raw);
  }

  /** One page of one device verified and stored with the cursor; false when the run is over. */
  private chunk(run: ReauditRun): boolean {
    const { store } = this.deps;
    let cursor = run.cursor;
    if (!cursor) {
      const first = store.nextDevice('');
      if (first === null) {
        store.saveChunk(run, [], this.deps.clock.now());
        return false;
      }
      cursor = { deviceId: first, afterSeq: 0 };
    }
    const rows = store.page(run, cursor.deviceId, cursor.afterSeq, this.chunkRecords);
    const counts: ReauditCounts = { ...run.counts };
    const found: ReauditDiffer[] = [];
    if (rows.length > 0) {
      const check: ChainCheck = this.verifier.begin!();
      // The record before the page, so its first link is checked too (its own problems were counted).
      const before = store.row(cursor.deviceId, cursor.afterSeq > 0 ? cursor.afterSeq : rows[0]!.seq - 1);
      if (before) check.add(this.record(cursor.deviceId, before), []);
      for (const row of rows) {
        const breaks: ChainBreak[] = [];
        check.add(this.record(cursor.deviceId, row), breaks);
        const kinds = new Set<string>();
        for (const b of breaks) {
          counts[b.kind] = (counts[b.kind] ?? 0) + 1;
          if (b.kind !== 'gap') kinds.add(b.kind);
        }
        const now = kinds.size ? [...kinds].sort().join('+') : 'ok';
        const ingest = ingestWords(row);
        if (ingest.bad !== null && ingest.bad !== kinds.size > 0)
          found.push({ deviceId: cursor.deviceId, seq: row.seq, at: row.at, atIngest: ingest.words, now });
      }
    }
    const last = rows[rows.length - 1];
    const next =
      rows.length === this.chunkRecords && last
        ? { deviceId: cursor.deviceId, afterSeq: last.seq }
        : (() => {
            const d = store.nextDevice(cursor.deviceId);
            return d === null ? null : { deviceId: d, afterSeq: 0 };
          })();
    run.done += rows.length;
    run.counts = counts;
    run.differ += found.length;
    run.cursor = next;
    store.saveChunk(run, found, next === null ? this.deps.clock.now() : null);
    return next !== null;
  }
}
