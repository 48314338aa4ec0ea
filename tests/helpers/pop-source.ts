import { createHash } from 'node:crypto';
import type { PopSource } from '../../device/outbox/outbox.js';
import type { Db } from '../../device/store/sqlite.js';

/**
 * A proof-of-play store for tests, shaped like the player's: SQLite rows with seq and a hash chain,
 * exposing the PopSource port the outbox reads.
 */
export class SqlitePopSource implements PopSource {
  acknowledged = 0;
  constructor(private readonly db: Db) {
    db.exec(`CREATE TABLE IF NOT EXISTS test_pop (seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, item_id TEXT NOT NULL,
      prev_hash TEXT NOT NULL, hash TEXT NOT NULL)`);
  }

  record(itemId: string, at: number): number {
    const last = this.db.prepare('SELECT seq, hash FROM test_pop ORDER BY seq DESC LIMIT 1').get() as
      { seq: number; hash: string } | undefined;
    const seq = (last?.seq ?? this.acknowledged) + 1;
    const prevHash = last?.hash ?? '0'.repeat(64);
    const hash = createHash('sha256').update(`${prevHash}|${seq}|${at}|${itemId}`).digest('hex');
    this.db.prepare('INSERT INTO test_pop VALUES (?, ?, ?, ?, ?)').run(seq, at, itemId, prevHash, hash);
    return seq;
  }

  readAfter(seq: number, limit: number) {
    return (
      this.db.prepare('SELECT * FROM test_pop WHERE seq > ? ORDER BY seq LIMIT ?').all(seq, limit) as {
        seq: number;
        at: number;
        item_id: string;
        prev_hash: string;
        hash: string;
      }[]
    ).map((r) => ({
      seq: r.seq,
      at: r.at,
      payload: { at: r.at, itemId: r.item_id, seq: r.seq, prevHash: r.prev_hash, hash: r.hash },
    }));
  }

  acknowledge(uptoSeq: number): void {
    this.acknowledged = Math.max(this.acknowledged, uptoSeq);
    this.db.prepare('DELETE FROM test_pop WHERE seq <= ?').run(uptoSeq);
  }

  stats() {
    const r = this.db.prepare('SELECT count(*) AS rows FROM test_pop').get() as { rows: number };
    return { rows: r.rows, bytes: r.rows * 200 };
  }

  dropOldest(count: number) {
    const rows = this.db.prepare('SELECT seq FROM test_pop ORDER BY seq LIMIT ?').all(count) as {
      seq: number;
    }[];
    if (!rows.length) return undefined;
    this.db.prepare('DELETE FROM test_pop WHERE seq <= ?').run(rows[rows.length - 1]!.seq);
    return { count: rows.length, firstSeq: rows[0]!.seq, lastSeq: rows[rows.length - 1]!.seq };
  }
}
