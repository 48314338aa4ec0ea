/**
 * Downloads keep the data disk's reserve free, checked against the real free space before and
 * during each download; a full disk (ENOSPC) drops the partial file at once instead of keeping the
 * disk full "for resume". The real cases run on a 2 MiB tmpfs (root only; skipped with the reason
 * printed otherwise); the disk filling up mid-download is played by the free-space twin.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  MemoryFreeSpace,
  reserveBytes,
  StatfsFreeSpace,
  type FreeSpace,
} from '../../../device/content/free-space.js';
import { UpdateClient } from '../../../device/update/update-client.js';
import { fakeClock } from '../../../protocol/clock.js';
import { memoryLogger } from '../../../platform/log.js';
import { publishBundle } from '../../helpers/bundle-fixture.js';
import { type SmallDisk, smallDisk } from '../../helpers/small-disk.js';
import { tempDir } from '../../helpers/temp.js';
import { servedRepoEach } from '../../helpers/tuf-test-repo.js';

const SG = 'kien-giang/ha-tien';
const FILM = `${SG}/media/film.webm`;
const RESERVE = { fraction: 0.1, maxBytes: 500 * 1024 ** 2 };

describe('update client and the data disk', () => {
  const t = servedRepoEach(SG);
  let disk: SmallDisk | undefined;
  const clients: UpdateClient[] = [];

  const client = (dataDir: string, freeSpace: FreeSpace) => {
    const c = new UpdateClient({
      dataDir,
      ...t.source,
      refreshIntervalMs: 24 * 3600_000,
      storeQuotaBytes: 1024 ** 3,
      disk: { freeSpace, reserve: RESERVE },
      clock: fakeClock(),
      log: memoryLogger(),
    });
    clients.push(c);
    return c;
  };
  const partials = (dataDir: string) => {
    const dir = join(dataDir, 'content', 'partial');
    return existsSync(dir) ? readdirSync(dir) : [];
  };
  const mountSmall = (ctx: { skip: (note?: string) => void }): SmallDisk => {
    const d = smallDisk(t.dir, 2 * 1024 * 1024);
    if ('unavailable' in d) {
      console.log(`skipped: ${d.unavailable}`);
      ctx.skip(d.unavailable);
      throw new Error('unreachable');
    }
    disk = d;
    return d;
  };

  beforeEach(async () => {});
  afterEach(async () => {
    for (const c of clients.splice(0)) await c.stop();
    disk?.unmount();
    disk = undefined;
  });

  it('refuses, before any byte, a download that would use the reserve (real statfs, 2 MiB disk)', async (ctx) => {
    const d = mountSmall(ctx);
    const total = 2 * 1024 * 1024;
    const reserve = reserveBytes(total, RESERVE);
    // Fits the disk, but not above the reserve.
    publishBundle(t.repo, { [FILM]: Buffer.alloc(total - reserve + 1024, 7) });
    const c = client(join(d.path, 'data'), new StatfsFreeSpace());
    await c.loadInstalled();
    expect(await c.refreshNow()).toBeUndefined();
    expect(c.status().lastError?.code).toBe('DISK_SPACE_LOW');
    expect(c.status().diskFault?.code).toBe('DISK_SPACE_LOW');
    expect(t.served.requests.some((r) => r.path.includes('film'))).toBe(false);
    expect(partials(join(d.path, 'data'))).toEqual([]);
    expect(d.freeBytes()).toBeGreaterThan(reserve);
  });

  it('drops the partial download at once when the disk is really full (ENOSPC), and says so', async (ctx) => {
    const d = mountSmall(ctx);
    publishBundle(t.repo, { [FILM]: Buffer.alloc(3 * 1024 * 1024, 7) });
    // A free-space reading that lies (another writer, a stale figure): the write itself hits ENOSPC.
    const c = client(
      join(d.path, 'data'),
      new MemoryFreeSpace({ totalBytes: 64 * 1024 ** 3, freeBytes: 32 * 1024 ** 3 }),
    );
    await c.loadInstalled();
    const failed: string[] = [];
    c.onEvent((e) => e.type === 'failed' && failed.push(e.code));
    expect(await c.refreshNow()).toBeUndefined();
    expect(failed).toEqual(['DISK_FULL']);
    expect(c.status().diskFault).toMatchObject({ code: 'DISK_FULL' });
    expect(partials(join(d.path, 'data'))).toEqual([]);
    expect(d.freeBytes()).toBeGreaterThan(1024 * 1024); // the disk is not left full
  });

  it('stops a download when the disk fills meanwhile, dropping its partial file', async () => {
    publishBundle(t.repo, { [FILM]: Buffer.alloc(10 * 1024 * 1024, 7) });
    const space = new MemoryFreeSpace(
      { totalBytes: 1024 ** 3, freeBytes: 512 * 1024 ** 2 },
      (reads, self) => {
        // Reads: quota and pre-write checks (manifest, then film), then every 4 MiB written: the
        // fifth comes once 4 MiB of the film are on disk, and by then something else filled the disk.
        if (reads === 5) self.space = { totalBytes: 1024 ** 3, freeBytes: 101 * 1024 ** 2 };
      },
    );
    const dataDir = join(t.dir, 'data');
    const c = client(dataDir, space);
    await c.loadInstalled();
    expect(await c.refreshNow()).toBeUndefined();
    expect(c.status().lastError?.code).toBe('DISK_SPACE_LOW');
    expect(t.served.requests.filter((r) => r.path.includes('film'))).toHaveLength(1);
    expect(partials(dataDir)).toEqual([]);

    space.space = { totalBytes: 1024 ** 3, freeBytes: 512 * 1024 ** 2 };
    expect((await c.refreshNow())?.installedVersion).toBe(1);
    expect(c.status().diskFault).toBeUndefined();
  });
});

describe('free space of a folder not created yet', () => {
  it('is read from the filesystem of its nearest existing folder (a first start has no content folder)', async () => {
    const dir = tempDir();
    try {
      const space = await new StatfsFreeSpace().read(join(dir.path, 'content', 'blobs'));
      expect(space.totalBytes).toBeGreaterThan(0);
      expect(space.totalBytes).toBe((await new StatfsFreeSpace().read(dir.path)).totalBytes);
    } finally {
      dir.cleanup();
    }
  });
});
