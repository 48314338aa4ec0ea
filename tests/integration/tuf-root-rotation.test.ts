import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Updater } from 'tuf-js';
import { afterEach, describe, expect, it } from 'vitest';
import { generateSigningKey } from '../../platform/tuf-keys.js';
import { tempDir } from '../helpers/temp.js';
import { startTufRepo, type TufRepoFixture } from '../helpers/tuf-repo.js';

const SG = 'kien-giang/ha-tien';

function newClient(r: TufRepoFixture, cleanups: (() => unknown)[]) {
  const c = tempDir('gatecast-tufclient-');
  cleanups.push(c.cleanup);
  mkdirSync(join(c.path, 'md'));
  copyFileSync(r.rootPath, join(c.path, 'md', 'root.json'));
  return {
    md: join(c.path, 'md'),
    updater: () =>
      new Updater({
        metadataDir: join(c.path, 'md'),
        metadataBaseUrl: r.metadataUrl,
        targetBaseUrl: r.targetsUrl,
      }),
  };
}

describe('offline root and targets maintenance', () => {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });

  it('rotates root and targets keys; existing and new clients follow the chain of roots', async () => {
    const r = await startTufRepo({ files: { [`${SG}/a.txt`]: Buffer.from('a') } });
    cleanups.push(r.close);
    const early = newClient(r, cleanups);
    await early.updater().refresh();

    const newRoots = [generateSigningKey('root-2a').key, generateSigningKey('root-2b').key];
    const newTargets = generateSigningKey('targets-2').key;
    const res = await r.repo.rotateRoot({
      currentRootKeys: [r.keys.root],
      newRootKeys: newRoots,
      newRootThreshold: 2,
      newTargetsKeys: [newTargets],
    });
    expect(res.version).toBe(2);
    expect(r.repo.versions()).toMatchObject({ root: 2, targets: 3 });
    expect(JSON.parse(readFileSync(join(r.dir, 'metadata', 'root.json'), 'utf8')).signed.version).toBe(2);

    const u = early.updater();
    await u.refresh();
    expect(JSON.parse(readFileSync(join(early.md, 'root.json'), 'utf8')).signed.version).toBe(2);
    expect(await u.getTargetInfo(`${SG}/a.txt`)).toBeDefined();

    const late = newClient(r, cleanups);
    await late.updater().refresh();
    // The old targets key no longer counts: a site group added with it is refused.
    await expect(
      r.repo.addSiteGroup({
        siteGroup: 'ha-tinh/cau-treo',
        approvers: r.keys.approvers.map((a) => a.publicKey),
        targetsKeys: [r.keys.targets],
      }),
    ).rejects.toMatchObject({ code: 'SIGNATURE_REJECTED' });
    await r.repo.addSiteGroup({
      siteGroup: 'ha-tinh/cau-treo',
      approvers: r.keys.approvers.map((a) => a.publicKey),
      targetsKeys: [newTargets],
    });
  });

  it('refuses a new root not signed by the current root keys, and writes nothing', async () => {
    const r = await startTufRepo({ serve: false });
    cleanups.push(r.close);
    const stranger = generateSigningKey('stranger').key;
    await expect(r.repo.rotateRoot({ currentRootKeys: [stranger] })).rejects.toMatchObject({
      code: 'THRESHOLD_NOT_MET',
      message: expect.stringContaining('the current root requires'),
    });
    expect(existsSync(join(r.dir, 'metadata', '2.root.json'))).toBe(false);
    expect(r.repo.versions().root).toBe(1);
  });

  it('re-signs targets with a fresh expiry, only with the targets key', async () => {
    const r = await startTufRepo({ serve: false });
    cleanups.push(r.close);
    const before = r.repo.versions().targets;
    await expect(r.repo.resignTargets({ targetsKeys: [r.keys.approvers[0]!] })).rejects.toMatchObject({
      code: 'SIGNATURE_REJECTED',
    });
    const res = await r.repo.resignTargets({ targetsKeys: [r.keys.targets] });
    expect(res.version).toBe(before + 1);
    expect(r.repo.siteGroups().map((g) => g.siteGroup)).toEqual([SG]);
  });
});
