/**
 * gatecast updating itself, with real processes: two real builds of gatecast for this platform
 * (`gatecast release build`), published in a real TUF repository served on 127.0.0.1 once two
 * release approvers signed with `gatecast release sign`; a screen's processes started from the
 * `current` link (as the systemd unit starts them) install B, switch, start B and commit; a broken
 * build that exits at start is rolled back by the start-up check of the committed release
 * (ExecStartPre), with its reason. Build dist/ first (npx tsc -p tsconfig.build.json).
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../../protocol/clock.js';
import { memoryLogger } from '../../../platform/log.js';
import { generateKeyPairFiles } from '../../../platform/tuf-keys.js';
import { ReleaseProof } from '../../../device/release/release-proof.js';
import { releaseLayout, ReleaseStore } from '../../../device/release/release-store.js';
import { trustedRootPath } from '../../../device/sync/enrol.js';
import { platformOf } from '../../../protocol/release.js';
import { publishReleaseFiles } from '../../../sync-server/tuf/release-drafts.js';
import { TufRepository } from '../../../sync-server/tuf/repository.js';
import { GATECAST_JS, runGatecast } from '../../helpers/cli-process.js';
import { fixtureRelease } from '../../helpers/release-fixture.js';
import { startTufRepo, type TufRepoFixture } from '../../helpers/tuf-repo.js';
import { tempDir } from '../../helpers/temp.js';

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

const platform = platformOf(process.platform, process.arch)!;
const other = platform === 'linux-x64' ? 'linux-arm64' : 'linux-x64';
const version = (
  JSON.parse(readFileSync(join(GATECAST_JS, '..', '..', '..', 'package.json'), 'utf8')) as { version: string }
).version;
const bumped = version.replace(/\d+$/, (n) => String(Number(n) + 1));

describe('gatecast updates itself on a screen (real builds, real processes)', () => {
  let tmp: { path: string; cleanup: () => void };
  let repo: TufRepoFixture;
  let store: ReleaseStore;
  let configPath: string;
  const keyFiles: string[] = [];

  /**
   * A process started from a link, as the unit's ExecStart (`current`) and ExecStartPre (`committed`)
   * do; asynchronous, so the repository served by this test process answers it meanwhile.
   */
  const fromLink = (link: 'current' | 'committed', args: string[], env: Record<string, string> = {}) =>
    new Promise<Ran>((resolve) => {
      execFile(
        process.execPath,
        [join(store.layout.root, link, 'dist', 'cli', 'gatecast.js'), ...args],
        { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000 },
        (err, stdout, stderr) =>
          resolve({ status: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr }),
      );
    });
  const said = (r: Ran) => `${r.stdout}${r.stderr}`;

  beforeAll(async () => {
    tmp = tempDir('gatecast-release-e2e-');
    repo = await startTufRepo();
    for (const i of [1, 2, 3])
      keyFiles.push((await generateKeyPairFiles(join(tmp.path, 'keys'), `release-${i}`)).privatePath);
    const pubs = await Promise.all(
      [1, 2, 3].map(async (i) =>
        (await import('../../../platform/tuf-keys.js')).loadPublicKey(
          join(tmp.path, 'keys', `release-${i}.pub.json`),
        ),
      ),
    );
    await repo.repo.addReleasesRole({
      approvers: pubs.map((p) => p.publicKey),
      threshold: 2,
      targetsKeys: [repo.keys.targets],
    });
    store = new ReleaseStore(releaseLayout(join(tmp.path, 'opt', 'gatecast')));
    const dataDir = join(tmp.path, 'data');
    mkdirSync(join(dataDir, 'tuf'), { recursive: true });
    writeFileSync(trustedRootPath(dataDir), repo.rootBytes);
    configPath = join(tmp.path, 'device.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        gate: { siteGroup: repo.siteGroup, name: 'Hà Tiên', languages: ['vi'] },
        dataDir,
        server: { url: repo.baseUrl },
        release: { root: store.layout.root, commitWithinMs: 60_000, maxStarts: 3 },
      }),
    );
  }, 60_000);

  afterAll(async () => {
    await repo?.close();
    tmp?.cleanup();
  });

  it('refuses to build a release for another platform here, naming scripts/arm64-root.sh', () => {
    const r = runGatecast(['release', 'build', '--platform', other, '--out', join(tmp.path, 'x')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('scripts/arm64-root.sh');
    expect(r.stderr).toContain(`must be built on ${other}`);
  });

  it('says what it built: a real file beside its manifest', () => {
    const out = join(tmp.path, 'out-check');
    const r = runGatecast(
      ['release', 'build', '--platform', platform, '--out', out, '--release-version', '7.7.7'],
      { timeoutMs: 240_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    const m = JSON.parse(readFileSync(join(out, `gatecast-7.7.7-${platform}.json`), 'utf8'));
    expect(m).toMatchObject({ version: '7.7.7', platform, nodeAbi: process.versions.modules });
    expect(m.migrations).toContain('pop-1');
    const list = spawnSync('tar', ['-tzf', join(out, `gatecast-7.7.7-${platform}.tar.gz`)], {
      encoding: 'utf8',
      maxBuffer: 1 << 28,
    });
    expect(list.stdout).toContain('./dist/cli/gatecast.js');
    // The daemon of an installed release serves the player's page from dist/ (no source tree there).
    expect(list.stdout).toContain('./dist/player/page/index.html');
    expect(list.stdout).toContain('./node_modules/better-sqlite3/build/Release/better_sqlite3.node');
    expect(list.stdout).not.toContain('./node_modules/vitest/');
  }, 300_000);

  it('installs B through the releases role, switches, starts B from current and commits it; a broken build rolls back by itself', async () => {
    // Two real builds: A (this version) and B (the same build, version bumped).
    const outA = join(tmp.path, 'out-a');
    const outB = join(tmp.path, 'out-b');
    for (const [out, v] of [
      [outA, version],
      [outB, bumped],
    ] as const) {
      const r = runGatecast(
        ['release', 'build', '--platform', platform, '--out', out, '--release-version', v],
        { timeoutMs: 240_000 },
      );
      expect(r.status, r.stderr).toBe(0);
    }
    // A is on the screen (the factory image): unpacked by hand, `current` names it.
    const aDir = join(store.layout.releasesDir, version);
    mkdirSync(aDir, { recursive: true });
    const untar = spawnSync('tar', [
      '-xzf',
      join(outA, `gatecast-${version}-${platform}.tar.gz`),
      '-C',
      aDir,
    ]);
    expect(untar.status, String(untar.stderr)).toBe(0);
    store.switchLink('current', version);
    let r = await fromLink('current', ['release', 'start-check', '--config', configPath]);
    expect(said(r)).toContain('release check: adopt');

    // B drafted and signed by one release approver: not published, so not installable.
    const draft = join(tmp.path, 'draft.json');
    expect(
      runGatecast(['release', 'draft', '--repo', repo.dir, '--artifacts', outB, '--out', draft]).status,
    ).toBe(0);
    const sign = (key: string) =>
      runGatecast([
        'release',
        'sign',
        '--draft',
        draft,
        '--key',
        key,
        '--repo',
        repo.dir,
        '--artifacts',
        outB,
        '--yes',
      ]);
    let s = sign(keyFiles[0]!);
    expect(s.stdout).toContain('signatures: 1 of 2');
    r = await fromLink('current', ['release', 'install', bumped, '--config', configPath]);
    expect(r.status).toBe(1);
    expect(said(r)).toContain('TARGET_NOT_FOUND');
    expect(readlinkSync(join(store.layout.root, 'current'))).toBe(join('releases', version));

    // The second signature meets the threshold and publishes.
    s = sign(keyFiles[1]!);
    expect(s.status, s.stderr).toBe(0);
    expect(s.stdout).toContain('signatures: 2 of 2: published');

    // The running release (A, from `current`) installs B and leaves to be restarted.
    r = await fromLink('current', ['release', 'install', bumped, '--config', configPath]);
    expect(r.status, said(r)).toBe(75);
    expect(readlinkSync(join(store.layout.root, 'current'))).toBe(join('releases', bumped));
    expect(store.state()!.pending).toMatchObject({ version: bumped, from: version });

    // systemd starts it again: ExecStartPre (the committed release, A) counts the start, B runs.
    r = await fromLink('committed', ['release', 'start-check', '--config', configPath], {
      INVOCATION_ID: 'start-1',
    });
    expect(said(r)).toContain('release check: count-start');
    r = await fromLink('current', ['--version']);
    expect(r.stdout.trim()).toBe(bumped);
    // B proves itself (on air, link up) and commits.
    const proof = new ReleaseProof({
      store,
      running: bumped,
      commitWithinMs: 60_000,
      monotonic: systemClock,
      clock: systemClock,
      timers: { setTimeout: () => undefined, clearTimeout: () => undefined },
      restart: { restart: () => expect.unreachable('no restart once proved') },
      log: memoryLogger('proof'),
    });
    proof.start();
    proof.onAir();
    proof.linkUp();
    expect(store.state()).toMatchObject({ committed: bumped, pending: null, outcome: 'committed' });
    expect(readlinkSync(join(store.layout.root, 'committed'))).toBe(join('releases', bumped));

    // A broken build (exits at start) signed and published like any other.
    const broken = fixtureRelease(tmp.path, {
      version: '9.0.0',
      platform,
      files: {
        'package.json': '{"name":"gatecast","version":"9.0.0","type":"module"}\n',
        'dist/cli/gatecast.js': 'process.stderr.write("broken build\\n"); process.exit(1);\n',
      },
    });
    const fresh = await new TufRepository({
      dir: repo.dir,
      clock: systemClock,
      log: memoryLogger('tuf'),
    }).open();
    const { loadSigningKey } = await import('../../../platform/tuf-keys.js');
    await publishReleaseFiles(fresh, broken.files, [
      await loadSigningKey(keyFiles[1]!),
      await loadSigningKey(keyFiles[2]!),
    ]);
    r = await fromLink('current', ['release', 'install', '9.0.0', '--config', configPath]);
    expect(r.status, said(r)).toBe(75);

    // The unit as systemd runs it, start after start: ExecStartPre from `committed`, ExecStart from `current`.
    const starts: string[] = [];
    for (let i = 1; i <= 6; i++) {
      const pre = await fromLink('committed', ['release', 'start-check', '--config', configPath], {
        INVOCATION_ID: `b-${i}`,
      });
      starts.push(/release check: (\S+);/.exec(pre.stdout)?.[1] ?? said(pre));
      const run = await fromLink('current', ['--version']);
      if (run.status === 0) break;
      expect(run.stderr).toContain('broken build');
    }
    expect(starts).toEqual(['count-start', 'count-start', 'count-start', 'rollback']);
    expect(readlinkSync(join(store.layout.root, 'current'))).toBe(join('releases', bumped));
    expect((await fromLink('current', ['--version'])).stdout.trim()).toBe(bumped);
    expect(store.state()).toMatchObject({
      committed: bumped,
      outcome: 'rolled-back',
      lastRollback: { version: '9.0.0', reason: 'did not prove itself in 3 starts' },
    });
  }, 600_000);
});
