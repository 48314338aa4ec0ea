/**
 * The device's SQLite database: WAL, bounded journal, named migrations. Each subsystem owns its
 * tables and registers its migrations under its own prefix ("pop-1", "outbox-1", …), so subsystems
 * never collide on numbering; each migration runs once, inside a transaction.
 */
import Database from 'better-sqlite3';
import { GatecastError } from '../../protocol/errors.js';

export type Db = Database.Database;

export interface Migration {
  /** Unique, stable name, prefixed by the owning subsystem, e.g. "pop-1". */
  name: string;
  up: string | ((db: Db) => void);
}

export class StoreError extends GatecastError {
  readonly code = 'STORE_FAILED';
}
export const isStoreError = (e: unknown): e is StoreError => e instanceof StoreError;

/**
 * Opens (creating) the database at `path` with settings for an SD card that loses power:
 * WAL, synchronous=NORMAL for throughput where callers do not ask for FULL, a capped WAL size.
 */
export function openDeviceDb(path: string, options: { synchronous?: 'NORMAL' | 'FULL' } = {}): Db {
  let db: Db;
  try {
    db = new Database(path);
  } catch (err) {
    throw new StoreError(`cannot open database ${path}`, { cause: err });
  }
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // Checkpoint often and truncate the WAL back to this size, so it never grows without bound.
  db.pragma('wal_autocheckpoint = 1000');
  db.pragma(`journal_size_limit = ${4 * 1024 * 1024}`);
  db.exec(`CREATE TABLE IF NOT EXISTS migrations (
    name TEXT PRIMARY KEY,
    applied_at TEXT NOT NULL
  )`);
  return db;
}

/** Applies the migrations not yet applied, in the order given. */
export function migrate(db: Db, migrations: readonly Migration[]): void {
  const applied = new Set(
    (db.prepare('SELECT name FROM migrations').all() as { name: string }[]).map((r) => r.name),
  );
  const record = db.prepare('INSERT INTO migrations (name, applied_at) VALUES (?, ?)');
  for (const m of migrations) {
    if (applied.has(m.name)) continue;
    try {
      db.transaction(() => {
        if (typeof m.up === 'string') db.exec(m.up);
        else m.up(db);
        record.run(m.name, new Date().toISOString());
      })();
    } catch (err) {
      throw new StoreError(`migration ${m.name} failed`, { cause: err });
    }
  }
}
