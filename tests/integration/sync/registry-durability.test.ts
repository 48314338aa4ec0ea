/**
 * Acked means durable: the registry stores a batch and then acks it, and the device drops what was
 * acked. A commit that a power cut can roll back (synchronous=NORMAL in WAL mode) would lose records
 * the device no longer has, so the ingest store only works on a connection with synchronous=FULL.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openAndMigrate } from '../../../platform/sqlite.js';
import { IngestStore } from '../../../sync-server/registry/ingest-store.js';
import { Registry } from '../../../sync-server/registry/registry.js';
import { MIGRATIONS } from '../../../sync-server/registry/schema.js';
import { tempDir } from '../../helpers/temp.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups.length = 0;
});

describe('registry durability', () => {
  it('stores acked batches on a connection with synchronous=FULL', async () => {
    const dir = tempDir('gc-durable-');
    cleanups.push(dir.cleanup);
    const registry = new Registry(join(dir.path, 'registry.db'));
    registry.open();
    cleanups.push(() => registry.close());
    expect(registry.ingest.synchronous()).toBe('FULL');
  });

  it('refuses to store acked batches on a connection that a power cut can roll back', () => {
    const dir = tempDir('gc-durable-');
    cleanups.push(dir.cleanup);
    const db = openAndMigrate(join(dir.path, 'registry.db'), {
      pragmas: { synchronous: 'NORMAL', foreignKeys: true, busyTimeoutMs: 1000 },
      migrations: MIGRATIONS,
    });
    cleanups.push(() => void db.close());
    expect(() => new IngestStore(db)).toThrow(/synchronous=FULL/);
  });
});
