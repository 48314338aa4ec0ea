import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate, openDeviceDb } from '../../device/store/sqlite.js';
import { isMigrationError } from '../../platform/sqlite.js';
import { tempFolder } from '../helpers/temp.js';
import { cleanupsAfterEach } from '../helpers/cleanups.js';

describe('device database', () => {
  const cleanups = cleanupsAfterEach();

  it('runs each named migration once, in WAL mode', () => {
    const dir = tempFolder(cleanups);
    const path = join(dir, 'device.db');
    const migrations = [
      { name: 'a-1', up: 'CREATE TABLE a (x INTEGER)' },
      { name: 'b-1', up: 'CREATE TABLE b (y INTEGER)' },
    ];
    let db = openDeviceDb(path);
    migrate(db, migrations);
    db.prepare('INSERT INTO a VALUES (1)').run();
    db.close();
    db = openDeviceDb(path);
    migrate(db, [...migrations, { name: 'a-2', up: 'ALTER TABLE a ADD COLUMN z TEXT' }]);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.prepare('SELECT count(*) AS n FROM migrations').get()).toEqual({ n: 3 });
    expect(db.prepare('SELECT x, z FROM a').all()).toEqual([{ x: 1, z: null }]);
    db.close();
  });

  it('rolls back a failing migration and names it', () => {
    const dir = tempFolder(cleanups);
    const db = openDeviceDb(join(dir, 'device.db'));
    let err: unknown;
    try {
      migrate(db, [{ name: 'bad-1', up: 'CREATE TABLE c (x); THIS IS NOT SQL' }]);
    } catch (e) {
      err = e;
    }
    expect(isMigrationError(err)).toBe(true);
    expect((err as Error).message).toContain('bad-1');
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'c'").get()).toEqual({ n: 0 });
    db.close();
  });
});
