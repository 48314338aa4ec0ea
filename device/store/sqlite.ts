/**
 * The device's SQLite database: WAL, bounded journal, named migrations (platform/sqlite.ts). Each
 * subsystem owns its tables and registers its migrations under its own prefix ("pop-1", "outbox-1",
 * …), so subsystems never collide on numbering.
 */
import { coded } from '../../protocol/errors.js';
import { migrate, openSqlite, type SqliteDb, type SqliteMigration } from '../../platform/sqlite.js';

/** Applies the migrations not yet applied, in the order given (table `migrations`). */
export { migrate };

export type Db = SqliteDb;
export type Migration = SqliteMigration;

export class StoreError extends coded('STORE_FAILED') {}
export const isStoreError = (e: unknown): e is StoreError => e instanceof StoreError;

/**
 * Opens (creating) the database at `path` with settings for an SD card that loses power:
 * WAL, synchronous=NORMAL for throughput where callers do not ask for FULL, a capped WAL size.
 */
export function openDeviceDb(path: string, options: { synchronous?: 'NORMAL' | 'FULL' } = {}): Db {
  const db = openSqlite(path, {
    synchronous: options.synchronous ?? 'FULL',
    foreignKeys: true,
    busyTimeoutMs: 5000,
    // Checkpoint often and truncate the WAL back to this size, so it never grows without bound.
    walAutocheckpointPages: 1000,
    journalSizeLimitBytes: 4 * 1024 * 1024,
  });
  // The table exists from the start, as it always has, before any subsystem registers migrations.
  migrate(db, []);
  return db;
}
