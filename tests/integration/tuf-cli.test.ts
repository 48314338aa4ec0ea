import { copyFileSync, cpSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import type { FastifyInstance } from 'fastify';
import { Updater } from 'tuf-js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerPublishCommands } from '../../cli/publish-commands.js';
import { systemClock } from '../../protocol/clock.js';
import { memoryLogger } from '../../platform/log.js';
import { createHttpApp } from '../../sync-server/web/http-app.js';
import { sampleBundleDir } from '../../sync-server/tuf/demo-repository.js';
import { mountTufRepository } from '../../sync-server/tuf/mount.js';
import { publishRoutes } from '../../sync-server/content/publish-routes.js';
import { tufUrls } from '../../sync-server/tuf/routes.js';
import { tempDir } from '../helpers/temp.js';

const SG = 'kien-giang/ha-tien';
const TOKEN = 'cli-test-token-0123456789';

/** Runs `gatecast <args>` in-process through the real command definitions; returns stdout. */
async function gatecast(...args: string[]): Promise<string> {
  const program = new Command('gatecast').exitOverride();
  registerPublishCommands(program);
  let stdout = '';
  const spyOut = vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
    stdout += String(s);
    return true;
  });
  const spyErr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    await program.parseAsync(['node', 'gatecast', ...args]);
  } finally {
    spyOut.mockRestore();
    spyErr.mockRestore();
  }
  return stdout;
}

describe('gatecast keys / repo / draft', () => {
  let t: ReturnType<typeof tempDir>;
  let keys: string;
  let repoDir: string;

  beforeEach(async () => {
    t = tempDir('gatecast-cli-');
    keys = join(t.path, 'keys');
    repoDir = join(t.path, 'repo');
    for (const name of ['root', 'targets', 'approver-1', 'approver-2', 'approver-3'])
      await gatecast('keys', 'generate', '--out', keys, '--name', name);
    await gatecast(
      'repo',
      'init',
      '--repo',
      repoDir,
      '--root-key',
      `${keys}/root.key`,
      '--targets-key',
      `${keys}/targets.key`,
    );
    await gatecast(
      'repo',
      'add-site-group',
      '--repo',
      repoDir,
      '--site-group',
      SG,
      '--targets-key',
      `${keys}/targets.key`,
      '--approver',
      `${keys}/approver-1.pub.json`,
      `${keys}/approver-2.pub.json`,
      `${keys}/approver-3.pub.json`,
    );
  });
  afterEach(() => t.cleanup());

  it('writes private keys 0600 and refuses to overwrite one', async () => {
    expect(statSync(`${keys}/approver-1.key`).mode & 0o777).toBe(0o600);
    expect(statSync(keys).mode & 0o777).toBe(0o700);
    expect(statSync(`${repoDir}/keys/timestamp.key`).mode & 0o777).toBe(0o600);
    expect(statSync(`${repoDir}/keys`).mode & 0o777).toBe(0o700);
    await expect(gatecast('keys', 'generate', '--out', keys, '--name', 'root')).rejects.toMatchObject({
      code: 'KEY_FILE_INVALID',
      message: expect.stringContaining('refusing to overwrite'),
    });
  });

  it('round trip against a server: draft create → two approvers sign → publish → tuf-js verifies', async () => {
    const app: FastifyInstance = createHttpApp();
    const tuf = await mountTufRepository(app, {
      repoDir,
      clock: systemClock,
      log: memoryLogger(),
    });
    await app.register(publishRoutes, { repo: tuf.repo, drafts: tuf.drafts, auth: { bearer: TOKEN } });
    const base = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const server = ['--server', base, '--token', TOKEN];
      const created = await gatecast(
        'draft',
        'create',
        ...server,
        '--site-group',
        SG,
        '--media',
        sampleBundleDir(),
      );
      const id = /draft (\S+) created/.exec(created)?.[1] as string;
      expect(created).toContain('still to upload: 0');
      const one = await gatecast(
        'draft',
        'sign',
        ...server,
        '--draft',
        id,
        '--key',
        `${keys}/approver-1.key`,
        '--yes',
      );
      expect(one).toContain('(1/2 signatures)');
      expect(one).toContain('not published yet: 1 more signature(s) needed');
      await expect(gatecast('draft', 'publish', ...server, '--draft', id)).rejects.toMatchObject({
        code: 'THRESHOLD_NOT_MET',
      });
      await expect(
        gatecast('draft', 'sign', ...server, '--draft', id, '--key', `${keys}/root.key`, '--yes'),
      ).rejects.toMatchObject({
        code: 'USAGE',
        message: expect.stringContaining('is not an approver key'),
      });
      expect(
        await gatecast('draft', 'sign', ...server, '--draft', id, '--key', `${keys}/approver-3.key`, '--yes'),
      ).toContain(`threshold met: published ${SG} version 1`);
      // Nothing is left to publish by hand.
      await expect(gatecast('draft', 'publish', ...server, '--draft', id)).rejects.toMatchObject({
        code: 'DRAFT_STATE',
        message: expect.stringContaining('already published'),
      });

      // This server has no accounts: --user says to use the token, and both together are refused.
      const pw = join(t.path, 'pw');
      writeFileSync(pw, 'some long password\n');
      await expect(
        gatecast('draft', 'list', '--server', base, '--user', 'tam', '--password-file', pw),
      ).rejects.toMatchObject({ code: 'NO_ACCOUNTS', message: expect.stringContaining('use --token') });
      await expect(
        gatecast('draft', 'list', ...server, '--user', 'tam', '--password-file', pw),
      ).rejects.toMatchObject({ code: 'USAGE', message: expect.stringContaining('not both') });
      await expect(
        gatecast('draft', 'list', '--server', base, '--token', 'wrong-token-0123456789'),
      ).rejects.toMatchObject({
        code: 'UNAUTHORIZED',
      });

      const c = join(t.path, 'client');
      mkdirSync(join(c, 'md'), { recursive: true });
      mkdirSync(join(c, 't'));
      copyFileSync(join(repoDir, 'metadata', 'root.json'), join(c, 'md', 'root.json'));
      const u = new Updater({
        metadataDir: join(c, 'md'),
        targetDir: join(c, 't'),
        ...(({ metadataUrl, targetsUrl }) => ({ metadataBaseUrl: metadataUrl, targetBaseUrl: targetsUrl }))(
          tufUrls(base),
        ),
      });
      await u.refresh();
      const clip = await u.getTargetInfo(`${SG}/media/gate-clip.mp4`);
      expect(
        readFileSync(await u.downloadTarget(clip!)).equals(
          readFileSync(join(sampleBundleDir(), 'media', 'gate-clip.mp4')),
        ),
      ).toBe(true);
    } finally {
      await tuf.stop();
      await app.close();
    }
  });

  it('works on a local repository directory, and only changed files are staged next time', async () => {
    const media = join(t.path, 'media');
    cpSync(sampleBundleDir(), media, { recursive: true });
    const local = ['--repo', repoDir];
    const id1 = /draft (\S+) created/.exec(
      await gatecast('draft', 'create', ...local, '--site-group', SG, '--media', media),
    )?.[1] as string;
    await gatecast('draft', 'sign', ...local, '--draft', id1, '--key', `${keys}/approver-1.key`, '--yes');
    // The second signature publishes, on a local repository as through a server.
    expect(
      await gatecast('draft', 'sign', ...local, '--draft', id1, '--key', `${keys}/approver-2.key`, '--yes'),
    ).toMatch(/threshold met: published kien-giang\/ha-tien version 1: 11 targets, 11 new file/);

    writeFileSync(
      join(media, 'media', 'tourism', 'en.png'),
      readFileSync(join(media, 'media', 'welcome', 'en.png')),
    );
    const created = await gatecast('draft', 'create', ...local, '--site-group', SG, '--media', media);
    const id2 = /draft (\S+) created/.exec(created)?.[1] as string;
    const shown = await gatecast('draft', 'show', ...local, '--draft', id2);
    expect(shown).toContain('version 2');
    // What the approver is asked to sign, against the version on air: only the picture's bytes.
    expect(shown).toContain('changes against the version on air:');
    expect(shown).toContain(`  ~ media ${SG}/media/tourism/en.png (new bytes)`);
    await gatecast('draft', 'sign', ...local, '--draft', id2, '--key', `${keys}/approver-2.key`, '--yes');
    // bundle.json is unchanged too; tourism/en.png now has the same bytes as welcome/en.png: a new
    // name for bytes already stored, so exactly one new hashed file.
    expect(
      await gatecast('draft', 'sign', ...local, '--draft', id2, '--key', `${keys}/approver-3.key`, '--yes'),
    ).toMatch(/version 2: 11 targets, 1 new file/);
    expect(await gatecast('repo', 'status', '--repo', repoDir)).toContain(
      `site group ${SG} (role kien-giang.ha-tien): version 2`,
    );

    // Version 1 back, as a new draft made from version 2 that the approvers sign like any other.
    const restored = await gatecast('draft', 'restore', ...local, '--site-group', SG, '--version', '1');
    const id3 = /draft (\S+) created: \S+ version 3 restores version 1/.exec(restored)?.[1] as string;
    expect(id3).toBeTruthy();
    expect(restored).toContain(`  ~ media ${SG}/media/tourism/en.png (new bytes)`);
    expect(restored).toContain(`  Restores version 1 of "${SG}" (version 2 is on air).`);
    expect(restored).not.toContain('note:');
    await expect(
      gatecast('draft', 'restore', ...local, '--site-group', SG, '--version', 'latest'),
    ).rejects.toMatchObject({ code: 'commander.invalidArgument' });
    await gatecast('draft', 'sign', ...local, '--draft', id3, '--key', `${keys}/approver-1.key`, '--yes');
    // Every byte of version 1 is still in the repository: nothing new to store.
    expect(
      await gatecast('draft', 'sign', ...local, '--draft', id3, '--key', `${keys}/approver-2.key`, '--yes'),
    ).toMatch(/version 3: 11 targets, 0 new file/);
  });

  it('renews targets and rotates root from the command line', async () => {
    await gatecast('keys', 'generate', '--out', keys, '--name', 'root-2');
    expect(
      await gatecast('repo', 'resign-targets', '--repo', repoDir, '--targets-key', `${keys}/targets.key`),
    ).toMatch(/targets version 3, expires/);
    expect(
      await gatecast(
        'repo',
        'rotate-root',
        '--repo',
        repoDir,
        '--root-key',
        `${keys}/root.key`,
        '--new-root-key',
        `${keys}/root-2.key`,
      ),
    ).toMatch(/root version 2/);
    await expect(
      gatecast('repo', 'rotate-root', '--repo', repoDir, '--root-key', `${keys}/root.key`),
    ).rejects.toMatchObject({ code: 'THRESHOLD_NOT_MET' });
    expect(await gatecast('repo', 'status', '--repo', repoDir)).toMatch(/^root v2, targets v3/);
  });

  it('names the file and the rule when a folder cannot become a draft', async () => {
    const media = join(t.path, 'media');
    cpSync(sampleBundleDir(), media, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(media, 'bundle.json'), 'utf8'));
    manifest.items[0].variants.km.src = `${SG}/media/welcome/khmer.png`;
    manifest.items[4].variants.en.src = `${SG}/../../../etc/passwd`;
    writeFileSync(join(media, 'bundle.json'), JSON.stringify(manifest));
    const err = await gatecast(
      'draft',
      'create',
      '--repo',
      repoDir,
      '--site-group',
      SG,
      '--media',
      media,
    ).catch((e) => e);
    expect(err.code).toBe('DRAFT_INVALID');
    expect(err.message).toContain(`${join(media, 'media', 'welcome', 'khmer.png')}: file not found`);
    expect(err.message).toContain('must not contain empty, "." or ".." segments');
    expect(err.message).toMatch(/bundle\.json:items\.\[4\]\.variants\.en\.src/);
    expect(await gatecast('draft', 'list', '--repo', repoDir)).toContain('no drafts');
  });
});
