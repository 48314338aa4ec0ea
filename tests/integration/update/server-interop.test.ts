/** The device client against the sync server's own TUF repository (publisher, HTTP routes). */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UpdateClient } from '../../../device/update/update-client.js';
import { fakeClock } from '../../../protocol/clock.js';
import { bundleManifestPath, mediaTargets } from '../../../protocol/content.js';
import { memoryLogger } from '../../../platform/log.js';
import { generateSigningKey } from '../../../platform/tuf-keys.js';
import { createHttpApp } from '../../../sync-server/web/http-app.js';
import { createDemoRepository } from '../../../sync-server/tuf/demo-repository.js';
import { tufRoutes, tufUrls } from '../../../sync-server/tuf/routes.js';
import { manifestFor } from '../../helpers/bundle-fixture.js';
import { tempDir } from '../../helpers/temp.js';
import { startTufRepo, type TufRepoFixture } from '../../helpers/tuf-repo.js';

const SG = 'kien-giang/ha-tien';

describe('update client against the server repository', () => {
  let tmp: ReturnType<typeof tempDir>;
  let server: TufRepoFixture;

  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(async () => {
    await server?.close();
    tmp.cleanup();
  });

  it('installs a bundle the server published, then only the changed file of the next one', async () => {
    const media = {
      [`${SG}/media/a.jpg`]: Buffer.from('A'.repeat(2000)),
      [`${SG}/media/b.jpg`]: Buffer.from('B'.repeat(3000)),
    };
    const manifest = Buffer.from(JSON.stringify(manifestFor(SG, Object.keys(media))));
    server = await startTufRepo({ siteGroup: SG, files: { ...media, [bundleManifestPath(SG)]: manifest } });
    const client = new UpdateClient({
      dataDir: join(tmp.path, 'data'),
      siteGroup: SG,
      metadataUrl: server.metadataUrl,
      targetBaseUrl: server.targetsUrl,
      enrolmentRootFile: server.rootPath,
      refreshIntervalMs: 60_000,
      storeQuotaBytes: 64 * 1024 * 1024,
      clock: fakeClock(),
      log: memoryLogger(),
    });
    await client.loadInstalled();
    const first = await client.refreshNow();
    expect(client.status().lastError).toBeUndefined();
    expect(first?.changed).toBe(true);
    const v1 = client.content.current()!;
    for (const [p, b] of Object.entries(media)) expect(readFileSync(v1.filePath(p)!)).toEqual(b);

    const changed = Buffer.from('A2'.repeat(900));
    await server.publish({ [`${SG}/media/a.jpg`]: changed });
    const second = await client.refreshNow();
    expect(client.status().lastError).toBeUndefined();
    expect(second?.fetched).toEqual([`${SG}/media/a.jpg`]);
    const v2 = client.content.current()!;
    expect(v2.version).toBeGreaterThan(v1.version);
    expect(readFileSync(v2.filePath(`${SG}/media/a.jpg`)!)).toEqual(changed);
    await client.stop();
  });

  it('follows a root rotation, and recovers a torn root.json from the rotated good copy', async () => {
    const media = { [`${SG}/media/a.jpg`]: Buffer.from('A'.repeat(2000)) };
    const manifest = Buffer.from(JSON.stringify(manifestFor(SG, Object.keys(media))));
    server = await startTufRepo({ siteGroup: SG, files: { ...media, [bundleManifestPath(SG)]: manifest } });
    const dataDir = join(tmp.path, 'data');
    const make = () =>
      new UpdateClient({
        dataDir,
        siteGroup: SG,
        metadataUrl: server.metadataUrl,
        targetBaseUrl: server.targetsUrl,
        enrolmentRootFile: server.rootPath,
        refreshIntervalMs: 60_000,
        storeQuotaBytes: 64 * 1024 * 1024,
        clock: fakeClock(),
        log: memoryLogger(),
      });
    const client = make();
    await client.loadInstalled();
    await client.refreshNow();
    expect(client.status().lastError).toBeUndefined();

    const newRoot = generateSigningKey('root-2').key;
    await server.repo.rotateRoot({ currentRootKeys: [server.keys.root], newRootKeys: [newRoot] });
    await server.publish({ [`${SG}/media/a.jpg`]: Buffer.from('A3'.repeat(700)) });
    const r = await client.refreshNow();
    expect(client.status().lastError).toBeUndefined();
    expect(r?.fetched).toEqual([`${SG}/media/a.jpg`]);
    const rootFile = join(dataDir, 'tuf', 'metadata', 'root.json');
    expect(JSON.parse(readFileSync(rootFile, 'utf8')).signed.version).toBe(2);
    await client.stop();

    // Power cut tears root.json: the good copy (v2) comes back, not the enrolment root (v1).
    writeFileSync(rootFile, '{"signed": {"_type": "ro');
    const again = make();
    await again.loadInstalled();
    await again.refreshNow();
    expect(again.status().lastError).toBeUndefined();
    expect(JSON.parse(readFileSync(rootFile, 'utf8')).signed.version).toBe(2);
    await again.stop();
  });

  it('installs the Ha Tien sample bundle published through drafts and two approver signatures', async () => {
    const demo = await createDemoRepository({ dir: join(tmp.path, 'demo'), log: memoryLogger() });
    const app = createHttpApp();
    await app.register(tufRoutes, { repoDir: demo.repoDir });
    const urls = tufUrls(await app.listen({ host: '127.0.0.1', port: 0 }));
    try {
      const client = new UpdateClient({
        dataDir: join(tmp.path, 'device'),
        siteGroup: demo.siteGroup,
        metadataUrl: urls.metadataUrl,
        targetBaseUrl: urls.targetsUrl,
        enrolmentRootFile: demo.rootPath,
        refreshIntervalMs: 60_000,
        storeQuotaBytes: 256 * 1024 * 1024,
        clock: fakeClock(),
        log: memoryLogger(),
      });
      await client.loadInstalled();
      await client.refreshNow();
      expect(client.status().lastError).toBeUndefined();
      const b = client.content.current()!;
      const paths = mediaTargets(b.manifest);
      expect(paths.length).toBeGreaterThan(3);
      for (const p of paths) expect(b.filePath(p), p).toBeDefined();
      await client.stop();
    } finally {
      await app.close();
      await demo.repo.stop();
    }
  });
});
