/**
 * A power cut with the data disk full: the next start must not fail on a write. Runs on a real
 * 2 MiB tmpfs filled to the last byte (root only; skipped with the reason printed otherwise).
 */
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BlobStore } from '../../../device/content/blob-store.js';
import { reclaimAtStart, StatfsFreeSpace } from '../../../device/content/free-space.js';
import { OUTBOX_MIGRATIONS } from '../../../device/outbox/outbox.js';
import { POP_MIGRATIONS } from '../../../device/proof-of-play/sqlite-pop-log.js';
import { migrate, openDeviceDb } from '../../../device/store/sqlite.js';
import { CrashLoopCounter } from '../../../device/watchdog/crash-loop.js';
import { fakeClock } from '../../../protocol/clock.js';
import { memoryLogger } from '../../../platform/log.js';
import { type SmallDisk, smallDisk } from '../../helpers/small-disk.js';
import { tempDir } from '../../helpers/temp.js';

function fill(file: string): void {
  const fd = openSync(file, 'w');
  try {
    for (const size of [64 * 1024, 1]) {
      const buf = Buffer.alloc(size, 1);
      try {
        for (;;) writeSync(fd, buf);
      } catch (err) {
        if ((err as { code?: string }).code !== 'ENOSPC') throw err;
      }
    }
  } finally {
    closeSync(fd);
  }
}

describe('start-up on a full data disk', () => {
  let tmp: ReturnType<typeof tempDir> | undefined;
  let disk: SmallDisk | undefined;
  afterEach(() => {
    disk?.unmount();
    tmp?.cleanup();
    disk = undefined;
    tmp = undefined;
  });

  it('counts the start in memory, drops the partial download that filled the disk, and opens the database', async (ctx) => {
    tmp = tempDir();
    const d = smallDisk(tmp.path, 2 * 1024 * 1024);
    if ('unavailable' in d) {
      console.log(`skipped: ${d.unavailable}`);
      return ctx.skip(d.unavailable);
    }
    disk = d;
    const clock = fakeClock('2026-03-01T00:00:00Z');
    await new CrashLoopCounter(d.path, clock, memoryLogger()).recordStart();
    // The database as a previous run left it, then the disk fills up.
    const db = openDeviceDb(join(d.path, 'device.db'));
    migrate(db, POP_MIGRATIONS);
    migrate(db, OUTBOX_MIGRATIONS);
    db.close();
    // What filled it: a partial download kept "for resume".
    const blobs = new BlobStore(join(d.path, 'content'));
    mkdirSync(blobs.partialDir, { recursive: true });
    fill(blobs.partialPath('a'.repeat(64)));
    expect(d.freeBytes()).toBe(0);

    clock.advance(20_000);
    const log = memoryLogger();
    const counter = new CrashLoopCounter(d.path, clock, log);
    const r = await counter.recordStart();
    expect(r).toMatchObject({ startsInWindow: 2, isCrashLoop: false });
    expect(r.notSaved).toMatch(/ENOSPC/);
    expect(log.records.map((x) => x.msg)).toContain('start not recorded: starts.json cannot be written');
    await expect(counter.acknowledge()).resolves.toBeUndefined();

    // Without room SQLite cannot size its WAL index: the daemon would not start at all.
    expect(() => openDeviceDb(join(d.path, 'device.db'))).toThrow(/disk I\/O error/);
    const reclaimed = await reclaimAtStart(blobs, new StatfsFreeSpace(), {
      fraction: 0.1,
      maxBytes: 500 * 1024 ** 2,
    });
    expect(reclaimed).toMatchObject({ freedBytes: expect.any(Number) });
    expect((reclaimed as { freedBytes: number }).freedBytes).toBeGreaterThan(1024 * 1024);
    expect(existsSync(blobs.partialDir) ? readdirSync(blobs.partialDir) : []).toEqual([]);
    const again = openDeviceDb(join(d.path, 'device.db'));
    migrate(again, POP_MIGRATIONS);
    migrate(again, OUTBOX_MIGRATIONS);
    again.close();
  });
});
