/**
 * The re-audits of stored proof of play (schema.ts registry-reaudit-1): each run's range, progress,
 * cursor and findings, and the raw rows it reads. Made once per registry with
 * `registry.featureStore(reauditStore)`.
 */
import type { SqliteDb } from '../../platform/sqlite.js';
import { columns } from './rows.js';
import type { StoredPop } from './pop-store.js';

export type ReauditStatus = 'running' | 'done' | 'cancelled' | 'failed';

/** Problems a re-audit counts, by kind: the chain's break kinds. */
export type ReauditCounts = Record<string, number>;

/** Where a re-audit has got to: the device and the last seq of it verified. */
export interface ReauditCursor {
  deviceId: string;
  afterSeq: number;
}

export interface ReauditRun {
  id: number;
  status: ReauditStatus;
  startedAt: number;
  finishedAt: number | null;
  startedBy: string;
  /** The period asked for ("2026-Q1"), or null for the whole registry. */
  period: string | null;
  /** Records with `at` in [fromMs, toMs); null: no bound. */
  fromMs: number | null;
  toMs: number | null;
  /** Rows stored after this one (after the start) are not covered. */
  toRowid: number;
  total: number;
  done: number;
  cursor: ReauditCursor | null;
  counts: ReauditCounts;
  /** Records whose verdict differs from the one recorded at ingest. */
  differ: number;
  error: string | null;
}

/** One record whose verdict now differs from the one recorded at ingest. */
export interface ReauditDiffer {
  deviceId: string;
  seq: number;
  at: number | null;
  atIngest: string;
  now: string;
}

const runRow = columns('pop_reaudits', {
  id: 'num',
  status: 'str',
  startedAt: 'num',
  finishedAt: 'numOrNull',
  startedBy: 'str',
  period: 'strOrNull',
  fromMs: 'numOrNull',
  toMs: 'numOrNull',
  toRowid: 'num',
  total: 'num',
  done: 'num',
  cursor: 'strOrNull',
  counts: 'str',
  differ: 'num',
  error: 'strOrNull',
});
const differRow = columns('pop_reaudit_differ', {
  deviceId: 'str',
  seq: 'num',
  at: 'numOrNull',
  atIngest: 'str',
  now: 'str',
});
const popRow = columns('pop_records', {
  seq: 'num',
  at: 'numOrNull',
  verdict: 'strOrNull',
  linkOk: 'numOrNull',
  payload: 'str',
});
const countRow = columns('pop_records', { n: 'num' });
const maxRow = columns('pop_records', { m: 'numOrNull' });
const deviceRow = columns('pop_records', { d: 'strOrNull' });

/** A bound for `at` that keeps every row (rows without a time are read as at 0). */
const LOW = Number.MIN_SAFE_INTEGER;
const HIGH = Number.MAX_SAFE_INTEGER;

const runOf = (r: ReturnType<typeof runRow.one> & object): ReauditRun => ({
  ...r,
  status: r.status as ReauditStatus,
  cursor: r.cursor === null ? null : (JSON.parse(r.cursor) as ReauditCursor),
  counts: JSON.parse(r.counts) as ReauditCounts,
});

export type StoredReauditRow = Pick<StoredPop, 'seq' | 'payload'> & {
  at: number | null;
  verdict: string | null;
  linkOk: boolean | null;
};

export class ReauditStore {
  private readonly s;

  constructor(private readonly db: SqliteDb) {
    const inRange = 'coalesce(at, 0) >= ? AND coalesce(at, 0) < ? AND rowid <= ?';
    this.s = {
      insert: db.prepare(
        `INSERT INTO pop_reaudits (status, started_at, started_by, period, from_ms, to_ms, to_rowid, total, counts)
         VALUES ('running', ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      get: db.prepare('SELECT * FROM pop_reaudits WHERE id = ?'),
      last: db.prepare('SELECT * FROM pop_reaudits ORDER BY id DESC LIMIT 1'),
      lastDone: db.prepare("SELECT * FROM pop_reaudits WHERE status = 'done' ORDER BY id DESC LIMIT 1"),
      running: db.prepare("SELECT * FROM pop_reaudits WHERE status = 'running' ORDER BY id LIMIT 1"),
      progress: db.prepare(
        'UPDATE pop_reaudits SET done = ?, cursor = ?, counts = ?, differ = ? WHERE id = ?',
      ),
      finish: db.prepare('UPDATE pop_reaudits SET status = ?, finished_at = ?, error = ? WHERE id = ?'),
      differ: db.prepare(
        'INSERT OR REPLACE INTO pop_reaudit_differ (reaudit_id, device_id, seq, at, at_ingest, now) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      differList: db.prepare(
        'SELECT device_id, seq, at, at_ingest, now FROM pop_reaudit_differ WHERE reaudit_id = ? ORDER BY device_id, seq LIMIT ?',
      ),
      differIn: db.prepare(
        'SELECT count(*) AS n FROM pop_reaudit_differ WHERE reaudit_id = ? AND device_id = ? AND coalesce(at, 0) >= ? AND coalesce(at, 0) < ?',
      ),
      maxRowid: db.prepare('SELECT max(rowid) AS m FROM pop_records'),
      count: db.prepare(`SELECT count(*) AS n FROM pop_records WHERE ${inRange}`),
      nextDevice: db.prepare('SELECT min(device_id) AS d FROM pop_records WHERE device_id > ?'),
      page: db.prepare(
        `SELECT seq, at, verdict, link_ok, payload FROM pop_records
         WHERE device_id = ? AND seq > ? AND ${inRange} ORDER BY seq LIMIT ?`,
      ),
      before: db.prepare(
        'SELECT seq, at, verdict, link_ok, payload FROM pop_records WHERE device_id = ? AND seq = ?',
      ),
      laterIn: db.prepare(
        'SELECT count(*) AS n FROM (SELECT 1 FROM pop_records WHERE device_id = ? AND coalesce(at, 0) >= ? AND coalesce(at, 0) < ? AND rowid > ? LIMIT 1)',
      ),
    };
  }

  /** The last stored row now: a re-audit started now covers the rows up to it. */
  maxRowid(): number {
    return maxRow.one(this.s.maxRowid.get())!.m ?? 0;
  }

  /** Rows stored up to `toRowid` with `at` in [fromMs, toMs) (null: unbounded). */
  count(fromMs: number | null, toMs: number | null, toRowid: number): number {
    return countRow.one(this.s.count.get(fromMs ?? LOW, toMs ?? HIGH, toRowid))!.n;
  }

  begin(run: {
    startedAt: number;
    startedBy: string;
    period: string | null;
    fromMs: number | null;
    toMs: number | null;
    toRowid: number;
    total: number;
  }): ReauditRun {
    const id = this.s.insert.run(
      run.startedAt,
      run.startedBy,
      run.period,
      run.fromMs,
      run.toMs,
      run.toRowid,
      run.total,
      '{}',
    ).lastInsertRowid;
    return this.get(Number(id))!;
  }

  get(id: number): ReauditRun | undefined {
    const r = runRow.one(this.s.get.get(id));
    return r ? runOf(r) : undefined;
  }

  /** The latest re-audit, whatever became of it. */
  last(): ReauditRun | undefined {
    const r = runRow.one(this.s.last.get());
    return r ? runOf(r) : undefined;
  }

  /** The latest re-audit that went through its whole range. */
  lastDone(): ReauditRun | undefined {
    const r = runRow.one(this.s.lastDone.get());
    return r ? runOf(r) : undefined;
  }

  /** The re-audit still running (or stopped mid-way by a shutdown), if any. */
  running(): ReauditRun | undefined {
    const r = runRow.one(this.s.running.get());
    return r ? runOf(r) : undefined;
  }

  /** The first device id after `afterDeviceId` ('' for the first) with stored rows, or null. */
  nextDevice(afterDeviceId: string): string | null {
    return deviceRow.one(this.s.nextDevice.get(afterDeviceId))!.d;
  }

  /** Up to `limit` of the run's rows of a device after `afterSeq`, by seq. */
  page(run: ReauditRun, deviceId: string, afterSeq: number, limit: number): StoredReauditRow[] {
    return popRow
      .all(this.s.page.all(deviceId, afterSeq, run.fromMs ?? LOW, run.toMs ?? HIGH, run.toRowid, limit))
      .map((r) => ({ ...r, linkOk: r.linkOk === null ? null : r.linkOk === 1 }));
  }

  /** The stored row at a device's seq (the link before a page), whatever its range. */
  row(deviceId: string, seq: number): StoredReauditRow | undefined {
    const r = popRow.one(this.s.before.get(deviceId, seq));
    return r ? { ...r, linkOk: r.linkOk === null ? null : r.linkOk === 1 } : undefined;
  }

  /**
   * A chunk's progress and findings, in one transaction with the cursor; with `doneAt`, the last
   * chunk, and the run is done at that time.
   */
  saveChunk(
    run: Pick<ReauditRun, 'id' | 'done' | 'cursor' | 'counts' | 'differ'>,
    found: readonly ReauditDiffer[],
    doneAt: number | null,
  ): void {
    this.db.transaction(() => {
      for (const f of found) this.s.differ.run(run.id, f.deviceId, f.seq, f.at, f.atIngest, f.now);
      this.s.progress.run(
        run.done,
        run.cursor === null ? null : JSON.stringify(run.cursor),
        JSON.stringify(run.counts),
        run.differ,
        run.id,
      );
      if (doneAt !== null) this.s.finish.run('done', doneAt, null, run.id);
    })();
  }

  finish(
    id: number,
    status: Exclude<ReauditStatus, 'running'>,
    at: number,
    error: string | null = null,
  ): void {
    this.s.finish.run(status, at, error, id);
  }

  /** The first `limit` records of a run whose verdict differs from the one at ingest. */
  differ(id: number, limit = 100): ReauditDiffer[] {
    return differRow.all(this.s.differList.all(id, limit));
  }

  /** How many of a device's records with `at` in [fromMs, toMs) the run found differing. */
  differIn(id: number, deviceId: string, fromMs: number, toMs: number): number {
    return countRow.one(this.s.differIn.get(id, deviceId, fromMs, toMs))!.n;
  }

  /** Whether a device has rows with `at` in [fromMs, toMs) stored after row `toRowid`. */
  storedAfter(deviceId: string, fromMs: number, toMs: number, toRowid: number): boolean {
    return countRow.one(this.s.laterIn.get(deviceId, fromMs, toMs, toRowid))!.n > 0;
  }
}

export const reauditStore = (db: SqliteDb): ReauditStore => new ReauditStore(db);
