import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlobStore } from '../../../device/content/blob-store.js';
import { UpdateClient } from '../../../device/update/update-client.js';
import { fakeClock } from '../../../protocol/clock.js';
import { memoryLogger } from '../../../platform/log.js';
import { publishBundle } from '../../helpers/bundle-fixture.js';
import { servedRepoEach } from '../../helpers/tuf-test-repo.js';

const SG = 'kien-giang/ha-tien';
const media = (n: number, tag = 'a') =>
  Object.fromEntries(
    Array.from({ length: n }, (_, i) => [`${SG}/media/f${i}.jpg`, Buffer.from(`${tag}-${i}-`.repeat(100))]),
  );

describe('update client: install', () => {
  const t = servedRepoEach(SG);
  let client: UpdateClient;
  let log: ReturnType<typeof memoryLogger>;

  const makeClient = (quota = 64 * 1024 * 1024) => {
    log = memoryLogger();
    return new UpdateClient({
      dataDir: join(t.dir, 'data'),
      ...t.source,
      refreshIntervalMs: 60_000,
      storeQuotaBytes: quota,
      clock: fakeClock(),
      log,
    });
  };

  beforeEach(async () => {
    client = makeClient();
  });
  afterEach(async () => {
    await client.stop();
  });

  it('installs a published bundle and serves its verified files', async () => {
    const files = media(3);
    publishBundle(t.repo, files);
    await client.loadInstalled();
    const r = await client.refreshNow();
    expect(r?.changed).toBe(true);
    const b = client.content.current();
    expect(b?.version).toBe(1);
    expect(b?.manifest.items).toHaveLength(3);
    for (const [p, bytes] of Object.entries(files)) expect(readFileSync(b!.filePath(p)!)).toEqual(bytes);
    expect(b?.filePath(`${SG}/media/none.jpg`)).toBeUndefined();
    expect(client.status()).toMatchObject({
      installedVersion: 1,
      latestSeenVersion: 1,
      consecutiveFailures: 0,
    });
  });

  it('fetches only what changed, keeps the previous bundle, and collects unreferenced blobs', async () => {
    publishBundle(t.repo, media(3));
    await client.loadInstalled();
    await client.refreshNow();
    const files2: Record<string, Buffer> = { ...media(3), [`${SG}/media/f1.jpg`]: Buffer.from('changed') };
    publishBundle(t.repo, files2);
    const changes: number[] = [];
    client.content.onChange((b) => changes.push(b.version));
    const r = await client.refreshNow();
    // Same manifest bytes (same paths), so only the changed file is fetched.
    expect(r?.fetched).toEqual([`${SG}/media/f1.jpg`]);
    expect(changes).toEqual([2]);
    const blobs = new BlobStore(join(t.dir, 'data', 'content'));
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    const oldF1 = sha(media(3)[`${SG}/media/f1.jpg`]!);
    expect(await blobs.list()).toContain(oldF1); // kept for rollback
    // v3 drops f0; v1's f1 blob was only referenced by v1 (now neither current nor previous)
    const files3 = { [`${SG}/media/f2.jpg`]: files2[`${SG}/media/f2.jpg`]! };
    publishBundle(t.repo, files3);
    await client.refreshNow();
    const b = client.content.current()!;
    expect(b.version).toBe(3);
    expect(readFileSync(b.filePath(`${SG}/media/f2.jpg`)!)).toEqual(files3[`${SG}/media/f2.jpg`]);
    const left = await blobs.list();
    expect(left).not.toContain(oldF1);
    expect(left).toContain(sha(files2[`${SG}/media/f1.jpg`]!)); // v2 is now the previous bundle
    expect(left).toHaveLength(5); // v3: manifest + f2; v2: manifest + f0 + new f1 (f2 shared)
  });

  it('resumes a cut download after a restart from the partial file on disk', async () => {
    const big = `${SG}/media/film.mp4`;
    const film = Buffer.alloc(1_500_000);
    for (let i = 0; i < film.length; i++) film[i] = (i * 7) & 0xff;
    publishBundle(t.repo, { [big]: film });
    t.served.cutAfter.set(t.repo.servedTargetPath(big), 600_000);
    await client.loadInstalled();
    expect(await client.refreshNow()).toBeUndefined();
    expect(client.status().lastError?.code).toBe('DOWNLOAD_FAILED');
    await client.stop();

    client = makeClient();
    await client.loadInstalled();
    const before = t.served.bytesServed;
    expect((await client.refreshNow())?.installedVersion).toBe(1);
    const filmGets = t.served.requests.filter((r) => r.path.endsWith('film.mp4'));
    expect(filmGets).toHaveLength(2);
    expect(filmGets[1]).toMatchObject({ status: 206, range: expect.stringMatching(/^bytes=\d+-$/) });
    const resumedFrom = Number(/bytes=(\d+)-/.exec(filmGets[1]!.range!)![1]);
    expect(resumedFrom).toBeGreaterThan(0);
    expect(t.served.bytesServed - before).toBeLessThan(film.length - resumedFrom + 20_000); // + metadata
    expect(readFileSync(client.content.current()!.filePath(big)!).equals(film)).toBe(true);
  });

  it('refuses an install over the quota before downloading anything', async () => {
    await client.stop();
    client = makeClient(1024 * 1024);
    publishBundle(t.repo, { [`${SG}/media/big.bin`]: Buffer.alloc(2 * 1024 * 1024, 7) });
    await client.loadInstalled();
    expect(await client.refreshNow()).toBeUndefined();
    expect(client.status().lastError?.code).toBe('STORE_QUOTA_EXCEEDED');
    expect(t.served.requests.some((r) => r.path.endsWith('big.bin'))).toBe(false);
    expect(client.content.current()).toBeUndefined();
  });

  it('plays the installed bundle offline after a restart, without any request', async () => {
    publishBundle(t.repo, media(2));
    await client.loadInstalled();
    await client.refreshNow();
    await client.stop();
    t.served.offline = true;
    const before = t.served.requests.length;
    client = makeClient();
    await client.loadInstalled();
    const b = client.content.current()!;
    expect(b.version).toBe(1);
    expect(b.filePath(`${SG}/media/f0.jpg`)).toBeDefined();
    expect(t.served.requests.length).toBe(before);
    expect(await client.refreshNow()).toBeUndefined();
    expect(client.status().lastError?.code).toBe('DOWNLOAD_FAILED');
    expect(client.content.current()?.version).toBe(1);
  });
});
