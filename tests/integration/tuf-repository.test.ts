import { appendFileSync, copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Updater } from 'tuf-js';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../protocol/clock.js';
import { memoryLogger } from '../../platform/log.js';
import { createHttpApp } from '../../sync-server/web/http-app.js';
import { createDemoRepository, sampleBundleDir } from '../../sync-server/tuf/demo-repository.js';
import { TufRepository } from '../../sync-server/tuf/repository.js';
import { tufRoutes, tufUrls } from '../../sync-server/tuf/routes.js';
import { tempDir } from '../helpers/temp.js';
import { startTufRepo, type TufRepoFixture } from '../helpers/tuf-repo.js';

const SG = 'kien-giang/ha-tien';
const enc = (s: string) => new TextEncoder().encode(s);

function client(r: TufRepoFixture) {
  const t = tempDir('gatecast-tufclient-');
  const metadataDir = join(t.path, 'metadata');
  const targetDir = join(t.path, 'targets');
  mkdirSync(metadataDir);
  mkdirSync(targetDir);
  copyFileSync(r.rootPath, join(metadataDir, 'root.json'));
  const updater = () =>
    new Updater({ metadataDir, metadataBaseUrl: r.metadataUrl, targetDir, targetBaseUrl: r.targetsUrl });
  return { dir: t, metadataDir, targetDir, updater };
}

describe('TUF repository served over HTTP', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  it('is refreshed by tuf-js and serves a verified target, nested under the site group', async () => {
    const r = await startTufRepo({
      files: { [`${SG}/bundle.json`]: enc('{"v":1}'), [`${SG}/media/vi/poster.svg`]: enc('<svg/>') },
    });
    cleanups.push(r.close);
    const c = client(r);
    cleanups.push(c.dir.cleanup);
    const u = c.updater();
    await u.refresh();
    const info = await u.getTargetInfo(`${SG}/media/vi/poster.svg`);
    expect(info?.length).toBe(6);
    const path = await u.downloadTarget(info!);
    expect(readFileSync(path, 'utf8')).toBe('<svg/>');
    // tuf-js persisted the delegated role under its plain name.
    expect(readFileSync(join(c.metadataDir, 'kien-giang.ha-tien.json'), 'utf8')).toContain('"version": 1');
  });

  it('publishes a new version: changed targets get new hashed names, unchanged ones keep theirs', async () => {
    const r = await startTufRepo({
      files: { [`${SG}/bundle.json`]: enc('{"v":1}'), [`${SG}/media/a.png`]: enc('AAAA') },
    });
    cleanups.push(r.close);
    const before = r.repo.roleMetadata(SG)!.signed.targets;
    const res = await r.publish({
      [`${SG}/bundle.json`]: enc('{"v":2}'),
      [`${SG}/media/b.png`]: enc('BBBB'),
    });
    expect(res).toEqual({ version: 2, targets: 3, newFiles: 2 });
    const after = r.repo.roleMetadata(SG)!.signed.targets;
    expect(after[`${SG}/media/a.png`]!.hashes).toEqual(before[`${SG}/media/a.png`]!.hashes);
    expect(after[`${SG}/bundle.json`]!.hashes).not.toEqual(before[`${SG}/bundle.json`]!.hashes);
    const c = client(r);
    cleanups.push(c.dir.cleanup);
    const u = c.updater();
    await u.refresh();
    const info = await u.getTargetInfo(`${SG}/bundle.json`);
    expect(readFileSync(await u.downloadTarget(info!), 'utf8')).toBe('{"v":2}');
    expect(r.repo.versions().roles).toEqual({ 'kien-giang.ha-tien': 2 });
  });

  it('refuses to publish below the threshold', async () => {
    const r = await startTufRepo({ files: { [`${SG}/bundle.json`]: enc('{"v":1}') }, serve: false });
    cleanups.push(r.close);
    await expect(
      r.publish({ [`${SG}/bundle.json`]: enc('{"v":2}') }, { approvers: [r.keys.approvers[0]!] }),
    ).rejects.toMatchObject({ code: 'THRESHOLD_NOT_MET', have: 1, need: 2 });
    expect(r.repo.versions().roles['kien-giang.ha-tien']).toBe(1);
  });

  it('createDemoRepository publishes the sample bundle through a draft signed by two approvers', async () => {
    const t = tempDir('gatecast-demo-');
    cleanups.push(t.cleanup);
    const demo = await createDemoRepository({ dir: t.path, log: memoryLogger() });
    expect(demo.published).toMatchObject({
      siteGroup: SG,
      version: 1,
      targets: 11,
      newFiles: 11,
      uploaded: 10,
    });
    expect(demo.approverKeyFiles).toHaveLength(2);
    const app = createHttpApp();
    await app.register(tufRoutes, { repoDir: demo.repoDir });
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    cleanups.push(() => app.close());
    const c = tempDir('gatecast-tufclient-');
    cleanups.push(c.cleanup);
    mkdirSync(join(c.path, 'md'));
    mkdirSync(join(c.path, 't'));
    copyFileSync(demo.rootPath, join(c.path, 'md', 'root.json'));
    const urls = tufUrls(base);
    const u = new Updater({
      metadataDir: join(c.path, 'md'),
      metadataBaseUrl: urls.metadataUrl,
      targetDir: join(c.path, 't'),
      targetBaseUrl: urls.targetsUrl,
    });
    await u.refresh();
    const info = await u.getTargetInfo(`${SG}/bundle.json`);
    const got = readFileSync(await u.downloadTarget(info!), 'utf8');
    expect(got).toBe(readFileSync(join(sampleBundleDir(), 'bundle.json'), 'utf8'));
  });

  it('refuses to open a repository whose metadata files disagree with the snapshot', async () => {
    const r = await startTufRepo({ files: { [`${SG}/bundle.json`]: enc('{"v":1}') }, serve: false });
    cleanups.push(r.close);
    appendFileSync(join(r.dir, 'metadata', '1.kien-giang.ha-tien.json'), ' ');
    await expect(
      new TufRepository({ dir: r.dir, clock: systemClock, log: memoryLogger() }).open(),
    ).rejects.toMatchObject({
      code: 'TUF_REPO',
      message: expect.stringContaining('1.kien-giang.ha-tien.json: does not match'),
    });
  });
});
