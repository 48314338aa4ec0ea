/**
 * A mirror that trickles one byte every few ms must not hold the device's refresh for hours: each
 * metadata file, each target and the refresh as a whole have a time budget and a throughput floor.
 * Budgets here are a few hundred ms so the whole file runs in seconds; the test timeout bounds a
 * refresh that would otherwise hang.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlobStore } from '../../../device/content/blob-store.js';
import type { TransferLimits } from '../../../device/update/http.js';
import { type UpdateEvent, UpdateClient } from '../../../device/update/update-client.js';
import { fakeClock } from '../../../protocol/clock.js';
import { memoryLogger } from '../../../platform/log.js';
import { publishBundle } from '../../helpers/bundle-fixture.js';
import { servedRepoEach } from '../../helpers/tuf-test-repo.js';

const SG = 'kien-giang/ha-tien';
const FILM = `${SG}/media/film.mp4`;
const film = Buffer.alloc(200_000);
for (let i = 0; i < film.length; i++) film[i] = (i * 13) & 0xff;
const poster = { [`${SG}/media/poster.jpg`]: Buffer.from('poster-'.repeat(50)) };

/** Generous everywhere: each test tightens the one limit it is about. */
const LOOSE: TransferLimits = {
  metadataBudgetMs: 20_000,
  targetBudgetMs: 20_000,
  refreshBudgetMs: 20_000,
  minBytesPerSecond: 1,
  throughputWindowMs: 200,
};
/** One byte every 10 ms: 100 B/s, never silent long enough for the idle timeout. */
const TRICKLE_MS = 10;
/** Scheduling slack on a busy 2-core machine, on top of the budget under test. */
const SLACK_MS = 1500;

describe('update client: a trickling mirror', { timeout: 15_000 }, () => {
  const t = servedRepoEach(SG);
  let client: UpdateClient;
  let events: UpdateEvent[];
  let log: ReturnType<typeof memoryLogger>;

  const makeClient = (limits: TransferLimits) => {
    log = memoryLogger();
    const c = new UpdateClient({
      dataDir: join(t.dir, 'data'),
      ...t.source,
      refreshIntervalMs: 60_000,
      storeQuotaBytes: 64 * 1024 * 1024,
      transferLimits: limits,
      clock: fakeClock(),
      log,
    });
    c.onEvent((e) => events.push(e));
    return c;
  };

  /** Version 1 (a poster) installed over a fast link; version 2 adds the film. */
  const installV1ThenPublishV2 = async (limits: TransferLimits) => {
    publishBundle(t.repo, poster);
    client = makeClient(limits);
    await client.loadInstalled();
    expect((await client.refreshNow())?.installedVersion).toBe(1);
    publishBundle(t.repo, { ...poster, [FILM]: film });
  };

  /** Runs one refresh and returns its failure code and how long it took. */
  const failingRefresh = async () => {
    const t0 = performance.now();
    const r = await client.refreshNow();
    const elapsedMs = performance.now() - t0;
    expect(r).toBeUndefined();
    return { code: client.status().lastError?.code, elapsedMs };
  };

  const expectStillPlayingV1AndReported = (code: string) => {
    expect(client.content.current()?.version).toBe(1);
    expect(events.at(-1)).toMatchObject({ type: 'failed', code });
    expect(log.records.some((r) => r.msg.startsWith('update failed') && r.fields['code'] === code)).toBe(
      true,
    );
  };

  const partialFilm = () =>
    new BlobStore(join(t.dir, 'data', 'content')).partialPath(
      createHash('sha256').update(film).digest('hex'),
    );

  beforeEach(async () => {
    events = [];
  });
  afterEach(async () => {
    await client?.stop();
  });

  it('stops at the metadata budget when timestamp.json trickles, and the next refresh installs', async () => {
    await installV1ThenPublishV2({ ...LOOSE, metadataBudgetMs: 600 });
    t.served.trickleMsPerByte.set('metadata/timestamp.json', TRICKLE_MS);
    const { code, elapsedMs } = await failingRefresh();
    expect(code).toBe('TRANSFER_BUDGET_EXCEEDED');
    expect(elapsedMs).toBeLessThan(600 + SLACK_MS);
    expectStillPlayingV1AndReported('TRANSFER_BUDGET_EXCEEDED');

    t.served.trickleMsPerByte.clear();
    expect((await client.refreshNow())?.installedVersion).toBe(2);
  });

  it('stops when a metadata file arrives below the throughput floor', async () => {
    await installV1ThenPublishV2({ ...LOOSE, minBytesPerSecond: 1000, throughputWindowMs: 300 });
    t.served.trickleMsPerByte.set(`metadata/2.${t.repo.roleFile}`, TRICKLE_MS);
    const { code, elapsedMs } = await failingRefresh();
    expect(code).toBe('THROUGHPUT_TOO_LOW');
    expect(elapsedMs).toBeLessThan(300 + SLACK_MS);
    expectStillPlayingV1AndReported('THROUGHPUT_TOO_LOW');
  });

  it('stops at the target budget when a target trickles, keeps the partial file and resumes it', async () => {
    await installV1ThenPublishV2({ ...LOOSE, targetBudgetMs: 700 });
    t.served.trickleMsPerByte.set(t.repo.servedTargetPath(FILM), TRICKLE_MS);
    const { code, elapsedMs } = await failingRefresh();
    expect(code).toBe('TRANSFER_BUDGET_EXCEEDED');
    expect(elapsedMs).toBeLessThan(700 + SLACK_MS);
    expectStillPlayingV1AndReported('TRANSFER_BUDGET_EXCEEDED');
    const kept = statSync(partialFilm()).size;
    expect(kept).toBeGreaterThan(0);

    t.served.trickleMsPerByte.clear();
    expect((await client.refreshNow())?.installedVersion).toBe(2);
    const filmGets = t.served.requests.filter((r) => r.path.endsWith('film.mp4'));
    expect(filmGets.at(-1)).toMatchObject({ status: 206, range: `bytes=${kept}-` });
    expect(readFileSync(client.content.current()!.filePath(FILM)!).equals(film)).toBe(true);
  });

  it('stops when a target arrives below the throughput floor and keeps the partial file', async () => {
    await installV1ThenPublishV2({ ...LOOSE, minBytesPerSecond: 1000, throughputWindowMs: 300 });
    t.served.trickleMsPerByte.set(t.repo.servedTargetPath(FILM), TRICKLE_MS);
    const { code, elapsedMs } = await failingRefresh();
    expect(code).toBe('THROUGHPUT_TOO_LOW');
    expect(elapsedMs).toBeLessThan(300 + SLACK_MS);
    expectStillPlayingV1AndReported('THROUGHPUT_TOO_LOW');
    expect(existsSync(partialFilm())).toBe(true);
    expect(statSync(partialFilm()).size).toBeGreaterThan(0);
  });

  it('stops the refresh as a whole at its budget, even when each file is within its own', async () => {
    // Long enough for the metadata and the manifest on a busy machine, so the film has started.
    await installV1ThenPublishV2({ ...LOOSE, refreshBudgetMs: 1500 });
    t.served.trickleMsPerByte.set(t.repo.servedTargetPath(FILM), TRICKLE_MS);
    const { code, elapsedMs } = await failingRefresh();
    expect(code).toBe('REFRESH_BUDGET_EXCEEDED');
    expect(elapsedMs).toBeLessThan(1500 + SLACK_MS);
    expectStillPlayingV1AndReported('REFRESH_BUDGET_EXCEEDED');
    expect(statSync(partialFilm()).size).toBeGreaterThan(0);

    // The next refresh gets a fresh budget and finishes the film from the partial file.
    t.served.trickleMsPerByte.clear();
    expect((await client.refreshNow())?.installedVersion).toBe(2);
  });
});
