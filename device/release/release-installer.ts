/**
 * Installs a gatecast release beside the running one and switches to it (the `install-release`
 * command). Every byte comes through the TUF client from the `releases` role (signed by the release
 * approvers' threshold): first the release's manifest (refused for another platform, Node ABI, an
 * older node, or a downgrade it does not allow), then the artifact (resumable, within the same disk
 * reserve and time budgets as content downloads), unpacked into its own folder (temp → one syncfs of
 * its filesystem, or an fsync of every file and folder when that fails → rename → fsync). Then the
 * database is backed up (SQLite online backup), the pending state is written, `current` is renamed
 * to the new release and the daemon restarts. The screen keeps playing until that restart; the new
 * release commits or rolls back by itself (release-proof.ts, release-store.ts runStartCheck).
 *
 * One install at a time on a screen, across processes (the release root's install lock): the
 * daemon's and `gatecast release install`'s refuse each other with RELEASE_BUSY.
 * Each step is re-entrant: a cut during the download resumes it, a cut during the unpack redoes
 * it (the temp folder is removed first), a cut after the state write and before the rename is
 * dropped by the next start-up check. What a cut leaves on disk (unpack folders, temporary links,
 * an abandoned switch's database backup) is removed at start and before each install.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { flushTree, fsyncDir } from '../../platform/atomic-file.js';
import type { Clock } from '../../protocol/clock.js';
import {
  installRefusal,
  parseReleaseManifest,
  type ReleaseManifest,
  type ReleasePlatform,
  RELEASES_ROLE,
  ReleaseError,
  releaseArtifactPath,
  releaseManifestPath,
} from '../../protocol/release.js';
import type { Logger } from '../../platform/log.js';
import { type DiskReserve, type FreeSpace, reserveBytes } from '../content/free-space.js';
import { downloadResumable } from '../update/downloader.js';
import { UpdateError } from '../update/errors.js';
import {
  DEFAULT_TRANSFER_LIMITS,
  type HttpOptions,
  refreshBudget,
  type TransferLimits,
} from '../update/http.js';
import type { TufClient, TufSession, VerifiedTarget } from '../update/tuf.js';
import { pendingSwitch, type ReleaseState } from './release-state.js';
import type { ReleaseStore } from './release-store.js';

const run = promisify(execFile);

/** Restarts the daemon so that systemd starts what `current` names (a port: tests record the call). */
export interface DaemonRestart {
  restart(reason: string): void;
}

/** The exit code the daemon leaves with to be restarted into another release (Restart=always). */
export const RESTART_EXIT_CODE = 75;

export type ReleaseStep = 'refreshed' | 'downloaded' | 'unpacked' | 'backed-up' | 'pending' | 'switched';

export interface ReleaseInstallerDeps {
  tuf: TufClient;
  store: ReleaseStore;
  /** This device: where releases must be built for and what they must run on. */
  here: { platform: ReleasePlatform | null; nodeAbi: string; nodeVersion: string; running: string };
  /** Online backup of the device database to `dest` (better-sqlite3 `db.backup`). */
  backupDatabase(dest: string): Promise<void>;
  /** Where the backup goes: beside the database. */
  dbPath: string;
  restart: DaemonRestart;
  clock: Clock;
  log: Logger;
  disk?: { freeSpace: FreeSpace; reserve: DiskReserve };
  http?: HttpOptions;
  transfer?: TransferLimits;
  /** Called after each step; the crash benchmark hooks in here. */
  onStep?: (step: ReleaseStep) => void | Promise<void>;
  /**
   * The command run as `<it> --file-system <dir>` to flush an unpacked release (default: coreutils'
   * `sync`); null fsyncs every file and folder instead (the benchmark's baseline).
   */
  syncCommand?: string | null;
}

/** The database backup a switch takes before the new release's first start (beside the database). */
export function releaseBackupPath(dbPath: string): string {
  return `${dbPath}.release-backup`;
}

export class ReleaseInstaller {
  #staging: string | null = null;
  #running: Promise<void> | undefined;
  #sweep: Promise<void> | undefined;

  constructor(private readonly d: ReleaseInstallerDeps) {}

  /** The release being downloaded or unpacked, not switched to yet (health `release.staging`). */
  get staging(): string | null {
    return this.#staging;
  }

  /** Removes what a killed install left on disk (never rejects: the leftovers cost disk only). */
  start(): Promise<void> {
    // A running install sweeps before it unpacks; sweeping now could remove what it unpacks.
    if (!this.#running) this.#sweep ??= this.#sweepUnlessBusy();
    return this.#sweep ?? Promise.resolve();
  }

  /** The sweep at start, unless another process (`gatecast release install`) is installing now. */
  async #sweepUnlessBusy(): Promise<void> {
    // No release root yet (nothing installed the A/B way): nothing to sweep, nothing to make.
    if (!existsSync(this.d.store.layout.root)) return;
    let unlock: () => void;
    try {
      unlock = this.d.store.lockInstall();
    } catch (err) {
      this.d.log.info('leftovers of interrupted installs not swept now', { err });
      return;
    }
    try {
      await this.#removeLeftovers();
    } finally {
      unlock();
    }
  }

  async #removeLeftovers(): Promise<void> {
    const { store, log, dbPath } = this.d;
    try {
      const removed = await store.removeLeftovers(releaseBackupPath(dbPath));
      if (removed.length) log.info('removed what an interrupted install left', { removed });
    } catch (err) {
      log.warn('could not remove what an interrupted install left', { err });
    }
  }

  /** One install at a time; a second call while one runs is refused. */
  install(version: string): Promise<void> {
    if (this.#running) return Promise.reject(new ReleaseError(`release ${this.#staging} is being installed`));
    this.#staging = version;
    this.#running = this.#install(version).finally(() => {
      this.#staging = null;
      this.#running = undefined;
    });
    return this.#running;
  }

  async #install(version: string): Promise<void> {
    // After start's sweep, which could otherwise remove the unpack folder this install fills.
    await this.#sweep;
    // Across processes: the daemon's install and `gatecast release install` exclude each other.
    await mkdir(this.d.store.layout.root, { recursive: true });
    const unlock = this.d.store.lockInstall();
    try {
      await this.#installLocked(version);
    } finally {
      unlock();
    }
  }

  async #installLocked(version: string): Promise<void> {
    const d = this.d;
    const state = d.store.state();
    if (state?.pending)
      throw new ReleaseError(
        `release ${state.pending.version} is still pending; install again once it has committed or rolled back`,
      );
    if (!d.here.platform)
      throw new ReleaseError('this device is not a platform gatecast releases are built for');
    await this.#removeLeftovers();
    const limits = d.transfer ?? DEFAULT_TRANSFER_LIMITS;
    const budget = refreshBudget(limits.refreshBudgetMs);
    try {
      const session = await d.tuf.refresh(budget.signal);
      await d.onStep?.('refreshed');
      const manifestTarget = await this.#target(session, releaseManifestPath(version, d.here.platform));
      const manifestFile = await this.#download(manifestTarget, limits, budget.signal);
      const manifest = parseReleaseManifest(
        parseJson(await readFile(manifestFile, 'utf8'), manifestTarget.path),
        manifestTarget.path,
      );
      if (manifest.version !== version)
        throw new ReleaseError(
          `${manifestTarget.path} describes version ${manifest.version}, not ${version}`,
        );
      const refusal = installRefusal(manifest, d.here);
      if (refusal) throw new ReleaseError(refusal);
      const artifact = await this.#target(session, releaseArtifactPath(version, d.here.platform));
      const artifactFile = await this.#download(artifact, limits, budget.signal);
      await d.onStep?.('downloaded');
      await this.#unpack(artifactFile, manifest);
      await d.onStep?.('unpacked');
    } finally {
      budget.end();
    }
    // Before the release's first start: its migrations may change the database a rollback needs.
    const backup = releaseBackupPath(d.dbPath);
    const tmp = `${backup}.tmp`;
    await rm(tmp, { force: true });
    await d.backupDatabase(tmp);
    await syncFile(tmp);
    await rename(tmp, backup);
    await fsyncDir(dirname(d.dbPath));
    await d.onStep?.('backed-up');
    const base: ReleaseState = state ?? {
      schema: 1,
      committed: d.here.running,
      pending: null,
      lastRollback: null,
      outcome: 'committed',
      rollbackReported: true,
    };
    d.store.writeState(pendingSwitch(base, version, d.clock.now(), backup));
    await d.onStep?.('pending');
    d.store.switchLink('previous', base.committed);
    d.store.switchLink('current', version);
    await d.onStep?.('switched');
    await rm(d.store.layout.downloadsDir, { recursive: true, force: true });
    d.log.info('release switched; restarting into it', { version, from: base.committed });
    d.restart.restart(`switch to release ${version}`);
  }

  async #target(session: TufSession, path: string): Promise<VerifiedTarget> {
    const t = await session.target(path);
    if (!t) throw new UpdateError('TARGET_NOT_FOUND', `the releases role lists no ${path}`);
    if (t.role !== RELEASES_ROLE)
      throw new UpdateError(
        'METADATA_SIGNATURE',
        `${path} is signed by role "${t.role}", not "${RELEASES_ROLE}"`,
      );
    return t;
  }

  /** The verified target's bytes in downloads/<sha256> (resumed from what a cut left). */
  async #download(t: VerifiedTarget, limits: TransferLimits, signal: AbortSignal): Promise<string> {
    const dir = this.d.store.layout.downloadsDir;
    const done = join(dir, t.sha256);
    const have = await stat(done).catch(() => undefined);
    if (have?.size === t.length) return done;
    const partial = `${done}.partial`;
    await downloadResumable(t.url, t, partial, {
      ...this.d.http,
      ...(this.d.disk ? { spaceGuard: (n: number) => this.#checkSpace(t.path, n) } : {}),
      guard: {
        budgetMs: limits.targetBudgetMs,
        minBytesPerSecond: limits.minBytesPerSecond,
        throughputWindowMs: limits.throughputWindowMs,
      },
      signal,
    });
    await rename(partial, done);
    await fsyncDir(dir);
    return done;
  }

  async #checkSpace(what: string, bytes: number): Promise<void> {
    const disk = this.d.disk;
    if (!disk) return;
    const dir = this.d.store.layout.root;
    await mkdir(dir, { recursive: true });
    const space = await disk.freeSpace.read(dir);
    const reserve = reserveBytes(space.totalBytes, disk.reserve);
    if (space.freeBytes - bytes < reserve)
      throw new UpdateError(
        'DISK_SPACE_LOW',
        `${what} needs ${bytes} more bytes; the disk has ${space.freeBytes} free and keeps ${reserve} in reserve`,
      );
  }

  /** Unpacks into releases/.unpack-<v>, checks its release.json, flushes it all, renames it into place. */
  async #unpack(file: string, manifest: ReleaseManifest): Promise<void> {
    const { store } = this.d;
    const dest = store.releaseDir(manifest.version);
    if (await sameManifest(join(dest, 'release.json'), manifest)) return;
    // A folder of that name that does not hold this manifest is not ours to trust: redo it.
    await rm(dest, { recursive: true, force: true });
    const tmp = join(store.layout.releasesDir, `.unpack-${manifest.version}`);
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    const size = (await stat(file)).size;
    await this.#checkSpace(`unpacking release ${manifest.version}`, size * 4);
    try {
      // GNU tar refuses members with ".." and strips leading "/"; owners are not restored.
      await run('tar', ['-xzf', file, '-C', tmp, '--no-same-owner', '--no-same-permissions'], {
        maxBuffer: 1024 * 1024,
      });
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw new ReleaseError(
        `release ${manifest.version}: cannot unpack the artifact (${(err as Error).message})`,
        {
          cause: err,
        },
      );
    }
    if (!(await sameManifest(join(tmp, 'release.json'), manifest))) {
      await rm(tmp, { recursive: true, force: true });
      throw new ReleaseError(
        `release ${manifest.version}: the artifact's release.json differs from the signed manifest`,
      );
    }
    const started = performance.now();
    const flush = await flushTree(tmp, this.d.syncCommand);
    const flushMs = Math.round(performance.now() - started);
    if (flush.method === 'per-file' && this.d.syncCommand !== null)
      this.d.log.warn('release flushed file by file: one flush of its filesystem failed', {
        version: manifest.version,
        reason: flush.reason,
      });
    this.d.log.info('release unpacked', { version: manifest.version, flush: flush.method, flushMs });
    await rename(tmp, dest);
    await fsyncDir(store.layout.releasesDir);
  }
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ReleaseError(`${where} is not valid JSON`, { cause: err });
  }
}

async function sameManifest(path: string, m: ReleaseManifest): Promise<boolean> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return false; // not there
  }
  try {
    const other = parseReleaseManifest(JSON.parse(text), path);
    return JSON.stringify(other) === JSON.stringify(m);
  } catch {
    return false; // unreadable: not the same
  }
}

async function syncFile(path: string): Promise<void> {
  const fh = await open(path, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
