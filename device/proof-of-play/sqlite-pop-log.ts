/**
 * The device's proof-of-play log in SQLite: an append-only, hash-chained, signed list of what was
 * shown. The sync link reads records after a sequence number and acknowledges what the server
 * stored; acknowledged records stay until they pass the retention, and the newest record always
 * stays so the chain continues from it.
 *
 * Power cuts: each append is one IMMEDIATE transaction on a connection with synchronous=FULL (in WAL
 * mode, FULL syncs the WAL at every commit), so after a cut the log ends at the last committed
 * record and its chain is intact; a record the sync link has read is never lost and re-issued with
 * other content.
 *
 * Besides plays, the chain may hold gap records (protocol/proof-of-play.ts): plays the device could
 * not keep, declared by `appendAll` when the buffer in front of this log (pop-buffer.ts) lost some.
 * The same transaction records the buffer journal's mark (`unsavedCleared`), so that after a crash
 * the journal's records are never declared lost when they were in fact written.
 */

import { coded, ProblemsError } from '../../protocol/errors.js';
import type { Logger } from '../../platform/log.js';
import {
  type ChainReport,
  canonicalPopBody,
  POP_GENESIS_HASH,
  PopBody,
  type PopChainRecord,
  PopEntry,
  PopGapBody,
  PopGapEntry,
  type PopRecord,
  popHash,
  popSigningBytes,
  verifyChain,
} from '../../protocol/proof-of-play.js';
import { zodProblems } from '../../protocol/validate.js';
import { type Db, type Migration, migrate, StoreError } from '../store/sqlite.js';
import type { PopSigner } from './signer.js';

export class PopError extends coded('POP_INVALID', ProblemsError) {}
export const isPopError = (e: unknown): e is PopError => e instanceof PopError;

export const POP_MIGRATIONS: readonly Migration[] = [
  {
    name: 'pop-1',
    up: `
      CREATE TABLE pop_records (
        seq INTEGER PRIMARY KEY,
        body TEXT NOT NULL,
        hash TEXT NOT NULL,
        signature TEXT NOT NULL,
        actual_start_at INTEGER NOT NULL
      );
      CREATE TABLE pop_state (
        key TEXT PRIMARY KEY,
        value INTEGER NOT NULL
      );
      INSERT INTO pop_state (key, value) VALUES ('acknowledged_seq', 0);
    `,
  },
  {
    name: 'pop-2',
    // The unsaved-record journal's mark whose records are all in the chain (see appendAll).
    up: `INSERT INTO pop_state (key, value) VALUES ('unsaved_cleared', 0);`,
  },
];

/** One thing to append: a play, or a gap declaring plays that were lost. */
export type PopItem = { entry: PopEntry } | { gap: PopGapEntry };

/** Keep acknowledged records this long by default (the server holds them for the reports). */
export const POP_RETENTION_MS = 30 * 24 * 3600_000;

export interface SqlitePopLogOptions {
  retentionMs?: number;
  log?: Logger;
}

interface Row {
  seq: number;
  body: string;
  hash: string;
  signature: string;
}

export class SqlitePopLog {
  private readonly retentionMs: number;

  constructor(
    private readonly db: Db,
    private readonly signer: PopSigner,
    private readonly options: SqlitePopLogOptions = {},
  ) {
    this.retentionMs = options.retentionMs ?? POP_RETENTION_MS;
  }

  /** Creates the tables and checks the connection is durable enough for a chain. */
  start(): void {
    const sync = Number(this.db.pragma('synchronous', { simple: true }));
    // 2 = FULL, 3 = EXTRA. With NORMAL a power cut may roll back records the server already has.
    if (sync < 2)
      throw new StoreError(
        'proof of play needs a connection with synchronous=FULL (open it with openDeviceDb(path, { synchronous: "FULL" }))',
      );
    migrate(this.db, POP_MIGRATIONS);
    const head = this.head();
    this.options.log?.info('proof-of-play log ready', {
      headSeq: head.seq,
      acknowledgedSeq: this.acknowledgedSeq(),
    });
  }

  /** Nothing to undo: every append is already committed. */
  stop(): void {}

  /** Appends one record and returns it. Throws PopError for an invalid entry (nothing is written). */
  append(entry: PopEntry): PopRecord {
    return this.appendAll([{ entry }])[0] as PopRecord;
  }

  /**
   * Appends plays and gaps in order, in one transaction: all or none. With `unsavedMark`, the same
   * transaction records that the unsaved journal's state of that mark is now in the chain. Throws
   * PopError for an invalid item (nothing is written); a write error (a full disk) is thrown as is.
   */
  appendAll(items: readonly PopItem[], unsavedMark?: number): PopChainRecord[] {
    const parsed = items.map((item) => {
      const r = 'gap' in item ? PopGapEntry.safeParse(item.gap) : PopEntry.safeParse(item.entry);
      if (!r.success) throw new PopError('invalid proof-of-play entry', zodProblems(r.error));
      return r.data;
    });
    const insert = this.db.prepare(
      'INSERT INTO pop_records (seq, body, hash, signature, actual_start_at) VALUES (?, ?, ?, ?, ?)',
    );
    const run = this.db.transaction((): PopChainRecord[] => {
      let head = this.head();
      const out: PopChainRecord[] = [];
      for (const data of parsed) {
        const body: PopBody | PopGapBody = { ...data, v: 1, seq: head.seq + 1, prevHash: head.hash };
        const hash = popHash(body);
        const signature = this.signer.sign(popSigningBytes(hash)).toString('base64');
        const at = 'kind' in body ? body.fromAt : body.actualStartAt;
        insert.run(body.seq, canonicalPopBody(body), hash, signature, at);
        out.push({ ...body, hash, signature } as PopChainRecord);
        head = { seq: body.seq, hash };
      }
      if (unsavedMark !== undefined)
        this.db
          .prepare("UPDATE pop_state SET value = max(value, ?) WHERE key = 'unsaved_cleared'")
          .run(unsavedMark);
      return out;
    });
    // IMMEDIATE: take the write lock before reading the head, so two writers cannot fork the chain.
    return run.immediate();
  }

  /** The highest unsaved-journal mark whose records are all in the chain (0: none yet). */
  unsavedCleared(): number {
    const row = this.db.prepare("SELECT value FROM pop_state WHERE key = 'unsaved_cleared'").get() as
      { value: number } | undefined;
    return row?.value ?? 0;
  }

  /** Up to `limit` records with seq > `afterSeq`, oldest first (what the sync link sends next). */
  readAfter(afterSeq: number, limit: number): PopChainRecord[] {
    if (!Number.isInteger(afterSeq) || afterSeq < 0)
      throw new PopError(`afterSeq must be an integer ≥ 0, got ${afterSeq}`);
    if (!Number.isInteger(limit) || limit < 1)
      throw new PopError(`limit must be an integer ≥ 1, got ${limit}`);
    const rows = this.db
      .prepare('SELECT seq, body, hash, signature FROM pop_records WHERE seq > ? ORDER BY seq LIMIT ?')
      .all(afterSeq, limit) as Row[];
    return rows.map(toRecord);
  }

  /**
   * Marks every record up to `uptoSeq` as stored by the server. Never moves backwards and never past
   * the newest record; returns the acknowledged seq now in force.
   */
  acknowledge(uptoSeq: number): number {
    if (!Number.isInteger(uptoSeq) || uptoSeq < 0)
      throw new PopError(`uptoSeq must be an integer ≥ 0, got ${uptoSeq}`);
    return this.db
      .transaction(() => {
        const next = Math.min(Math.max(this.acknowledgedSeq(), uptoSeq), this.head().seq);
        this.db.prepare("UPDATE pop_state SET value = ? WHERE key = 'acknowledged_seq'").run(next);
        return next;
      })
      .immediate();
  }

  acknowledgedSeq(): number {
    const row = this.db.prepare("SELECT value FROM pop_state WHERE key = 'acknowledged_seq'").get() as
      { value: number } | undefined;
    return row?.value ?? 0;
  }

  /** The newest record's seq and hash (seq 0 and the genesis hash when the log is empty). */
  head(): { seq: number; hash: string } {
    const row = this.db.prepare('SELECT seq, hash FROM pop_records ORDER BY seq DESC LIMIT 1').get() as
      { seq: number; hash: string } | undefined;
    return row ?? { seq: 0, hash: POP_GENESIS_HASH };
  }

  /** Records not yet acknowledged (for health). */
  pendingCount(): number {
    const row = this.db
      .prepare('SELECT count(*) AS n FROM pop_records WHERE seq > ?')
      .get(this.acknowledgedSeq()) as {
      n: number;
    };
    return row.n;
  }

  /**
   * Deletes acknowledged records that started more than the retention before `nowMs`, keeping the
   * newest record. Returns how many were deleted.
   */
  prune(nowMs: number): number {
    const head = this.head().seq;
    const info = this.db
      .prepare('DELETE FROM pop_records WHERE seq <= ? AND seq < ? AND actual_start_at < ?')
      .run(this.acknowledgedSeq(), head, nowMs - this.retentionMs);
    if (info.changes) this.options.log?.info('pruned proof-of-play records', { deleted: info.changes });
    return info.changes;
  }

  /** Verifies the whole stored chain against the device's own public key (self-test, health). */
  verifyStored(): ChainReport {
    return verifyChain(readStoredPop(this.db), this.signer.publicKey);
  }
}

/**
 * Every stored record, oldest first, as found: damaged rows are returned as they are, for
 * verifyChain to judge (e.g. `gatecast pop-verify` with only the public key).
 */
export function readStoredPop(db: Db): unknown[] {
  const rows = db.prepare('SELECT seq, body, hash, signature FROM pop_records ORDER BY seq').all() as Row[];
  return rows.map(toRecordLoose);
}

function toRecord(row: Row): PopChainRecord {
  let body: unknown;
  try {
    body = JSON.parse(row.body);
  } catch (err) {
    throw new StoreError(`proof-of-play record ${row.seq} is not JSON`, { cause: err });
  }
  const parsed = ((body as { kind?: unknown } | null)?.kind === 'gap' ? PopGapBody : PopBody).safeParse(body);
  if (!parsed.success) throw new StoreError(`proof-of-play record ${row.seq} is malformed`);
  return { ...parsed.data, hash: row.hash, signature: row.signature };
}

/** Like toRecord, but leaves judging a damaged row to verifyChain. */
function toRecordLoose(row: Row): unknown {
  try {
    return { ...(JSON.parse(row.body) as object), hash: row.hash, signature: row.signature };
  } catch {
    return { seq: row.seq, hash: row.hash, signature: row.signature }; // reported as malformed
  }
}
