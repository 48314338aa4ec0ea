/**
 * Telemetry ingest: health samples, events and proof of play, with records whose payload failed its
 * schema kept in quarantine, and each (device, stream)'s watermark.
 *
 * Exactly-once ingest: each (device, stream) has a watermark `acked_seq` — every record at or below it
 * is stored or was dropped on the device — and each telemetry table has PRIMARY KEY (device_id, seq)
 * with INSERT OR IGNORE, so a record sent twice (lost ack, server restart) is stored once.
 */
import { coded } from '../../protocol/errors.js';
import type { OutboxRecord, OutboxStream } from '../../protocol/messages.js';
import type { SqliteDb, SqliteStatement } from '../../platform/sqlite.js';
import { claimedLink, linkHolds, type PopRollupStore } from './pop-rollups.js';
import type { PopVerdict } from './pop-store.js';
import { columns, RegistryError, rowMapper } from './rows.js';

/** One batch of a group commit failed and was rolled back alone; the others were stored. */
export class BatchNotStoredError extends coded('BATCH_NOT_STORED') {
  constructor(
    readonly deviceId: string,
    readonly stream: OutboxStream,
    options: { cause: unknown },
  ) {
    const why = options.cause instanceof Error ? options.cause.message : String(options.cause);
    super(`batch not stored: ${why.split('\n')[0]!.slice(0, 200)}`, options);
  }
}

/** One batch to store: already validated records of one stream of one device. */
export interface IngestBatch {
  deviceId: string;
  stream: OutboxStream;
  fromSeq: number;
  /** Records sorted by seq; payloads already parsed against the stream's schema. */
  records: readonly OutboxRecord[];
  /** Seqs whose payload failed the stream's schema, with the reason: stored in quarantine instead. */
  rejected?: ReadonlyMap<number, string>;
  /**
   * Proof of play: each record's verdict, checked by the hub before storing (sync-server/pop-ingest.ts).
   * A seq not in the map is stored as not verified (NULL).
   */
  popVerdicts?: ReadonlyMap<number, PopVerdict>;
}

/** About 200 MB of WAL with 4 KiB pages. */
const WAL_PAGES_LIMIT = 50_000;

/** PRAGMA synchronous levels, by number. */
const SYNCHRONOUS = ['OFF', 'NORMAL', 'FULL', 'EXTRA'] as const;

const TABLES: Record<OutboxStream, string> = { health: 'health_raw', event: 'events', pop: 'pop_records' };

function healthColumns(
  payload: unknown,
): [number | null, number | null, number | null, number | null, number | null, number | null] {
  const p = payload as {
    cpuTempC?: number | null;
    load1?: number | null;
    memTotalBytes?: number | null;
    memAvailableBytes?: number | null;
    diskTotalBytes?: number | null;
    diskFreeBytes?: number | null;
    clockOffsetMs?: number | null;
    throttling?: { underVoltageNow?: boolean } | null;
  };
  const pct = (total?: number | null, free?: number | null) =>
    total && free != null ? Math.round(((total - free) / total) * 10000) / 100 : null;
  return [
    p.cpuTempC ?? null,
    p.load1 ?? null,
    pct(p.memTotalBytes, p.memAvailableBytes),
    pct(p.diskTotalBytes, p.diskFreeBytes),
    p.clockOffsetMs ?? null,
    p.throttling ? (p.throttling.underVoltageNow ? 1 : 0) : null,
  ];
}

const ackedRow = rowMapper('stream_state', (r) => r.num('acked_seq'));
const gapRow = rowMapper('stream_state', (r) => r.num('gap_records'));
const countRow = rowMapper('telemetry', (r) => r.num('n'));
const seqRow = rowMapper('telemetry', (r) => r.num('seq'));
const streamTotalRow = columns('stream_state', { stream: 'str', acked: ['num', 'a'], gaps: ['num', 'g'] });
const quarantineRow = columns('quarantined_records', {
  stream: 'str',
  seq: 'num',
  at: 'num',
  payload: 'str',
  reason: 'str',
});
const eventRow = columns('events', {
  seq: 'num',
  at: 'num',
  kind: 'str',
  level: 'str',
  message: 'str',
  payload: 'json',
});
const eventKindRow = columns('events', { deviceId: 'str', at: 'num', kind: 'str' });
const eventPayloadRow = columns('events', {
  deviceId: 'str',
  at: 'num',
  kind: 'str',
  message: 'str',
  payload: 'json',
});
const popLinkRow = columns('pop_records', { hash: 'strOrNull', prevHash: 'strOrNull' });

export class IngestStore {
  private readonly s;
  private readonly count: Record<OutboxStream, SqliteStatement>;
  private readonly seqsOf: Record<OutboxStream, SqliteStatement>;
  /** eventsSince by number of kinds asked for: prepared the first time each count is asked. */
  private readonly eventsOfKinds = new Map<number, SqliteStatement>();
  /** storeBatch in a transaction of its own: inside storeBatches' transaction, a savepoint. */
  private readonly storeBatchAlone: (b: IngestBatch) => number;
  /** Watermarks by `${device}\n${stream}`; the table is the truth, this saves a read per batch. */
  private readonly marks = new Map<string, number>();
  /** WAL size the background checkpointer last reported (0 without one). */
  private walPages = 0;

  constructor(
    private readonly db: SqliteDb,
    /** Updated with each newly stored proof-of-play record, in the same transaction. */
    private readonly rollups?: PopRollupStore,
  ) {
    // An ack tells the device to drop the records: they must be on disk before it is sent.
    if (SYNCHRONOUS.indexOf(this.synchronous()) < SYNCHRONOUS.indexOf('FULL'))
      throw new RegistryError(
        `telemetry ingest needs a connection with synchronous=FULL (acked records must survive a power cut), not ${this.synchronous()}`,
      );
    const per = (sql: (table: string) => string): Record<OutboxStream, SqliteStatement> => ({
      health: db.prepare(sql(TABLES.health)),
      event: db.prepare(sql(TABLES.event)),
      pop: db.prepare(sql(TABLES.pop)),
    });
    this.count = per((t) => `SELECT count(*) AS n FROM ${t} WHERE device_id = ?`);
    this.seqsOf = per((t) => `SELECT seq FROM ${t} WHERE device_id = ? ORDER BY seq`);
    this.s = {
      getWatermark: db.prepare('SELECT acked_seq FROM stream_state WHERE device_id = ? AND stream = ?'),
      setWatermark: db.prepare(
        'INSERT INTO stream_state (device_id, stream, acked_seq, gap_records) VALUES (?, ?, ?, ?) ON CONFLICT(device_id, stream) DO UPDATE SET acked_seq = excluded.acked_seq, gap_records = gap_records + excluded.gap_records',
      ),
      gapRecords: db.prepare('SELECT gap_records FROM stream_state WHERE device_id = ? AND stream = ?'),
      streamTotals: db.prepare(
        'SELECT stream, sum(acked_seq) AS a, sum(gap_records) AS g FROM stream_state GROUP BY stream',
      ),
      insertHealth: db.prepare(
        'INSERT OR IGNORE INTO health_raw (device_id, seq, at, cpu_temp_c, load1, mem_used_pct, disk_used_pct, clock_offset_ms, under_voltage, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      insertEvent: db.prepare(
        'INSERT OR IGNORE INTO events (device_id, seq, at, kind, level, message, payload) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      insertQuarantine: db.prepare(
        'INSERT OR IGNORE INTO quarantined_records (device_id, stream, seq, at, payload, reason) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      insertPop: db.prepare(
        'INSERT OR IGNORE INTO pop_records (device_id, seq, at, item_id, hash, prev_hash, payload, verdict, link_ok, clock_status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      popLinkAt: db.prepare('SELECT hash, prev_hash FROM pop_records WHERE device_id = ? AND seq = ?'),
      setLinkOk: db.prepare('UPDATE pop_records SET link_ok = ? WHERE device_id = ? AND seq = ?'),
      quarantined: db.prepare(
        'SELECT stream, seq, at, payload, reason FROM quarantined_records WHERE device_id = ? ORDER BY stream, seq LIMIT 1000',
      ),
      events: db.prepare(
        'SELECT seq, at, kind, level, message, payload FROM events WHERE device_id = ? AND seq > ? ORDER BY seq LIMIT ?',
      ),
    };
    this.storeBatchAlone = db.transaction((b: IngestBatch) => this.storeBatch(b));
  }

  /** The connection's PRAGMA synchronous, in force for every commit that precedes an ack. */
  synchronous(): (typeof SYNCHRONOUS)[number] {
    return SYNCHRONOUS[Number(this.db.pragma('synchronous', { simple: true }))] ?? 'OFF';
  }

  /** What the background checkpointer found; past a limit, the next group commit checkpoints itself. */
  noteWalPages(pages: number): void {
    this.walPages = pages;
  }

  watermark(deviceId: string, stream: OutboxStream): number {
    return ackedRow.one(this.s.getWatermark.get(deviceId, stream)) ?? 0;
  }

  /**
   * Stores the batches in one transaction (group commit) and returns, for each, the new watermark
   * to acknowledge: the highest seq up to which every record is stored (or was declared dropped by
   * `fromSeq`). A batch that fails (a value storage refuses) is refused alone: the flush is then
   * stored again with a savepoint per batch, the failing one's entry is the BatchNotStoredError and
   * the others are committed. Throws only when the transaction as a whole fails (then nothing is
   * stored).
   */
  storeBatches(batches: readonly IngestBatch[]): (number | BatchNotStoredError)[] {
    let marks: (number | BatchNotStoredError)[];
    try {
      // The common case: every batch stores, in one transaction with no savepoint per batch.
      marks = this.storeAll(batches);
    } catch {
      // One batch failed and rolled the whole transaction back: store them again, each batch
      // isolated by a savepoint, so only the failing one is refused. (An error that ends every
      // transaction — disk full, I/O — fails this pass too, and is thrown from it.)
      this.marks.clear(); // rolled back: the cached watermarks may be ahead of the table
      marks = this.storeIsolated(batches);
    }
    // The background checkpointer could not keep the WAL short (a long reader?): do it here.
    if (this.walPages > WAL_PAGES_LIMIT) {
      this.walPages = 0;
      this.db.pragma('wal_checkpoint(PASSIVE)');
    }
    return marks;
  }

  private storeAll(batches: readonly IngestBatch[]): number[] {
    return this.db.transaction(() => batches.map((b) => this.storeBatch(b)))();
  }

  private storeIsolated(batches: readonly IngestBatch[]): (number | BatchNotStoredError)[] {
    try {
      return this.db.transaction(() =>
        batches.map((b) => {
          try {
            return this.storeBatchAlone(b);
          } catch (err) {
            // SQLite ends the whole transaction on some errors (disk full, I/O): then the later
            // batches would run outside it, so the group commit fails as a whole.
            if (!this.db.inTransaction) throw err;
            return new BatchNotStoredError(b.deviceId, b.stream, { cause: err });
          }
        }),
      )();
    } catch (err) {
      this.marks.clear();
      throw err;
    }
  }

  private storeBatch(b: IngestBatch): number {
    const s = this.s;
    const before = this.watermark(b.deviceId, b.stream);
    // Everything below fromSeq is stored or dropped on the device: the device will never send it.
    let mark = Math.max(before, b.fromSeq - 1);
    const gap = Math.max(0, b.fromSeq - 1 - before);
    // PoP: the hash of the record stored just before, for the link check (seq → hash).
    let prevPop: { seq: number; hash: string | null } | undefined;
    let rollupPlace: ReturnType<PopRollupStore['place']> | undefined;
    for (const r of b.records) {
      if (r.seq <= before) continue; // already stored and acked: a resend
      const rejected = b.rejected?.get(r.seq);
      if (rejected !== undefined) {
        s.insertQuarantine.run(
          b.deviceId,
          b.stream,
          r.seq,
          r.at,
          JSON.stringify(r.payload) ?? 'null',
          rejected,
        );
      } else if (b.stream === 'health') {
        s.insertHealth.run(b.deviceId, r.seq, r.at, ...healthColumns(r.payload), JSON.stringify(r.payload));
      } else if (b.stream === 'event') {
        const e = r.payload as { kind: string; level: string; message: string };
        s.insertEvent.run(b.deviceId, r.seq, r.at, e.kind, e.level, e.message, JSON.stringify(r.payload));
      } else {
        const p = r.payload as { itemId?: string; clockStatus?: unknown };
        const link = claimedLink(r.payload);
        const before =
          r.seq === 1
            ? null
            : prevPop?.seq === r.seq - 1
              ? { hash: prevPop.hash }
              : popLinkRow.one(s.popLinkAt.get(b.deviceId, r.seq - 1));
        const verdict = b.popVerdicts?.get(r.seq) ?? null;
        const stored = s.insertPop.run(
          b.deviceId,
          r.seq,
          r.at,
          p.itemId ?? null,
          link.hash,
          link.prevHash,
          JSON.stringify(r.payload),
          verdict,
          // Judged as the rollups judge links (pop-rollups.ts linkHolds); unknown until both are stored.
          r.seq === 1 || before ? (linkHolds(r.seq, link.prevHash, before?.hash ?? null) ? 1 : 0) : null,
          // Flagged as the device said (schema.ts registry-clock-1), never re-dated.
          typeof p.clockStatus === 'string' ? p.clockStatus.slice(0, 32) : null,
        );
        if (stored.changes === 1) {
          // The record after it may have come first (a late delivery): its link is known now.
          const after = popLinkRow.one(s.popLinkAt.get(b.deviceId, r.seq + 1));
          if (after)
            s.setLinkOk.run(linkHolds(r.seq + 1, after.prevHash, link.hash) ? 1 : 0, b.deviceId, r.seq + 1);
        }
        // Only a record stored now adds to the rollups: a repeat delivery is ignored above and here.
        if (stored.changes === 1 && this.rollups) {
          const place = (rollupPlace ??= this.rollups.place(b.deviceId));
          if (place) this.rollups.add(place, { seq: r.seq, at: r.at, payload: r.payload, verdict });
        }
        prevPop = { seq: r.seq, hash: link.hash };
      }
      if (r.seq === mark + 1) mark = r.seq;
    }
    if (mark !== before || gap > 0) {
      s.setWatermark.run(b.deviceId, b.stream, mark, gap);
      this.marks.set(`${b.deviceId}\n${b.stream}`, mark);
    }
    return mark;
  }

  listQuarantined(
    deviceId: string,
  ): { stream: string; seq: number; at: number; payload: string; reason: string }[] {
    return quarantineRow.all(this.s.quarantined.all(deviceId));
  }

  /** Records declared dropped by a device (gaps below a batch's fromSeq). */
  gapRecords(deviceId: string, stream: OutboxStream): number {
    return gapRow.one(this.s.gapRecords.get(deviceId, stream)) ?? 0;
  }

  /** Acknowledged watermarks and declared gaps summed per stream, for monitoring. */
  streamTotals(): { ackedSeqByStream: Record<string, number>; gapRecordsByStream: Record<string, number> } {
    const ackedSeqByStream: Record<string, number> = {};
    const gapRecordsByStream: Record<string, number> = {};
    for (const r of streamTotalRow.all(this.s.streamTotals.all())) {
      ackedSeqByStream[r.stream] = r.acked;
      gapRecordsByStream[r.stream] = r.gaps;
    }
    return { ackedSeqByStream, gapRecordsByStream };
  }

  countRecords(deviceId: string, stream: OutboxStream): number {
    return countRow.one(this.count[stream].get(deviceId))!;
  }

  seqs(deviceId: string, stream: OutboxStream): number[] {
    return seqRow.all(this.seqsOf[stream].all(deviceId));
  }

  listEvents(
    deviceId: string,
    opts: { afterSeq?: number; limit?: number } = {},
  ): { seq: number; at: number; kind: string; level: string; message: string; payload: unknown }[] {
    return eventRow.all(this.s.events.all(deviceId, opts.afterSeq ?? 0, Math.min(opts.limit ?? 500, 5000)));
  }

  /**
   * Events of the given kinds stored at or after `sinceMs` (device time), per device, oldest first,
   * with their message and `data` (for the few kinds whose details an alert names).
   */
  eventDetailsSince(
    kinds: readonly string[],
    sinceMs: number,
  ): Map<string, { at: number; kind: string; message: string; data: Record<string, unknown> }[]> {
    const out = new Map<
      string,
      { at: number; kind: string; message: string; data: Record<string, unknown> }[]
    >();
    if (kinds.length === 0) return out;
    const stmt = this.db.prepare(
      `SELECT device_id, at, kind, message, payload FROM events WHERE at >= ? AND kind IN (${kinds.map(() => '?').join(', ')}) ORDER BY at LIMIT 10000`,
    );
    for (const r of eventPayloadRow.all(stmt.all(sinceMs, ...kinds))) {
      let list = out.get(r.deviceId);
      if (!list) out.set(r.deviceId, (list = []));
      const data = (r.payload as { data?: unknown } | null)?.data;
      list.push({
        at: r.at,
        kind: r.kind,
        message: r.message,
        data:
          data && typeof data === 'object' && !Array.isArray(data) ? (data as Record<string, unknown>) : {},
      });
    }
    return out;
  }

  /** Events of the given kinds stored at or after `sinceMs` (device time), per device, oldest first. */
  eventsSince(kinds: readonly string[], sinceMs: number): Map<string, { at: number; kind: string }[]> {
    const out = new Map<string, { at: number; kind: string }[]>();
    if (kinds.length === 0) return out;
    let stmt = this.eventsOfKinds.get(kinds.length);
    if (!stmt) {
      stmt = this.db.prepare(
        `SELECT device_id, at, kind FROM events WHERE at >= ? AND kind IN (${kinds.map(() => '?').join(', ')}) ORDER BY at LIMIT 100000`,
      );
      this.eventsOfKinds.set(kinds.length, stmt);
    }
    for (const r of eventKindRow.all(stmt.all(sinceMs, ...kinds))) {
      let list = out.get(r.deviceId);
      if (!list) out.set(r.deviceId, (list = []));
      list.push({ at: r.at, kind: r.kind });
    }
    return out;
  }
}
