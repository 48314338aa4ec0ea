/**
 * Reading stored proof of play (written by ingest-store.ts) for the reports, and the one-pass
 * backfill of verdicts for rows stored before verification at ingest.
 */
import type { SqliteDb } from '../../platform/sqlite.js';
import { columns, rowMapper } from './rows.js';

/**
 * A PoP record's verdict at ingest: 'ok' is a well-formed record signed by the device key;
 * 'bad-signature' is not signed by it; 'malformed' does not have the record shape.
 */
export type PopVerdict = 'ok' | 'bad-signature' | 'malformed';
const POP_VERDICTS: readonly PopVerdict[] = ['ok', 'bad-signature', 'malformed'];

/** A stored proof-of-play row with what was found when it was stored. */
export interface StoredPop {
  seq: number;
  at: number;
  /** The hash the record claimed when it was stored (null: the payload had none). */
  hash: string | null;
  /** The verdict at ingest; null when not verified yet (stored before verification at ingest). */
  verdict: PopVerdict | null;
  /** prevHash matched the stored record before it: true/false; null when that one was not stored. */
  linkOk: boolean | null;
  /** The JSON text the device sent. */
  payload: string;
}

const flag = (v: unknown): boolean | null => (v === null || v === undefined ? null : v === 1);
// An unknown word in the column (edited by hand) counts as not verified: the report checks it itself.
const verdictOf = (v: unknown): PopVerdict | null => POP_VERDICTS.find((known) => known === v) ?? null;

const storedRow = rowMapper('pop_records', (r): StoredPop => ({
  seq: r.num('seq'),
  at: r.num('at'),
  hash: r.strOrNull('hash'),
  verdict: verdictOf(r.raw('verdict')),
  linkOk: flag(r.raw('link_ok')),
  payload: r.str('payload'),
}));
const betweenRow = columns('pop_records', { seq: 'num', at: 'num', payload: 'str' });
const rangeRow = columns('pop_records', { lo: 'numOrNull', hi: 'numOrNull' });
const unverifiedRow = columns('pop_records', { id: 'num', deviceId: 'str', seq: 'num', payload: 'str' });
const clockRow = columns('pop_records', { count: ['num', 'n'], lastAt: 'numOrNull' });
const receivedRow = columns('pop_records', {
  seq: 'num',
  at: 'num',
  itemId: 'strOrNull',
  hash: 'strOrNull',
  prevHash: 'strOrNull',
  payload: 'str',
});

export class PopStore {
  private readonly s;

  constructor(private readonly db: SqliteDb) {
    this.s = {
      between: db.prepare(
        'SELECT seq, at, payload FROM pop_records WHERE device_id = ? AND at >= ? AND at < ? ORDER BY seq',
      ),
      seqRange: db.prepare(
        'SELECT min(seq) AS lo, max(seq) AS hi FROM pop_records WHERE device_id = ? AND at >= ? AND at < ?',
      ),
      page: db.prepare(
        'SELECT seq, at, hash, verdict, link_ok, payload FROM pop_records WHERE device_id = ? AND seq > ? AND seq <= ? AND at >= ? AND at < ? ORDER BY seq LIMIT ?',
      ),
      unverified: db.prepare(
        'SELECT rowid AS id, device_id, seq, payload FROM pop_records WHERE rowid > ? AND verdict IS NULL ORDER BY rowid LIMIT ?',
      ),
      setVerdict: db.prepare(
        'UPDATE pop_records SET verdict = ? WHERE device_id = ? AND seq = ? AND verdict IS NULL',
      ),
      clockUnverified: db.prepare(
        "SELECT count(*) AS n, max(at) AS last_at FROM pop_records WHERE device_id = ? AND clock_status = 'unverified'",
      ),
      received: db.prepare(
        'SELECT seq, at, item_id, hash, prev_hash, payload FROM pop_records WHERE device_id = ? AND seq > ? ORDER BY seq LIMIT ?',
      ),
    };
  }

  /** One device's stored PoP payloads (JSON text) with `at` in [fromMs, toMs), by seq, one row at a time. */
  *between(
    deviceId: string,
    fromMs: number,
    toMs: number,
  ): Generator<{ seq: number; at: number; payload: string }> {
    for (const r of this.s.between.iterate(deviceId, fromMs, toMs)) yield betweenRow.one(r)!;
  }

  /**
   * The seqs of one device's first and last stored PoP record with `at` in [fromMs, toMs), or null
   * when there is none: the bounds for reading the period page by page with `page`.
   */
  seqRange(deviceId: string, fromMs: number, toMs: number): { first: number; last: number } | null {
    const r = rangeRow.one(this.s.seqRange.get(deviceId, fromMs, toMs))!;
    return r.lo === null || r.hi === null ? null : { first: r.lo, last: r.hi };
  }

  /**
   * Up to `limit` stored PoP rows of a device with seq in (afterSeq, lastSeq] and `at` in
   * [fromMs, toMs), by seq: one bounded page (no statement stays open between pages).
   */
  page(
    deviceId: string,
    range: { fromMs: number; toMs: number; afterSeq: number; lastSeq: number },
    limit: number,
  ): StoredPop[] {
    return storedRow.all(
      this.s.page.all(deviceId, range.afterSeq, range.lastSeq, range.fromMs, range.toMs, limit),
    );
  }

  /**
   * Up to `limit` PoP rows without a verdict (stored before verification at ingest), after row
   * `afterId` in storage order: a cursor for a one-pass backfill.
   */
  unverified(
    afterId: number,
    limit: number,
  ): { id: number; deviceId: string; seq: number; payload: string }[] {
    return unverifiedRow.all(this.s.unverified.all(afterId, limit));
  }

  /** Records the verdicts of rows stored before verification at ingest (only where still unknown). */
  setVerdicts(deviceId: string, verdicts: Iterable<readonly [seq: number, verdict: PopVerdict]>): void {
    this.db.transaction(() => {
      for (const [seq, v] of verdicts) this.s.setVerdict.run(v, deviceId, seq);
    })();
  }

  /**
   * How many of a device's stored records were recorded on an unverified clock (their times are a
   * lower bound, see schema.ts registry-clock-1), and the latest such time (device clock).
   */
  clockUnverified(deviceId: string): { count: number; lastAt: number | null } {
    return clockRow.one(this.s.clockUnverified.get(deviceId))!;
  }

  /** PoP records as received: `payload` is the JSON text the device sent for the record. */
  list(
    deviceId: string,
    opts: { afterSeq?: number; limit?: number } = {},
  ): {
    seq: number;
    at: number;
    itemId: string | null;
    hash: string | null;
    prevHash: string | null;
    payload: string;
  }[] {
    return receivedRow.all(
      this.s.received.all(deviceId, opts.afterSeq ?? 0, Math.min(opts.limit ?? 500, 5000)),
    );
  }
}
