/**
 * `npm run bench -- release-install [--runs 3]`
 *
 * Installing a real release on a screen, from `install` to the switch: this gatecast as built
 * (`npm run build`, which `npm run bench` runs first) packed by `gatecast release build`'s own code
 * (dist/, bin/, package.json and the production node_modules, about 11,500 files and folders),
 * published in a real TUF `releases` role (two of three release approvers) served on 127.0.0.1 and
 * installed by the real ReleaseInstaller into a fresh screen folder under the OS temp folder: download,
 * unpack, flush, rename, database backup, pending state, link switch. Each run with the installer's
 * flush (one syncfs of the filesystem through `sync --file-system`) alternates (ABBA) with a baseline
 * run that fsyncs every file and folder one by one (the installer with `syncCommand: null`). Before
 * each run the filesystem is flushed once (untimed), so that no run pays for what an earlier one left
 * dirty; whatever else writes to the same disk meanwhile is flushed by the syncfs runs too.
 * Ends with
 *   release-install: <s> s (baseline <s>, ratio <r>, goal ≤ 0.5)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statfsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { getPriority } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { buildRelease } from '../cli/release-build.js';
import { ReleaseInstaller, type ReleaseStep } from '../device/release/release-installer.js';
import { releaseLayout, ReleaseStore, runStartCheck } from '../device/release/release-store.js';
import { TufClient } from '../device/update/tuf.js';
import { memoryLogger } from '../platform/log.js';
import { generateSigningKey } from '../platform/tuf-keys.js';
import { systemClock } from '../protocol/clock.js';
import { platformOf, releaseArtifactPath, releaseManifestPath } from '../protocol/release.js';
import { publishReleaseFiles } from '../sync-server/tuf/release-drafts.js';
import { tempDir } from '../tests/helpers/temp.js';
import { startTufRepo, type TufRepoFixture } from '../tests/helpers/tuf-repo.js';
import { median, positiveArg, resultLine } from './lib.js';

const VERSION = '9.0.0';
const FROM = '1.0.0';
const TMPFS_MAGIC = 0x01021994;

/** Files and folders below `dir` (links counted as files). */
function countTree(dir: string): { files: number; dirs: number } {
  let files = 0;
  let dirs = 1;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) {
      const c = countTree(join(dir, e.name));
      files += c.files;
      dirs += c.dirs;
    } else files++;
  }
  return { files, dirs };
}

interface Run {
  method: 'syncfs' | 'per-file';
  totalS: number;
  /** From the download's end to the unpacked release renamed into place (tar + flush). */
  unpackS: number;
  flushS: number;
}

export default async function releaseInstall(args: string[]): Promise<void> {
  const runs = positiveArg(args, 'runs', 3);
  const platform = platformOf(process.platform, process.arch);
  if (!platform) throw new Error(`no gatecast release platform for ${process.platform}-${process.arch}`);
  // dist/bench/release-install.js → the package root.
  const appDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const tmp = tempDir('gatecast-release-install-bench-');
  let repo: TufRepoFixture | undefined;
  try {
    const fsType = statfsSync(tmp.path).type;
    if (fsType === TMPFS_MAGIC)
      process.stderr.write(`${tmp.path} is on tmpfs: fsync and syncfs cost nothing there\n`);
    const builtAt = performance.now();
    const built = await buildRelease({
      appDir,
      platform,
      outDir: join(tmp.path, 'artifacts'),
      version: VERSION,
    });
    const buildS = (performance.now() - builtAt) / 1000;
    repo = await startTufRepo();
    const approvers = [1, 2, 3].map((i) => generateSigningKey(`release-${i}`).key);
    await repo.repo.addReleasesRole({
      approvers: approvers.map((k) => k.publicKey),
      threshold: 2,
      targetsKeys: [repo.keys.targets],
    });
    const artifact = readFileSync(built.artifactFile);
    await publishReleaseFiles(
      repo.repo,
      {
        [releaseArtifactPath(VERSION, platform)]: artifact,
        [releaseManifestPath(VERSION, platform)]: readFileSync(built.manifestFile),
      },
      approvers.slice(0, 2),
    );
    const fixture = repo;

    const installOnce = async (i: number, method: Run['method']): Promise<Run & { tree: string }> => {
      const dir = join(tmp.path, `screen-${i}`);
      const store = new ReleaseStore(releaseLayout(join(dir, 'opt')));
      mkdirSync(store.releaseDir(FROM), { recursive: true });
      store.switchLink('current', FROM);
      mkdirSync(join(dir, 'data'));
      const dbPath = join(dir, 'data', 'device.db');
      const db = new Database(dbPath);
      db.pragma('journal_mode = WAL');
      db.exec("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('before')");
      db.close();
      const log = memoryLogger('release-install-bench');
      const policy = { maxStarts: 3, pendingDeadlineMs: 30 * 60_000 };
      runStartCheck({ store, dbPath, policy, nowMs: Date.now(), startId: null, log });
      const steps = new Map<ReleaseStep, number>();
      const installer = new ReleaseInstaller({
        tuf: new TufClient(
          {
            dir: join(dir, 'data', 'tuf-releases', 'metadata'),
            goodDir: join(dir, 'data', 'tuf-releases', 'good'),
            enrolmentRootFile: fixture.rootPath,
            metadataUrl: fixture.metadataUrl,
            targetBaseUrl: fixture.targetsUrl,
          },
          log,
        ),
        store,
        here: {
          platform,
          nodeAbi: process.versions.modules,
          nodeVersion: process.version,
          running: FROM,
        },
        backupDatabase: async (dest) => {
          const src = new Database(dbPath);
          try {
            await src.backup(dest);
          } finally {
            src.close();
          }
        },
        dbPath,
        restart: { restart: () => undefined },
        clock: systemClock,
        log,
        onStep: (step) => {
          steps.set(step, performance.now());
        },
        ...(method === 'per-file' ? { syncCommand: null } : {}),
      });
      // What earlier runs (and their removal) left dirty is not this run's to flush.
      execFileSync('sync', ['--file-system', tmp.path]);
      const started = performance.now();
      await installer.install(VERSION);
      const totalS = (performance.now() - started) / 1000;
      if (store.linkTarget('current') !== VERSION) throw new Error(`run ${i}: not switched to ${VERSION}`);
      const unpacked = log.records.find((r) => r.msg === 'release unpacked')?.fields;
      if (unpacked?.['flush'] !== method)
        throw new Error(`run ${i}: flushed by ${String(unpacked?.['flush'])}, not ${method}`);
      return {
        method,
        totalS,
        unpackS: (steps.get('unpacked')! - steps.get('downloaded')!) / 1000,
        flushS: Number(unpacked['flushMs']) / 1000,
        tree: store.releaseDir(VERSION),
      };
    };

    const done: Run[] = [];
    let tree = { files: 0, dirs: 0 };
    const order: Run['method'][] = ['syncfs', 'per-file', 'per-file', 'syncfs'];
    for (let i = 0; i < 2 * runs; i++) {
      const method = order[i % 4]!;
      const r = await installOnce(i, method);
      if (i === 0) tree = countTree(r.tree);
      done.push(r);
      process.stdout.write(
        `run ${i + 1} (${method}): install ${r.totalS.toFixed(2)} s, unpack ${r.unpackS.toFixed(2)} s of which flush ${r.flushS.toFixed(2)} s\n`,
      );
      rmSync(join(tmp.path, `screen-${i}`), { recursive: true, force: true });
    }
    const of = (m: Run['method'], k: keyof Omit<Run, 'method'>) =>
      median(done.filter((r) => r.method === m).map((r) => r[k]));
    process.stdout.write(
      `release ${VERSION} for ${platform}: ${artifact.length} bytes packed, ${tree.files} files and ${tree.dirs} folders ` +
        `(built in ${buildS.toFixed(1)} s); filesystem type 0x${fsType.toString(16)} under ${tmp.path}; ` +
        `nice ${getPriority()}; ${runs} runs each, alternating\n`,
    );
    process.stdout.write(
      `median flush: syncfs ${of('syncfs', 'flushS').toFixed(2)} s, per-file ${of('per-file', 'flushS').toFixed(2)} s; ` +
        `median unpack (tar + flush): ${of('syncfs', 'unpackS').toFixed(2)} s against ${of('per-file', 'unpackS').toFixed(2)} s\n`,
    );
    const round = (s: number) => Math.round(s * 100) / 100;
    resultLine(
      'release-install',
      round(of('syncfs', 'totalS')),
      's',
      round(of('per-file', 'totalS')),
      '≤ 0.5',
    );
  } finally {
    await repo?.close();
    tmp.cleanup();
  }
}
