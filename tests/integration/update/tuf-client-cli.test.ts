import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { registerTufClientCommands } from '../../../cli/tuf-client.js';
import { servedRepoEach } from '../../helpers/tuf-test-repo.js';

const SG = 'kien-giang/ha-tien';

describe('gatecast tuf-client (conformance CLI)', () => {
  const t = servedRepoEach(SG);
  let md: string;
  let out: string;

  /** Runs the command line as the conformance suite would; returns the exit code. */
  async function cli(...args: string[]): Promise<number> {
    const program = new Command('gatecast').exitOverride();
    registerTufClientCommands(program);
    process.exitCode = 0;
    const write = process.stderr.write;
    process.stderr.write = () => true;
    try {
      await program.parseAsync(['node', 'gatecast', 'tuf-client', ...args]);
    } finally {
      process.stderr.write = write;
    }
    const code = Number(process.exitCode ?? 0);
    process.exitCode = 0;
    return code;
  }
  const dl = (...names: string[]) =>
    cli(
      '--metadata-dir',
      md,
      '--metadata-url',
      t.served.metadataUrl,
      ...names.flatMap((n) => ['--target-name', n]),
      '--target-base-url',
      t.served.targetsUrl,
      '--target-dir',
      out,
      'download',
    );

  beforeEach(async () => {
    md = join(t.dir, 'metadata');
    out = join(t.dir, 'targets');
    t.repo.setTarget(`${SG}/a.txt`, 'alpha');
    t.repo.setTarget(`${SG}/dir/b.txt`, 'beta');
    t.repo.publish();
  });
  afterEach(async () => {});

  it('init copies the trusted root without any request; refresh stores unversioned metadata', async () => {
    expect(await cli('--metadata-dir', md, 'init', t.rootFile)).toBe(0);
    expect(t.served.requests).toEqual([]);
    expect(readFileSync(join(md, 'root.json'))).toEqual(t.repo.rootBytes);
    expect(await cli('--metadata-dir', md, '--metadata-url', t.served.metadataUrl, 'refresh')).toBe(0);
    expect(readdirSync(md).sort()).toEqual(['root.json', 'snapshot.json', 'targets.json', 'timestamp.json']);
  });

  it('refresh exits 1 when any part fails', async () => {
    await cli('--metadata-dir', md, 'init', t.rootFile);
    t.served.override.set('metadata/timestamp.json', Buffer.from('{"signed":'));
    expect(await cli('--metadata-dir', md, '--metadata-url', t.served.metadataUrl, 'refresh')).toBe(1);
  });

  it('init exits 1 for a missing root file', async () => {
    expect(await cli('--metadata-dir', md, 'init', join(t.dir, 'nope.json'))).toBe(1);
  });

  it('downloads targets in order, skips ones already present, and rewrites a changed one under the same name', async () => {
    await cli('--metadata-dir', md, 'init', t.rootFile);
    expect(await dl(`${SG}/a.txt`, `${SG}/dir/b.txt`)).toBe(0);
    const aFile = join(out, encodeURIComponent(`${SG}/a.txt`));
    const bFile = join(out, encodeURIComponent(`${SG}/dir/b.txt`));
    expect(readFileSync(aFile, 'utf8')).toBe('alpha');
    expect(readFileSync(bFile, 'utf8')).toBe('beta');
    const targetGets = () => t.served.requests.filter((r) => r.path.startsWith('targets/')).length;
    expect(targetGets()).toBe(2);

    expect(await dl(`${SG}/a.txt`)).toBe(0);
    expect(targetGets()).toBe(2);

    t.repo.setTarget(`${SG}/a.txt`, 'alpha, second edition');
    t.repo.publish();
    expect(await dl(`${SG}/a.txt`)).toBe(0);
    expect(readFileSync(aFile, 'utf8')).toBe('alpha, second edition');
    expect(readdirSync(out).sort()).toEqual([
      encodeURIComponent(`${SG}/a.txt`),
      encodeURIComponent(`${SG}/dir/b.txt`),
    ]);
  });

  it('refuses a target name that escapes the target directory, writing nothing', async () => {
    await cli('--metadata-dir', md, 'init', t.rootFile);
    for (const bad of ['../escape.txt', '/etc/passwd', 'a\\..\\b', `${SG}/x\u0000y`]) {
      expect(await dl(bad)).toBe(1);
    }
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
    expect(existsSync(join(t.dir, 'escape.txt'))).toBe(false);
    expect(t.served.requests.some((r) => r.path.startsWith('targets/'))).toBe(false);
  });

  it('stops with exit 1 at the first target that fails, leaving later ones alone', async () => {
    await cli('--metadata-dir', md, 'init', t.rootFile);
    t.served.override.set(t.repo.servedTargetPath(`${SG}/a.txt`), Buffer.from('ALPHA'));
    expect(await dl(`${SG}/missing.txt`, `${SG}/a.txt`)).toBe(1);
    expect(await dl(`${SG}/a.txt`, `${SG}/dir/b.txt`)).toBe(1);
    expect(existsSync(join(out, encodeURIComponent(`${SG}/a.txt`)))).toBe(false);
    expect(existsSync(join(out, encodeURIComponent(`${SG}/dir/b.txt`)))).toBe(false);
    expect(t.served.requests.some((r) => r.path.endsWith('b.txt'))).toBe(false);
  });
});
