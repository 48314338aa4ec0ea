/**
 * Opening a better-sqlite3 file and migrating it: shared by the device database and the server's
 * registry and accounts databases, which differ only in their pragmas and their migration lists.
 *
 * On-disk format (kept from the runners this replaces, so existing files open unchanged): each
 * database records applied migrations by name in a table `(name TEXT PRIMARY KEY, applied_at TEXT)`,
 * `migrations` by default (the accounts use `accounts_migrations`, so they can share a file). A
 * migration runs once, in list order; names are stable and prefixed by their owner ("pop-1").
 */
import Database from 'better-sqlite3';
import { coded } from '../protocol/errors.js';

export type SqliteDb = Database.Database;
export type SqliteStatement = Database.Statement;

export interface SqliteMigration {
  /** Unique, stable name, prefixed by the owning subsystem, e.g. "registry-2". */
  name: string;
  up: string | ((db: SqliteDb) => void);
}

/** The caller's settings; every database is in WAL mode. */
export interface SqlitePragmas {
  synchronous: 'NORMAL' | 'FULL';
  foreignKeys: boolean;
  busyTimeoutMs: number;
  /** Pages between automatic checkpoints (SQLite's default when absent; 0 turns them off). */
  walAutocheckpointPages?: number;
  /** The WAL is truncated back to this size after a checkpoint. */
  journalSizeLimitBytes?: number;
}

/** The file could not be opened as a database with the given settings. */
export class SqliteOpenError extends coded('SQLITE_OPEN_FAILED') {
  constructor(
    readonly path: string,
    options: { cause: unknown },
  ) {
    super(`cannot open database ${path}: ${reason(options.cause)}`, options);
  }
}
export const isSqliteOpenError = (e: unknown): e is SqliteOpenError => e instanceof SqliteOpenError;

/** A migration failed; none of the migrations of that run was applied. */
export class MigrationError extends coded('MIGRATION_FAILED') {
  constructor(
    readonly migration: string,
    options: { cause: unknown },
  ) {
    super(`migration ${migration} failed: ${reason(options.cause)}`, options);
  }
}
export const isMigrationError = (e: unknown): e is MigrationError => e instanceof MigrationError;

const reason = (cause: unknown): string => (cause instanceof Error ? cause.message : String(cause));

const TABLE_NAME = /^[a-z_][a-z0-9_]*$/;

/** Opens (creating) the database at `path` in WAL mode with the caller's pragmas. */
export function openSqlite(path: string, pragmas: SqlitePragmas): SqliteDb {
  let db: SqliteDb | undefined;
  try {
    db = new Database(path);
    // A file that is not a database is only noticed at its first read: here, inside the wrapper.
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${pragmas.synchronous}`);
    db.pragma(`foreign_keys = ${pragmas.foreignKeys ? 'ON' : 'OFF'}`);
    db.pragma(`busy_timeout = ${Math.trunc(pragmas.busyTimeoutMs)}`);
    if (pragmas.walAutocheckpointPages !== undefined)
      db.pragma(`wal_autocheckpoint = ${Math.trunc(pragmas.walAutocheckpointPages)}`);
    if (pragmas.journalSizeLimitBytes !== undefined)
      db.pragma(`journal_size_limit = ${Math.trunc(pragmas.journalSizeLimitBytes)}`);
    return db;
  } catch (err) {
    if (db?.open) db.close();
    throw new SqliteOpenError(path, { cause: err });
  }
}

/**
 * Applies the migrations of `migrations` not yet recorded in `table`, in the order given, all in one
 * transaction: when one fails, the database is left as it was and the MigrationError names it.
 * Returns the names applied.
 */
export function migrate(
  db: SqliteDb,
  migrations: readonly SqliteMigration[],
  options: { table?: string } = {},
): string[] {
  const table = options.table ?? 'migrations';
  if (!TABLE_NAME.test(table)) throw new TypeError(`not a migrations table name: ${table}`);
  const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table);
  const applied = new Set(exists ? db.prepare(`SELECT name FROM ${table}`).pluck().all().map(String) : []);
  const pending = migrations.filter((m) => !applied.has(m.name));
  if (exists && pending.length === 0) return [];
  let current = `(the ${table} table)`;
  try {
    db.transaction(() => {
      // In the transaction too: a failed first run leaves a new file without the table.
      db.exec(`CREATE TABLE IF NOT EXISTS ${table} (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)`);
      const record = db.prepare(`INSERT INTO ${table} (name, applied_at) VALUES (?, ?)`);
      for (const m of pending) {
        current = m.name;
        if (typeof m.up === 'string') db.exec(m.up);
        else m.up(db);
        record.run(m.name, new Date().toISOString());
      }
    })();
  } catch (err) {
    throw new MigrationError(current, { cause: err });
  }
  return pending.map((m) => m.name);
}

/** Opens the database and applies its migrations; on a failure the connection is closed. */
export function openAndMigrate(
  path: string,
  options: { pragmas: SqlitePragmas; migrations: readonly SqliteMigration[]; table?: string },
): SqliteDb {
  const db = openSqlite(path, options.pragmas);
  try {
    migrate(db, options.migrations, options.table === undefined ? {} : { table: options.table });
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}
