import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BlobStore } from '../../../device/content/blob-store.js';
import { UpdateClient } from '../../../device/update/update-client.js';
import { fakeClock } from '../../../protocol/clock.js';
import { memoryLogger } from '../../../platform/log.js';
import { publishBundle } from '../../helpers/bundle-fixture.js';
import { servedRepoEach } from '../../helpers/tuf-test-repo.js';

const SG = 'kien-giang/ha-tien';
const A = `${SG}/media/a.jpg`;
const B = `${SG}/media/b.jpg`;
const media = { [A]: Buffer.from('a'.repeat(4000)), [B]: Buffer.from('b'.repeat(4000)) };

describe('update client: boot check, quarantine, rollback and the refresh loop', () => {
  const t = servedRepoEach(SG);
  let dataDir: string;
  const clients: UpdateClient[] = [];

  const makeClient = (extra: { refreshIntervalMs?: number; retryBaseMs?: number } = {}) => {
    const c = new UpdateClient({
      dataDir,
      ...t.source,
      refreshIntervalMs: extra.refreshIntervalMs ?? 60_000,
      retryBaseMs: extra.retryBaseMs ?? 1000,
      storeQuotaBytes: 64 * 1024 * 1024,
      clock: fakeClock(),
      log: memoryLogger(),
    });
    clients.push(c);
    return c;
  };

  beforeEach(async () => {
    dataDir = join(t.dir, 'data');
    publishBundle(t.repo, media);
    const c = makeClient();
    await c.loadInstalled();
    await c.refreshNow();
  });
  afterEach(async () => {
    vi.useRealTimers();
    for (const c of clients.splice(0)) await c.stop();
  });

  it('quarantines a damaged file at boot, skips it, and re-fetches it on the next successful refresh', async () => {
    const blobs = new BlobStore(join(dataDir, 'content'));
    const first = makeClient();
    await first.loadInstalled();
    const aPath = first.content.current()!.filePath(A)!;
    writeFileSync(aPath, 'x'.repeat(4000)); // same length, wrong bytes (a bad sector, a bad hand)

    t.served.offline = true;
    const c = makeClient();
    await c.loadInstalled();
    const b = c.content.current()!;
    expect(b.version).toBe(1);
    expect(b.filePath(A)).toBeUndefined();
    expect(readFileSync(b.filePath(B)!)).toEqual(media[B]);
    expect(c.status().unavailableFiles).toBe(1);
    expect(readdirSync(join(dataDir, 'content', 'quarantine'))).toHaveLength(1);
    expect(await blobs.list()).toHaveLength(2); // manifest + b

    // Offline: the refresh fails, the file stays skipped.
    expect(await c.refreshNow()).toBeUndefined();
    expect(c.content.current()!.filePath(A)).toBeUndefined();

    t.served.offline = false;
    const r = await c.refreshNow();
    expect(r).toMatchObject({ changed: false, fetched: [A], installedVersion: 1 });
    expect(readFileSync(c.content.current()!.filePath(A)!)).toEqual(media[A]);
    expect(c.status().unavailableFiles).toBe(0);
  });

  it('re-fetches a damaged copy of the bundle manifest too', async () => {
    const first = makeClient();
    await first.loadInstalled();
    const blobs = new BlobStore(join(dataDir, 'content'));
    const { sha256 } = JSON.parse(
      readFileSync(join(dataDir, 'content', 'bundles', 'v1.json'), 'utf8'),
    ).manifestTarget;
    writeFileSync(blobs.blobPath(sha256), '{}');
    const c = makeClient();
    await c.loadInstalled();
    expect(c.status().unavailableFiles).toBe(1);
    expect(c.content.current()?.manifest.items).toHaveLength(2); // the record keeps its own copy
    expect((await c.refreshNow())?.fetched).toEqual([`${SG}/bundle.json`]);
    expect(c.status().unavailableFiles).toBe(0);
  });

  it('reports a missing file at boot and serves the rest', async () => {
    const first = makeClient();
    await first.loadInstalled();
    rmSync(first.content.current()!.filePath(B)!);
    const c = makeClient();
    await c.loadInstalled();
    expect(c.content.current()!.filePath(B)).toBeUndefined();
    expect(c.content.current()!.filePath(A)).toBeDefined();
  });

  it('rolls back to the previous bundle on request and tells listeners', async () => {
    const c = makeClient();
    await c.loadInstalled();
    publishBundle(t.repo, { ...media, [A]: Buffer.from('A2') });
    expect((await c.refreshNow())?.installedVersion).toBe(2);
    const seen: number[] = [];
    c.content.onChange((b) => seen.push(b.version));
    expect(await c.rollback()).toBe(true);
    expect(seen).toEqual([1]);
    expect(readFileSync(c.content.current()!.filePath(A)!)).toEqual(media[A]);
    expect(await c.rollback()).toBe(false); // only one step back is kept
  });

  it('refreshes periodically, and backs off (capped) after failures', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const c = makeClient({ refreshIntervalMs: 60_000, retryBaseMs: 1000 });
    const events: string[] = [];
    c.onEvent((e) => events.push(e.type === 'failed' ? `failed:${e.retryInMs}` : e.type));
    await c.start();
    await vi.advanceTimersByTimeAsync(0);
    await vi.waitFor(() => expect(events).toContain('refreshed'));
    t.served.offline = true;
    await vi.advanceTimersByTimeAsync(60_000);
    await vi.waitFor(() => expect(events.filter((e) => e.startsWith('failed'))).toHaveLength(1));
    await vi.advanceTimersByTimeAsync(1000);
    await vi.waitFor(() => expect(events.filter((e) => e.startsWith('failed'))).toHaveLength(2));
    await vi.advanceTimersByTimeAsync(2000);
    await vi.waitFor(() => expect(events.filter((e) => e.startsWith('failed'))).toHaveLength(3));
    expect(events.filter((e) => e.startsWith('failed'))).toEqual([
      'failed:1000',
      'failed:2000',
      'failed:4000',
    ]);
    t.served.offline = false;
    publishBundle(t.repo, { ...media, [B]: Buffer.from('B2') });
    await vi.advanceTimersByTimeAsync(4000);
    await vi.waitFor(() => expect(events).toContain('installed'));
    expect(c.status()).toMatchObject({ installedVersion: 2, consecutiveFailures: 0 });
    expect(c.status().lastError?.code).toBe('DOWNLOAD_FAILED');
  });
});
