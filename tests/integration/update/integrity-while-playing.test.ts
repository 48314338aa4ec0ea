/**
 * A file of the installed bundle damaged, truncated or deleted while the screen runs: the page server
 * (real, over HTTP) never serves it, the store sets it aside and the update client fetches it again
 * at once — resuming a truncated one — without waiting for the periodic refresh.
 */
import { openSync, readFileSync, rmSync, truncateSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlobStore } from '../../../device/content/blob-store.js';
import { type UpdateEvent, UpdateClient } from '../../../device/update/update-client.js';
import { contentUrl, PageServer } from '../../../player/page-server.js';
import { fakeClock } from '../../../protocol/clock.js';
import { memoryLogger } from '../../../platform/log.js';
import { publishBundle } from '../../helpers/bundle-fixture.js';
import { servedRepoEach } from '../../helpers/tuf-test-repo.js';

const SG = 'kien-giang/ha-tien';
const A = `${SG}/media/a.jpg`;
const B = `${SG}/media/b.jpg`;
const media = {
  [A]: Buffer.from(Array.from({ length: 40_000 }, (_, i) => i % 251)),
  [B]: Buffer.from('b'.repeat(4000)),
};

async function get(origin: string, path: string): Promise<{ status: number; body: Buffer }> {
  const res = await fetch(origin + path);
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
}

describe('installed files checked while playing', () => {
  const t = servedRepoEach(SG);
  let client: UpdateClient;
  let pages: PageServer;
  let events: UpdateEvent[];

  beforeEach(async () => {
    publishBundle(t.repo, media);
    client = new UpdateClient({
      dataDir: join(t.dir, 'data'),
      ...t.source,
      // The periodic refresh is far away: only the fault itself can trigger a fetch here.
      refreshIntervalMs: 24 * 3600_000,
      storeQuotaBytes: 64 * 1024 * 1024,
      clock: fakeClock(),
      log: memoryLogger(),
    });
    await client.loadInstalled();
    await client.refreshNow();
    events = [];
    client.onEvent((e) => events.push(e));
    pages = new PageServer({ content: client.content, log: memoryLogger() });
    await pages.start();
    expect((await get(pages.origin, contentUrl(A))).status).toBe(200);
    t.served.requests.length = 0;
  });
  afterEach(async () => {
    await pages.stop();
    await client.stop();
  });

  const waitForRefetch = async () => {
    await expect.poll(() => events.some((e) => e.type === 'refreshed'), { timeout: 10_000 }).toBe(true);
  };

  it('refuses a file changed in place (same size), quarantines it and fetches it again at once', async () => {
    const file = client.content.current()!.filePath(A)!;
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.from('XXXX'), 0, 4, 100);
    closeSync(fd);

    expect((await get(pages.origin, contentUrl(A))).status).toBe(404);
    await waitForRefetch();
    expect(events.find((e) => e.type === 'file-unusable')).toMatchObject({
      targetPath: A,
      problem: { kind: 'damaged', actualLength: media[A]!.length },
      setAside: 'quarantined',
    });
    const again = await get(pages.origin, contentUrl(A));
    expect(again.status).toBe(200);
    expect(again.body.equals(media[A]!)).toBe(true);
    expect(client.status().unavailableFiles).toBe(0);
  });

  it('resumes a truncated file from where it ends, proving it by the whole hash', async () => {
    truncateSync(client.content.current()!.filePath(A)!, 15_000);
    expect((await get(pages.origin, contentUrl(A))).status).toBe(404);
    await waitForRefetch();
    expect(events.find((e) => e.type === 'file-unusable')).toMatchObject({ setAside: 'resume' });
    const target = t.served.requests.filter((r) => r.path.includes('a.jpg'));
    expect(target).toEqual([expect.objectContaining({ range: 'bytes=15000-', status: 206 })]);
    expect((await get(pages.origin, contentUrl(A))).body.equals(media[A]!)).toBe(true);
  });

  it('fetches a truncated file in full when what is left is not its start', async () => {
    const file = client.content.current()!.filePath(A)!;
    writeFileSync(file, Buffer.alloc(15_000, 0x55));
    expect((await get(pages.origin, contentUrl(A))).status).toBe(404);
    await waitForRefetch();
    const target = t.served.requests.filter((r) => r.path.includes('a.jpg'));
    expect(target.map((r) => r.range ?? 'full')).toEqual(['bytes=15000-', 'full']);
    expect((await get(pages.origin, contentUrl(A))).body.equals(media[A]!)).toBe(true);
  });

  it('notices a deleted file when the player asks for it and fetches it again at once', async () => {
    rmSync(client.content.current()!.filePath(B)!);
    expect(client.content.current()!.filePath(B)).toBeUndefined();
    await waitForRefetch();
    expect(events.find((e) => e.type === 'file-unusable')).toMatchObject({
      targetPath: B,
      setAside: 'missing',
    });
    expect(readFileSync(client.content.current()!.filePath(B)!).equals(media[B]!)).toBe(true);
  });

  it('sets aside and tells of every damaged file the re-fetch finds, resuming a truncated one', async () => {
    // Only A is asked for; B, truncated meanwhile, is found by the re-fetch that A's refusal starts.
    const fd = openSync(client.content.current()!.filePath(A)!, 'r+');
    writeSync(fd, Buffer.from('XXXX'), 0, 4, 100);
    closeSync(fd);
    truncateSync(client.content.current()!.filePath(B)!, 1500);
    expect((await get(pages.origin, contentUrl(A))).status).toBe(404);
    await waitForRefetch();
    const unusable = events.filter((e) => e.type === 'file-unusable');
    expect(unusable).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ targetPath: A, setAside: 'quarantined' }),
        expect.objectContaining({ targetPath: B, setAside: 'resume' }),
      ]),
    );
    const fetches = t.served.requests.filter((r) => r.path.includes('b.jpg'));
    expect(fetches).toEqual([expect.objectContaining({ range: 'bytes=1500-', status: 206 })]);
    expect((await get(pages.origin, contentUrl(B))).body.equals(media[B]!)).toBe(true);
  });

  it('has() does not take a same-size file for the verified one', async () => {
    const blobs = new BlobStore(join(t.dir, 'data', 'content'));
    const ref = client.content.current()!.targets.get(B)!;
    expect(await blobs.has(ref.sha256, ref.length)).toBe(true);
    writeFileSync(blobs.blobPath(ref.sha256), 'c'.repeat(4000));
    expect(await blobs.has(ref.sha256, ref.length)).toBe(false);
  });
});
