/**
 * `gatecast release sign` shows what is signed (version, platform, each target's SHA-256, the manifest)
 * and asks first: through the built CLI (dist/cli/gatecast.js) as its own process, on a pipe (no
 * terminal: refused without --yes) and on a real terminal (a pseudo-terminal from util-linux's
 * `script`), answering yes or no. Build dist/ first (npx tsc -p tsconfig.build.json).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPairFiles, loadPublicKey } from '../../../platform/tuf-keys.js';
import { platformOf } from '../../../protocol/release.js';
import { GATECAST_JS, runGatecast } from '../../helpers/cli-process.js';
import { type FixtureRelease, fixtureRelease } from '../../helpers/release-fixture.js';
import { tempDir } from '../../helpers/temp.js';
import { startTufRepo, type TufRepoFixture } from '../../helpers/tuf-repo.js';

const platform = platformOf(process.platform, process.arch)!;

/** Runs the CLI with a terminal as stdin and stdout (`script` allocates it), `input` typed into it. */
function onTerminal(args: string[], input: string) {
  const cmd = [process.execPath, GATECAST_JS, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { input, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}`.replace(/\r/g, '') };
}

describe('gatecast release sign asks before signing', () => {
  let tmp: { path: string; cleanup: () => void };
  let repo: TufRepoFixture;
  let release: FixtureRelease;
  const keys: string[] = [];
  let draft: string;
  let unsigned: string;

  beforeAll(async () => {
    tmp = tempDir('gatecast-release-sign-');
    repo = await startTufRepo({ serve: false });
    for (const i of [1, 2, 3])
      keys.push((await generateKeyPairFiles(join(tmp.path, 'keys'), `rel-${i}`)).privatePath);
    const pubs = await Promise.all(
      [1, 2, 3].map((i) => loadPublicKey(join(tmp.path, 'keys', `rel-${i}.pub.json`))),
    );
    await repo.repo.addReleasesRole({
      approvers: pubs.map((p) => p.publicKey),
      threshold: 2,
      targetsKeys: [repo.keys.targets],
    });
    release = fixtureRelease(tmp.path, {
      version: '2.3.4',
      platform,
      allowDowngradeFrom: ['2.4.0'],
    });
    draft = join(tmp.path, 'draft.json');
    const r = runGatecast([
      'release',
      'draft',
      '--repo',
      repo.dir,
      '--artifacts',
      release.outDir,
      '--out',
      draft,
    ]);
    expect(r.status, r.stderr).toBe(0);
    unsigned = readFileSync(draft, 'utf8');
  }, 120_000);

  afterAll(async () => {
    await repo?.close();
    tmp?.cleanup();
  });

  const artifactPath = `releases/gatecast-2.3.4-${platform}.tar.gz`;
  const manifestPath = `releases/gatecast-2.3.4-${platform}.json`;
  const sha = (p: string) => JSON.parse(unsigned).metadata.signed.targets[p].hashes.sha256 as string;
  const signatures = () => Object.keys(JSON.parse(readFileSync(draft, 'utf8')).metadata.signatures);

  /** What every confirmation shows: the release, both targets' SHA-256 and the manifest's summary. */
  const expectShown = (text: string) => {
    expect(text).toContain(`gatecast 2.3.4 for ${platform}`);
    expect(text).toContain(
      `artifact ${artifactPath}: ${release.files[artifactPath]!.length} bytes, sha256 ${sha(artifactPath)}`,
    );
    expect(text).toContain(
      `manifest ${manifestPath}: ${release.files[manifestPath]!.length} bytes, sha256 ${sha(manifestPath)}`,
    );
    expect(text).toContain(
      `manifest: version 2.3.4, platform ${platform}, Node ABI ${process.versions.modules}, node >= 18.0.0, built 2026-12-01T00:00:00.000Z, migrations none, downgrade allowed from 2.4.0`,
    );
  };

  it('refuses on a non-interactive stdin without --yes, after showing the release; the draft is unchanged', () => {
    writeFileSync(draft, unsigned);
    const r = runGatecast(['release', 'sign', '--draft', draft, '--key', keys[0]!]);
    expect(r.status).toBe(1);
    expectShown(r.stdout);
    expect(r.stderr).toContain('stdin is not a terminal');
    expect(r.stderr).toContain('--yes');
    expect(r.stderr).toContain('[USAGE]');
    expect(readFileSync(draft, 'utf8')).toBe(unsigned);
  }, 120_000);

  it('signs on a non-interactive stdin with --yes', () => {
    writeFileSync(draft, unsigned);
    const r = runGatecast(['release', 'sign', '--draft', draft, '--key', keys[0]!, '--yes']);
    expect(r.status, r.stderr).toBe(0);
    expectShown(r.stdout);
    expect(r.stdout).toContain('signed by');
    expect(signatures()).toHaveLength(1);
  }, 120_000);

  it('asks on a terminal: "n" signs nothing, "y" signs', () => {
    writeFileSync(draft, unsigned);
    const no = onTerminal(['release', 'sign', '--draft', draft, '--key', keys[1]!], 'n\n');
    expect(no.status).toBe(1);
    expectShown(no.output);
    expect(no.output).toContain(`Sign gatecast 2.3.4 for ${platform} with key rel-2? [y/N]`);
    expect(no.output).toContain('[SIGNING_DECLINED]');
    expect(readFileSync(draft, 'utf8')).toBe(unsigned);

    const yes = onTerminal(['release', 'sign', '--draft', draft, '--key', keys[1]!], 'y\n');
    expect(yes.status, yes.output).toBe(0);
    expectShown(yes.output);
    expect(yes.output).toContain('signed by');
    expect(signatures()).toHaveLength(1);
  }, 120_000);

  it('refuses a draft whose carried manifest is not the one its metadata signs', () => {
    const forged = JSON.parse(unsigned);
    forged.manifests[manifestPath] = forged.manifests[manifestPath].replace('"2.4.0"', '"9.9.9"');
    writeFileSync(draft, JSON.stringify(forged));
    const r = runGatecast(['release', 'sign', '--draft', draft, '--key', keys[0]!, '--yes']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      `the draft's copy of ${manifestPath} is not the manifest the draft's metadata names`,
    );
    expect(r.stdout).not.toContain('downgrade allowed from 9.9.9');
    expect(signatures()).toEqual([]);
  }, 120_000);
});
