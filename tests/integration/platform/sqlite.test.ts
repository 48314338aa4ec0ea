import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { migrate, openDeviceDb } from '../../../device/store/sqlite.js';
import { POP_MIGRATIONS } from '../../../device/proof-of-play/sqlite-pop-log.js';
import { OUTBOX_MIGRATIONS } from '../../../device/outbox/outbox.js';
import { COMMAND_LEDGER_MIGRATIONS } from '../../../device/sync/command-ledger.js';
import {
  isMigrationError,
  isSqliteOpenError,
  openAndMigrate,
  openSqlite,
  type SqliteMigration,
} from '../../../platform/sqlite.js';
import {
  ACCOUNTS_MIGRATIONS,
  openSqliteAccountStore,
} from '../../../sync-server/accounts/sqlite-accounts.js';
import { Registry } from '../../../sync-server/registry/registry.js';
import { MIGRATIONS as REGISTRY_MIGRATIONS } from '../../../sync-server/registry/schema.js';
import { tempFolder } from '../../helpers/temp.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';

/**
 * The runners the helper replaced, as they wrote files: a table of applied names (`migrations`, or
 * `accounts_migrations` for the accounts), one transaction per migration, WAL mode.
 */
function migrateTheOldWay(path: string, table: string, migrations: readonly SqliteMigration[]): void {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.exec(`CREATE TABLE IF NOT EXISTS ${table} (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)`);
  for (const m of migrations) {
    db.transaction(() => {
      if (typeof m.up === 'string') db.exec(m.up);
      else m.up(db);
      db.prepare(`INSERT INTO ${table} VALUES (?, ?)`).run(m.name, '2024-01-01T00:00:00.000Z');
    })();
  }
  db.close();
}

function appliedNames(path: string, table: string): { name: string; applied_at: string }[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare(`SELECT name, applied_at FROM ${table} ORDER BY name`).all() as {
      name: string;
      applied_at: string;
    }[];
  } finally {
    db.close();
  }
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

const BAD: SqliteMigration = { name: 'zz-bad-1', up: 'CREATE TABLE half_done (x INTEGER); THIS IS NOT SQL' };
const GOOD: SqliteMigration = { name: 'zz-good-1', up: 'CREATE TABLE would_be_added (x INTEGER)' };

describe('platform/sqlite: open and migrate', () => {
  const cleanups = cleanupsAfterEach();

  it('opens a device.db written by the old runner and applies only the migrations it lacks', () => {
    const dir = tempFolder(cleanups);
    const path = join(dir, 'device.db');
    migrateTheOldWay(path, 'migrations', [...POP_MIGRATIONS, ...OUTBOX_MIGRATIONS]);
    const old = new Database(path);
    old.prepare("UPDATE pop_state SET value = 7 WHERE key = 'acknowledged_seq'").run();
    old.close();

    const db = openDeviceDb(path);
    migrate(db, POP_MIGRATIONS);
    migrate(db, OUTBOX_MIGRATIONS);
    migrate(db, COMMAND_LEDGER_MIGRATIONS);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.prepare("SELECT value FROM pop_state WHERE key = 'acknowledged_seq'").get()).toEqual({
      value: 7,
    });
    db.close();
    const names = appliedNames(path, 'migrations');
    expect(names.map((r) => r.name)).toEqual(['outbox-1', 'pop-1', 'pop-2', 'sync-commands-1']);
    // What the old runner recorded stays as it was.
    expect(names.find((r) => r.name === 'pop-1')!.applied_at).toBe('2024-01-01T00:00:00.000Z');
  });

  it('opens a registry.db written by the old runner and applies only the migrations it lacks', async () => {
    const dir = tempFolder(cleanups);
    const path = join(dir, 'registry.db');
    migrateTheOldWay(path, 'migrations', REGISTRY_MIGRATIONS.slice(0, 3));
    const old = new Database(path);
    old
      .prepare(
        "INSERT INTO devices (id, site_group, screen_name, public_key, enrolled_at) VALUES ('d1', 'g', 's', 'k', 5)",
      )
      .run();
    old.prepare("INSERT INTO pop_records (device_id, seq, at, payload) VALUES ('d1', 1, 10, '{}')").run();
    old.close();

    const registry = new Registry(path);
    registry.open();
    expect(registry.devices.get('d1')).toMatchObject({ id: 'd1', siteGroup: 'g', enrolledAtMs: 5 });
    // registry-reports-2 added the verdict column; the old row has none yet.
    expect(registry.pop.unverified(0, 10)).toEqual([{ id: 1, deviceId: 'd1', seq: 1, payload: '{}' }]);
    await registry.close();
    expect(appliedNames(path, 'migrations').map((r) => r.name)).toEqual(
      REGISTRY_MIGRATIONS.map((m) => m.name).sort(),
    );
  });

  it('opens an accounts.db written by the old runner and applies only the migrations it lacks', () => {
    const dir = tempFolder(cleanups);
    const path = join(dir, 'accounts.db');
    migrateTheOldWay(path, 'accounts_migrations', ACCOUNTS_MIGRATIONS.slice(0, 1));
    const old = new Database(path);
    old
      .prepare(
        "INSERT INTO account_users (username, display_name, role, password_hash, created_at, updated_at) VALUES ('ana', 'Ana', 'admin', 'h', 1, 1)",
      )
      .run();
    old.close();

    const store = openSqliteAccountStore(path);
    expect(store.getUserByName('ana')).toMatchObject({ username: 'ana', role: 'admin', roles: ['admin'] });
    store.close();
    expect(appliedNames(path, 'accounts_migrations').map((r) => r.name)).toEqual([
      'accounts-1',
      'accounts-2',
      'accounts-3',
    ]);
  });

  const cases: { file: string; table?: string; old: readonly SqliteMigration[] }[] = [
    { file: 'device.db', old: [...POP_MIGRATIONS, ...OUTBOX_MIGRATIONS, ...COMMAND_LEDGER_MIGRATIONS] },
    { file: 'registry.db', old: REGISTRY_MIGRATIONS },
    { file: 'accounts.db', table: 'accounts_migrations', old: ACCOUNTS_MIGRATIONS },
  ];
  for (const c of cases) {
    it(`leaves an existing ${c.file} unchanged when a migration fails, and names the migration`, () => {
      const dir = tempFolder(cleanups);
      const path = join(dir, c.file);
      const table = c.table ?? 'migrations';
      migrateTheOldWay(path, table, c.old);
      const before = sha256(path);

      let err: unknown;
      try {
        openAndMigrate(path, {
          pragmas: { synchronous: 'FULL', foreignKeys: true, busyTimeoutMs: 5000 },
          migrations: [...c.old, GOOD, BAD],
          ...(c.table ? { table: c.table } : {}),
        });
      } catch (e) {
        err = e;
      }
      expect(isMigrationError(err)).toBe(true);
      expect(err).toMatchObject({ code: 'MIGRATION_FAILED', migration: 'zz-bad-1' });
      expect((err as Error).message).toContain('zz-bad-1');
      expect((err as Error).cause).toBeInstanceOf(Error);
      // The connection was closed (no -wal left behind) and not a byte of the file changed: the
      // migration before the failing one was rolled back with it.
      expect(sha256(path)).toBe(before);
      expect(appliedNames(path, table).map((r) => r.name)).toEqual(c.old.map((m) => m.name).sort());
    });
  }

  it('names a file that is not a database', () => {
    const dir = tempFolder(cleanups);
    const path = join(dir, 'not.db');
    writeFileSync(path, 'this is not a database file, only text '.repeat(40));
    let err: unknown;
    try {
      openSqlite(path, { synchronous: 'NORMAL', foreignKeys: true, busyTimeoutMs: 0 });
    } catch (e) {
      err = e;
    }
    expect(isSqliteOpenError(err)).toBe(true);
    expect(err).toMatchObject({ code: 'SQLITE_OPEN_FAILED', path });
    expect((err as Error).message).toContain(path);
  });
});
