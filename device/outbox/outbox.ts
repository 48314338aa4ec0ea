/**
 * Store-and-forward outbox in the device's SQLite: health samples and events get a per-stream
 * sequence number and stay until the server acknowledges them; proof-of-play records live in the
 * player's own store and are read through the `PopSource` port, so the outbox only keeps its
 * acknowledged watermark. Bounded: past the row/byte limits the oldest health samples go first,
 * then events, then (only if the PoP store allows it) proof-of-play; each drop is counted and
 * reported as an event.
 *
 * A full disk is different: a health sample or event the database refuses waits in memory
 * (store/pending-writes.ts) and is written with the next one or by a backed-off retry. Samples pushed
 * out of the full buffer are told by the next sample written (`storage.samplesLost`), events by an
 * `events-lost` event written before the next ones.
 */
import type { Clock } from '../../protocol/clock.js';
import type { Logger } from '../../platform/log.js';
import { checkJsonBounds } from '../../protocol/json-bounds.js';
import {
  type DeviceEvent,
  FREE_JSON_BOUNDS,
  type HealthReport,
  type OutboxRecord,
  type OutboxStream,
} from '../../protocol/messages.js';
import {
  DEFAULT_UNSAVED_MAX_RECORDS,
  DEFAULT_UNSAVED_RETRY_MAX_MS,
  isStorageError,
  type LostSpan,
  PendingWrites,
} from '../store/pending-writes.js';
import { type Db, type Migration, migrate } from '../store/sqlite.js';
import { systemTimers, type Timers } from '../timers.js';

/** Proof-of-play records as the player's store (sched) exposes them: seq ascending, hash-chained. */
export interface PopSource {
  /** Records with seq > `seq`, ascending, at most `limit`. */
  readAfter(seq: number, limit: number): { seq: number; at: number; payload: unknown }[];
  /** The server has stored every record up to `uptoSeq`; the store may now prune them. */
  acknowledge(uptoSeq: number): void;
  /** Pending size, when the store lets the outbox count it against the limits. */
  stats?(): { rows: number; bytes: number };
  /** Drops the `count` oldest unacknowledged records; returns the seqs dropped (first, last). */
  dropOldest?(count: number): { count: number; firstSeq: number; lastSeq: number } | undefined;
}

export interface OutboxLimits {
  maxRows: number;
  maxBytes: number;
}

/**
 * Larger (or deeper) event data is replaced by a marker: every record must fit one batch frame and
 * pass the protocol's bounds, or the server would refuse the batch and the stream would stall.
 */
export const MAX_EVENT_DATA_CHARS = FREE_JSON_BOUNDS.maxChars;

export const DEFAULT_OUTBOX_LIMITS: OutboxLimits = { maxRows: 200_000, maxBytes: 256 * 1024 * 1024 };

export const OUTBOX_MIGRATIONS: readonly Migration[] = [
  {
    name: 'outbox-1',
    up: `
CREATE TABLE outbox_records (
  stream TEXT NOT NULL,
  seq INTEGER NOT NULL,
  at INTEGER NOT NULL,
  payload TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  PRIMARY KEY (stream, seq)
);
CREATE TABLE outbox_streams (
  stream TEXT PRIMARY KEY,
  next_seq INTEGER NOT NULL DEFAULT 1,
  acked_seq INTEGER NOT NULL DEFAULT 0,
  dropped_records INTEGER NOT NULL DEFAULT 0,
  dropped_bytes INTEGER NOT NULL DEFAULT 0
);
INSERT INTO outbox_streams (stream) VALUES ('health'), ('event'), ('pop');
`,
  },
];

export interface StreamStats {
  rows: number;
  bytes: number;
  ackedSeq: number;
  droppedRecords: number;
  droppedBytes: number;
}

export interface DropReport {
  stream: OutboxStream;
  count: number;
  bytes: number;
  firstSeq: number;
  lastSeq: number;
}

/** A slice of one stream to send: records contiguous from the first, `fromSeq` the lowest held. */
export interface PendingSlice {
  stream: OutboxStream;
  fromSeq: number;
  records: OutboxRecord[];
}

/**
 * Decides what to drop: walking candidates oldest-first in drop order (health, event, pop), take
 * rows until the totals fit the limits. Pure.
 */
export function chooseDrops(
  totals: { rows: number; bytes: number },
  limits: OutboxLimits,
  candidates: Iterable<{ stream: OutboxStream; seq: number; bytes: number }>,
): { stream: OutboxStream; seq: number; bytes: number }[] {
  let rows = totals.rows;
  let bytes = totals.bytes;
  const out: { stream: OutboxStream; seq: number; bytes: number }[] = [];
  for (const c of candidates) {
    if (rows <= limits.maxRows && bytes <= limits.maxBytes) break;
    out.push(c);
    rows--;
    bytes -= c.bytes;
  }
  return out;
}

/** How records the database refuses wait in memory (device config `storage.*`). */
export interface OutboxUnsavedOptions {
  maxRecords: number;
  retryMaxMs: number;
  timers: Timers;
}

export class Outbox {
  private stmts!: ReturnType<Outbox['prepare']>;
  /** The seq of the last record appendMany wrote. */
  private lastSeq = 0;
  private waiting!: { health: PendingWrites<HealthReport>; event: PendingWrites<DeviceEvent> };
  private readonly listeners = new Set<() => void>();
  /** Rows and bytes held per stream (health, event), kept in step with the table. */
  private readonly held = { health: { rows: 0, bytes: 0 }, event: { rows: 0, bytes: 0 } };
  /** Acks the disk refused to record (see acknowledge). */
  private readonly ackedUnsaved: Partial<Record<OutboxStream, number>> = {};

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly limits: OutboxLimits = DEFAULT_OUTBOX_LIMITS,
    private readonly pop?: PopSource,
    private readonly unsaved: OutboxUnsavedOptions = {
      maxRecords: DEFAULT_UNSAVED_MAX_RECORDS,
      retryMaxMs: DEFAULT_UNSAVED_RETRY_MAX_MS,
      timers: systemTimers,
    },
  ) {}

  /** Applies the outbox migrations; call once after opening the device database. */
  start(): void {
    migrate(this.db, OUTBOX_MIGRATIONS);
    this.stmts = this.prepare();
    for (const r of this.stmts.totals.all() as {
      stream: 'health' | 'event';
      rows: number;
      bytes: number;
    }[]) {
      if (r.stream in this.held) this.held[r.stream] = { rows: r.rows, bytes: r.bytes };
    }
    const common = { ...this.unsaved, log: this.log, lostAlone: false };
    this.waiting = {
      health: new PendingWrites<HealthReport>({
        ...common,
        name: 'health samples',
        spanOf: (r) => ({ fromAt: r.at, toAt: r.at }),
        write: (items, lost) =>
          this.appendMany(
            'health',
            items.map((r, i) => {
              if (i > 0 || !lost) return { at: r.at, payload: r };
              const samplesLost = {
                count: lost.count,
                fromAt: lost.fromAt,
                toAt: lost.toAt,
                error: lost.error,
              };
              return { at: r.at, payload: { ...r, storage: { ...r.storage, samplesLost } } };
            }),
          ),
      }),
      event: new PendingWrites<DeviceEvent>({
        ...common,
        name: 'events',
        spanOf: (e) => ({ fromAt: e.at, toAt: e.at }),
        write: (items, lost) =>
          this.appendMany('event', [
            ...(lost ? [{ at: items[0]!.at, payload: eventsLost(items[0]!.at, lost) }] : []),
            ...items.map((e) => ({ at: e.at, payload: e })),
          ]),
      }),
    };
  }

  /** Records waiting in memory because the database refused them. */
  unsavedCounts(): { health: number; event: number } {
    return { health: this.waiting.health.state().waiting, event: this.waiting.event.state().waiting };
  }

  /** Stops the retries of records waiting in memory (after one last try). */
  stop(): void {
    for (const w of [this.waiting.health, this.waiting.event]) {
      try {
        w.flush();
      } catch (err) {
        this.log.error('outbox: last write failed', { err });
      }
      w.stop();
    }
  }

  private prepare() {
    const d = this.db;
    return {
      nextSeq: d.prepare(
        'UPDATE outbox_streams SET next_seq = next_seq + 1 WHERE stream = ? RETURNING next_seq - 1 AS seq',
      ),
      insert: d.prepare(
        'INSERT INTO outbox_records (stream, seq, at, payload, bytes) VALUES (?, ?, ?, ?, ?)',
      ),
      pending: d.prepare(
        'SELECT seq, at, payload, bytes FROM outbox_records WHERE stream = ? AND seq > ? ORDER BY seq LIMIT ?',
      ),
      floor: d.prepare('SELECT min(seq) AS seq FROM outbox_records WHERE stream = ?'),
      ack: d.prepare('DELETE FROM outbox_records WHERE stream = ? AND seq <= ? RETURNING bytes'),
      setAcked: d.prepare('UPDATE outbox_streams SET acked_seq = max(acked_seq, ?) WHERE stream = ?'),
      stream: d.prepare('SELECT * FROM outbox_streams WHERE stream = ?'),
      totals: d.prepare(
        'SELECT stream, count(*) AS rows, coalesce(sum(bytes), 0) AS bytes FROM outbox_records GROUP BY stream',
      ),
      oldest: d.prepare('SELECT seq, bytes FROM outbox_records WHERE stream = ? ORDER BY seq LIMIT ?'),
      dropOne: d.prepare('DELETE FROM outbox_records WHERE stream = ? AND seq = ?'),
      countDrop: d.prepare(
        'UPDATE outbox_streams SET dropped_records = dropped_records + ?, dropped_bytes = dropped_bytes + ? WHERE stream = ?',
      ),
    };
  }

  /** Called after each append (the sync client sends at once when connected). */
  onAppend(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stores a health sample; its seq, or undefined while it waits in memory (the disk refused it). */
  appendHealth(report: HealthReport): number | undefined {
    return this.waiting.health.add(report) ? this.lastSeq : undefined;
  }

  /** Stores an event; its seq, or undefined while it waits in memory (the disk refused it). */
  appendEvent(event: DeviceEvent): number | undefined {
    // An event's free-form data must not make a record too big to ever send.
    const written = this.waiting.event.add(
      event.data && checkJsonBounds(event.data, FREE_JSON_BOUNDS)
        ? { ...event, data: { truncated: true } }
        : event,
    );
    return written ? this.lastSeq : undefined;
  }

  /** Appends records of one stream in one transaction: all, or none (the caller keeps them). */
  private appendMany(stream: 'health' | 'event', records: readonly { at: number; payload: unknown }[]): void {
    const texts = records.map((r) => ({ at: r.at, text: JSON.stringify(r.payload) }));
    this.lastSeq = this.db.transaction(() => {
      let last = 0;
      for (const r of texts) {
        const { seq } = this.stmts.nextSeq.get(stream) as { seq: number };
        this.stmts.insert.run(stream, seq, r.at, r.text, Buffer.byteLength(r.text));
        last = seq;
      }
      return last;
    })();
    for (const r of texts) {
      this.held[stream].rows++;
      this.held[stream].bytes += Buffer.byteLength(r.text);
    }
    this.enforceLimits();
    for (const l of this.listeners) l();
  }

  /** The PoP store got new records: wake the sender. */
  popAppended(): void {
    for (const l of this.listeners) l();
  }

  ackedSeq(stream: OutboxStream): number {
    const stored = (this.stmts.stream.get(stream) as { acked_seq: number }).acked_seq;
    return Math.max(stored, this.ackedUnsaved[stream] ?? 0);
  }

  /** Up to `maxRecords` / about `maxBytes` of records of `stream` after `afterSeq` (in-flight ones excluded by the caller). */
  pending(
    stream: OutboxStream,
    afterSeq: number,
    maxRecords: number,
    maxBytes: number,
  ): PendingSlice | undefined {
    const after = Math.max(afterSeq, this.ackedSeq(stream));
    if (stream === 'pop') {
      if (!this.pop) return undefined;
      const rows = this.pop.readAfter(after, maxRecords);
      if (rows.length === 0) return undefined;
      const records = takeContiguous(
        rows.map((r) => ({
          seq: r.seq,
          at: r.at,
          payload: r.payload,
          bytes: JSON.stringify(r.payload).length,
        })),
        maxBytes,
      );
      const acked = this.ackedSeq('pop');
      const lowest =
        after === acked ? records[0]!.seq : (this.pop.readAfter(acked, 1)[0]?.seq ?? records[0]!.seq);
      return { stream, fromSeq: Math.min(lowest, records[0]!.seq), records };
    }
    const rows = this.stmts.pending.all(stream, after, maxRecords) as {
      seq: number;
      at: number;
      payload: string;
      bytes: number;
    }[];
    if (rows.length === 0) return undefined;
    const records = takeContiguous(
      rows.map((r) => ({ seq: r.seq, at: r.at, payload: JSON.parse(r.payload) as unknown, bytes: r.bytes })),
      maxBytes,
    );
    const floor = (this.stmts.floor.get(stream) as { seq: number | null }).seq ?? records[0]!.seq;
    return { stream, fromSeq: floor, records };
  }

  /** The server stored everything of `stream` up to `uptoSeq`. */
  acknowledge(stream: OutboxStream, uptoSeq: number): void {
    if (uptoSeq <= this.ackedSeq(stream)) return;
    try {
      const gone = this.db.transaction(() => {
        const rows = stream === 'pop' ? [] : (this.stmts.ack.all(stream, uptoSeq) as { bytes: number }[]);
        this.stmts.setAcked.run(uptoSeq, stream);
        return rows;
      })();
      if (stream !== 'pop') {
        this.held[stream].rows -= gone.length;
        this.held[stream].bytes -= gone.reduce((a, r) => a + r.bytes, 0);
      }
      // After the outbox's watermark is durable; a crash in between only re-acks on the next ack.
      if (stream === 'pop') this.pop?.acknowledge(uptoSeq);
    } catch (err) {
      // A full disk refuses even the delete: the ack is kept in memory (nothing is sent twice) and
      // written with the next one; after a restart the server acks the records sent again.
      if (!isStorageError(err)) throw err;
      this.ackedUnsaved[stream] = Math.max(this.ackedUnsaved[stream] ?? 0, uptoSeq);
      this.log.warn('acknowledgement kept in memory: the data disk refused it', { stream, uptoSeq, err });
    }
  }

  stats(): Record<OutboxStream, StreamStats> {
    const totals = new Map<string, { rows: number; bytes: number }>(Object.entries(this.held));
    const popStats = this.pop?.stats?.();
    if (popStats) totals.set('pop', popStats);
    const out = {} as Record<OutboxStream, StreamStats>;
    for (const s of ['health', 'event', 'pop'] as const) {
      const row = this.stmts.stream.get(s) as {
        acked_seq: number;
        dropped_records: number;
        dropped_bytes: number;
      };
      out[s] = {
        rows: totals.get(s)?.rows ?? 0,
        bytes: totals.get(s)?.bytes ?? 0,
        ackedSeq: row.acked_seq,
        droppedRecords: row.dropped_records,
        droppedBytes: row.dropped_bytes,
      };
    }
    return out;
  }

  /** Drops the oldest records past the limits (health, then events, then PoP) and reports each drop. */
  enforceLimits(): DropReport[] {
    const st = this.stats();
    const totals = {
      rows: st.health.rows + st.event.rows + st.pop.rows,
      bytes: st.health.bytes + st.event.bytes + st.pop.bytes,
    };
    if (totals.rows <= this.limits.maxRows && totals.bytes <= this.limits.maxBytes) return [];
    const oldest = this.stmts.oldest;
    function* candidates() {
      for (const stream of ['health', 'event'] as const) {
        for (const r of oldest.iterate(stream, Number.MAX_SAFE_INTEGER) as Iterable<{
          seq: number;
          bytes: number;
        }>) {
          yield { stream, seq: r.seq, bytes: r.bytes };
        }
      }
      // PoP goes last; the average row size stands in for each record's size.
      const avg = st.pop.rows ? st.pop.bytes / st.pop.rows : 0;
      for (let i = 0; i < st.pop.rows; i++) yield { stream: 'pop' as const, seq: -1, bytes: avg };
    }
    const drops = chooseDrops(totals, this.limits, candidates());
    const reports: DropReport[] = [];
    this.db.transaction(() => {
      for (const stream of ['health', 'event'] as const) {
        const mine = drops.filter((d) => d.stream === stream);
        if (!mine.length) continue;
        for (const d of mine) this.stmts.dropOne.run(stream, d.seq);
        const bytes = mine.reduce((a, d) => a + d.bytes, 0);
        this.held[stream].rows -= mine.length;
        this.held[stream].bytes -= bytes;
        this.stmts.countDrop.run(mine.length, bytes, stream);
        reports.push({
          stream,
          count: mine.length,
          bytes,
          firstSeq: mine[0]!.seq,
          lastSeq: mine[mine.length - 1]!.seq,
        });
      }
    })();
    const popDrops = drops.filter((d) => d.stream === 'pop').length;
    if (popDrops && this.pop?.dropOldest) {
      const r = this.pop.dropOldest(popDrops);
      if (r) {
        const bytes = Math.round(popDrops * (st.pop.bytes / Math.max(1, st.pop.rows)));
        this.stmts.countDrop.run(r.count, bytes, 'pop');
        reports.push({ stream: 'pop', count: r.count, bytes, firstSeq: r.firstSeq, lastSeq: r.lastSeq });
      }
    }
    for (const r of reports) {
      this.log.warn('outbox full: dropped oldest records', { ...r });
      // Inserted directly (not through append) so that reporting a drop never triggers another drop.
      const event: DeviceEvent = {
        at: this.clock.now(),
        kind: 'outbox-dropped',
        level: r.stream === 'pop' ? 'error' : 'warn',
        message: `outbox full: dropped ${r.count} ${r.stream} records (seq ${r.firstSeq}-${r.lastSeq})`,
        data: { ...r, totals: this.stats()[r.stream] },
      };
      const text = JSON.stringify(event);
      this.db.transaction(() => {
        const { seq } = this.stmts.nextSeq.get('event') as { seq: number };
        this.stmts.insert.run('event', seq, event.at, text, Buffer.byteLength(text));
      })();
      this.held.event.rows++;
      this.held.event.bytes += Buffer.byteLength(text);
    }
    return reports;
  }
}

function takeContiguous<T extends { seq: number; bytes: number }>(
  rows: T[],
  maxBytes: number,
): (Omit<T, 'bytes'> & OutboxRecord)[] {
  const out: (Omit<T, 'bytes'> & OutboxRecord)[] = [];
  let bytes = 0;
  for (const r of rows) {
    if (out.length && (r.seq !== out[out.length - 1]!.seq + 1 || bytes + r.bytes > maxBytes)) break;
    bytes += r.bytes + 40;
    const { bytes: _b, ...rec } = r;
    out.push(rec as unknown as Omit<T, 'bytes'> & OutboxRecord);
  }
  return out;
}

/** The event told before the next events when some could not be kept. */
function eventsLost(at: number, lost: LostSpan): DeviceEvent {
  return {
    at,
    kind: 'events-lost',
    level: 'error',
    message: `${lost.count} events could not be written (the data disk refused them: ${lost.error})`,
    data: { count: lost.count, fromAt: lost.fromAt, toAt: lost.toAt, reason: lost.reason, error: lost.error },
  };
}
