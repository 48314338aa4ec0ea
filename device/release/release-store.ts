/**
 * The A/B release layout on disk and its atomic steps (see release-state.ts for the state machine):
 *
 * ```
 * <root>/releases/<version>/      one unpacked release each (renamed into place whole)
 * <root>/releases/.unpack-<v>/    an unpack in progress (removed and redone after a cut)
 * <root>/current -> releases/<v>  what the systemd unit runs
 * <root>/previous -> releases/<v> the release switched away from last
 * <root>/committed -> releases/<v> the last release that proved itself (ExecStartPre runs its check)
 * <root>/downloads/               partial and complete artifact downloads (resumable)
 * <root>/state.json               ReleaseState, written temp → fsync → rename → fsync dir
 * <root>/starts.json              the last start and how its run ended (start-pacing.ts), same writes
 * <root>/install.lock             the process installing a release now (pid and boot id)
 * <root>/.<link>.<pid>.tmp         a link being switched (renamed over <link> at once)
 * ```
 *
 * A link is switched by creating it under a temporary name and renaming it over the old one, then
 * fsyncing the directory: rename(2) replaces a symlink atomically, so `current` always names a whole
 * release. UNVERIFIED ON A PI: that an SD card honours the directory fsync across a power cut (ext4
 * with its default data=ordered journal should; cheap cards that lie about flushes may not).
 */
import {
  closeSync,
  copyFileSync,
  existsSync,
  fsyncSync,
  lstatSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { lstat, readdir, rm, unlink } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fsyncDirSync, writeFileAtomicSync } from '../../platform/atomic-file.js';
import type { Logger } from '../../platform/log.js';
import { type BootNow, readBootNow } from '../../platform/boot-time.js';
import { ReleaseBusyError, ReleaseVersion } from '../../protocol/release.js';
import {
  beginRollback,
  decideAtStart,
  type DiskFacts,
  type ReleasePolicy,
  ReleaseState,
  type StartAction,
  stateAfter,
} from './release-state.js';
import {
  endedOnPurpose,
  type PacingDecision,
  type PacingPolicy,
  paceStart,
  StartRecord,
} from './start-pacing.js';

export type ReleaseLink = 'current' | 'previous' | 'committed';

export interface ReleaseLayout {
  root: string;
  releasesDir: string;
  downloadsDir: string;
  statePath: string;
  startsPath: string;
  lockPath: string;
}

export function releaseLayout(root: string): ReleaseLayout {
  const r = resolve(root);
  return {
    root: r,
    releasesDir: join(r, 'releases'),
    downloadsDir: join(r, 'downloads'),
    statePath: join(r, 'state.json'),
    startsPath: join(r, 'starts.json'),
    lockPath: join(r, 'install.lock'),
  };
}

export class ReleaseStore {
  constructor(readonly layout: ReleaseLayout) {}

  releaseDir(version: string): string {
    return join(this.layout.releasesDir, version);
  }

  readState(): ReleaseState | 'missing' | 'corrupt' {
    let text: string;
    try {
      text = readFileSync(this.layout.statePath, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
      return 'corrupt';
    }
    try {
      const r = ReleaseState.safeParse(JSON.parse(text));
      return r.success ? r.data : 'corrupt';
    } catch {
      return 'corrupt'; // not JSON: written atomically, so only outside hands do this
    }
  }

  /** The state, or null when there is none (an unmanaged or corrupt layout). */
  state(): ReleaseState | null {
    const s = this.readState();
    return typeof s === 'string' ? null : s;
  }

  writeState(state: ReleaseState): void {
    writeFileAtomicSync(this.layout.statePath, `${JSON.stringify(ReleaseState.parse(state), null, 2)}\n`);
  }

  /** The last paced start (start-pacing.ts); null when there is none or it is unreadable. */
  readStarts(): StartRecord | null {
    try {
      const r = StartRecord.safeParse(JSON.parse(readFileSync(this.layout.startsPath, 'utf8')));
      return r.success ? r.data : null;
    } catch {
      return null; // missing, or not JSON: the start is then paced as the first on record
    }
  }

  writeStarts(record: StartRecord): void {
    writeFileAtomicSync(this.layout.startsPath, `${JSON.stringify(StartRecord.parse(record))}\n`);
  }

  /**
   * Marks the run of start `startId` as ended on purpose (exit 75 into another release, or a stop),
   * so that the next start does not wait as after a crash. Says whether it marked anything.
   */
  markEnded(how: 'restart' | 'stop', reason: string, startId: string | null, boot: BootNow): boolean {
    if (startId === null) return false;
    const next = endedOnPurpose(this.readStarts(), startId, how, reason, boot.bootId, boot.uptimeMs);
    if (next) this.writeStarts(next);
    return next !== null;
  }

  /**
   * Takes the install lock of this release root: one process at a time unpacks, sweeps leftovers or
   * switches (the daemon's installer, `gatecast release install`). A lock left by a process no
   * longer running, or by a previous boot (a power cut), is taken over. Throws ReleaseBusyError
   * naming the holder (ENOENT when the root does not exist); returns the release function.
   */
  lockInstall(boot: BootNow = readBootNow()): () => void {
    const mine = `${JSON.stringify({ pid: process.pid, bootId: boot.bootId })}\n`;
    for (let attempt = 0; ; attempt++) {
      try {
        writeFileSync(this.layout.lockPath, mine, { flag: 'wx', mode: 0o644 });
        return () => {
          try {
            if (readFileSync(this.layout.lockPath, 'utf8') === mine) unlinkSync(this.layout.lockPath);
          } catch {
            // already gone
          }
        };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const holder = this.#lockHolder();
      const live =
        holder && holder.bootId === boot.bootId && holder.pid !== process.pid && mayStillUse(holder.pid);
      if (live || attempt > 0)
        throw new ReleaseBusyError(
          `another process (pid ${holder?.pid ?? 'unknown'}) is installing a release on this screen; try again once it has finished`,
        );
      // Left by a process that is gone, a previous boot, or unreadable: taken over (two processes
      // taking over one stale lock at the same moment are not told apart).
      rmSync(this.layout.lockPath, { force: true });
    }
  }

  #lockHolder(): { pid: number; bootId: string } | null {
    try {
      const v = JSON.parse(readFileSync(this.layout.lockPath, 'utf8')) as { pid?: unknown; bootId?: unknown };
      return Number.isInteger(v.pid) && typeof v.bootId === 'string'
        ? { pid: v.pid as number, bootId: v.bootId }
        : null;
    } catch {
      return null;
    }
  }

  /** Versions unpacked under releases/ (whole: only renamed-into-place folders count). */
  installed(): string[] {
    let names: string[];
    try {
      names = readdirSync(this.layout.releasesDir);
    } catch {
      return []; // no releases folder yet
    }
    return names.filter(
      (n) => ReleaseVersion.safeParse(n).success && isDir(join(this.layout.releasesDir, n)),
    );
  }

  /** The version a link names, or null when it is missing, dangling or points outside releases/. */
  linkTarget(link: ReleaseLink): string | null {
    const path = join(this.layout.root, link);
    try {
      if (!lstatSync(path).isSymbolicLink()) return null;
      const target = resolve(this.layout.root, readlinkSync(path));
      if (dirname(target) !== this.layout.releasesDir) return null;
      const v = basename(target);
      return ReleaseVersion.safeParse(v).success && isDir(target) ? v : null;
    } catch {
      return null; // no link
    }
  }

  facts(): DiskFacts {
    return { state: this.readState(), current: this.linkTarget('current'), installed: this.installed() };
  }

  /** Points `link` at releases/<version> atomically: a new link at a temp name, renamed over, dir fsynced. */
  switchLink(link: ReleaseLink, version: string): void {
    const path = join(this.layout.root, link);
    const tmp = join(this.layout.root, `.${link}.${process.pid}.tmp`);
    rmSync(tmp, { force: true });
    symlinkSync(join('releases', version), tmp);
    renameSync(tmp, path);
    fsyncDirSync(this.layout.root);
  }

  /**
   * Copies the database backup back over the database: its WAL and shared-memory files go first
   * (they belong to the newer release's database), then the copy is fsynced and renamed into place.
   * Idempotent, so a rollback cut short repeats it.
   */
  restoreDatabase(backup: string, dbPath: string): void {
    if (!existsSync(backup)) throw new Error(`database backup ${backup} is missing`);
    for (const suffix of ['-wal', '-shm']) rmSync(`${dbPath}${suffix}`, { force: true });
    const tmp = `${dbPath}.restore.tmp`;
    copyFileSync(backup, tmp);
    const fd = openSync(tmp, 'r+');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, dbPath);
    fsyncDirSync(dirname(dbPath));
  }

  /** Removes release folders and downloads no link or pending entry names. */
  prune(): string[] {
    const keep = new Set<string>();
    for (const l of ['current', 'previous', 'committed'] as const) {
      const v = this.linkTarget(l);
      if (v) keep.add(v);
    }
    const s = this.state();
    if (s) {
      keep.add(s.committed);
      if (s.pending) keep.add(s.pending.version).add(s.pending.from);
    }
    const removed: string[] = [];
    for (const v of this.installed())
      if (!keep.has(v)) {
        rmSync(this.releaseDir(v), { recursive: true, force: true });
        removed.push(v);
      }
    rmSync(this.layout.downloadsDir, { recursive: true, force: true });
    return removed;
  }

  /**
   * Removes what a process killed mid-step left, and only that: unpack folders
   * (releases/.unpack-*, redone from the start by the next install), temporary links and state
   * files of processes no longer running (never following a link), and the database backup at
   * `dbBackup` unless a pending release names it (a rollback restores it), with its temp file and
   * that file's SQLite journal.
   * Release folders and the links themselves are not touched. Returns the paths removed.
   */
  async removeLeftovers(dbBackup: string): Promise<string[]> {
    const removed: string[] = [];
    const names = async (dir: string) => (await readdir(dir).catch(() => [] as string[])).sort();
    for (const n of await names(this.layout.releasesDir)) {
      if (!n.startsWith('.unpack-')) continue;
      const p = join(this.layout.releasesDir, n);
      const st = await lstatOrNull(p);
      if (!st) continue;
      if (st.isDirectory()) await rm(p, { recursive: true, force: true });
      else await unlink(p);
      removed.push(p);
    }
    for (const n of await names(this.layout.root)) {
      const link = TEMP_LINK.exec(n);
      const state = TEMP_STATE.exec(n);
      const pid = Number((link ?? state)?.[1]);
      if (!pid || mayStillUse(pid)) continue;
      const p = join(this.layout.root, n);
      const st = await lstatOrNull(p);
      if (!st || (link ? !st.isSymbolicLink() : !st.isFile())) continue;
      await unlink(p);
      removed.push(p);
    }
    const s = this.readState();
    // An unreadable state may name the backup: keep it (a start-up check will say more).
    const needed = s === 'corrupt' || (typeof s !== 'string' && s.pending?.dbBackup === dbBackup);
    const temps = [`${dbBackup}.tmp`, `${dbBackup}.tmp-journal`];
    for (const p of needed ? temps : [dbBackup, ...temps]) {
      const st = await lstatOrNull(p);
      if (!st?.isFile()) continue;
      await unlink(p);
      removed.push(p);
    }
    return removed;
  }
}

/** `.current.<pid>.tmp` (switchLink) and `.state.json.<pid>.<n>.tmp`, `.starts.json.…` (writeFileAtomicSync). */
const TEMP_LINK = /^\.(?:current|previous|committed)\.(\d+)\.tmp$/;
const TEMP_STATE = /^\.(?:state|starts)\.json\.(\d+)\.\d+\.tmp$/;

/**
 * Whether the process that named a temp file may still be about to rename it. Our own pid: no, since
 * switchLink and the state write are synchronous. After a power cut the pid may belong to another
 * process; then the few bytes stay until that pid is free.
 */
function mayStillUse(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // running as another user
  }
}

async function lstatOrNull(path: string) {
  try {
    return await lstat(path);
  } catch {
    return null; // not there
  }
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export interface StartCheckOptions {
  store: ReleaseStore;
  /** The device database a rollback restores (device.db in the data dir). */
  dbPath: string;
  policy: ReleasePolicy;
  nowMs: number;
  /** systemd's INVOCATION_ID (one per unit start), or null outside systemd. */
  startId: string | null;
  log: Logger;
  /** This boot's id and time (default: read from /proc); the start's pacing is decided on it. */
  boot?: () => BootNow;
  pacing?: PacingPolicy;
}

export interface StartCheckResult {
  action: StartAction;
  /** The release `current` names after the check (null when unmanaged). */
  current: string | null;
  /**
   * True when `current` now names another release than the one this process was started from
   * (a rollback or a repair): the process must exit and be started again.
   */
  mustRestart: boolean;
  /**
   * How long this start waits before the daemon runs (start-pacing.ts): 0 unless it is a quick
   * restart after a run that did not end on purpose. Null when not paced (outside systemd, not an
   * A/B layout, or /proc unreadable).
   */
  pacing: PacingDecision | null;
}

/**
 * The start-up check, run by the starting process before the daemon proper (and by the unit's
 * ExecStartPre from the committed release): decides from the disk and the clock, then carries the
 * decision out step by step, each step atomic.
 */
export function runStartCheck(o: StartCheckOptions): StartCheckResult {
  const { store, log } = o;
  const before = store.facts();
  const action = decideAtStart(before, o.nowMs, o.policy, o.startId);
  const state = typeof before.state === 'string' ? null : before.state;
  switch (action.kind) {
    case 'run':
    case 'unmanaged':
      break;
    case 'stuck':
      log.error('release check: cannot switch to a safe release; running what is there', {
        reason: action.reason,
      });
      break;
    case 'adopt':
    case 'count-start':
    case 'abandon': {
      const next = stateAfter(state, action, o.nowMs);
      if (next) store.writeState(next);
      if (action.kind === 'adopt') store.switchLink('committed', action.version);
      log.info(`release check: ${action.kind}`, { ...action });
      break;
    }
    case 'repair':
      store.switchLink('current', action.to);
      log.warn('release check: the current link pointed elsewhere; back to the committed release', {
        to: action.to,
      });
      break;
    case 'rollback': {
      if (!state?.pending) break;
      let s = state;
      if (!s.pending!.rollingBack) {
        s = beginRollback(s, action.reason, o.nowMs);
        store.writeState(s);
      }
      const backup = s.pending!.dbBackup;
      if (backup && existsSync(backup)) store.restoreDatabase(backup, o.dbPath);
      else if (backup) log.warn('release rollback: no database backup to restore', { backup });
      store.switchLink('current', action.to);
      store.switchLink('committed', action.to);
      const done = stateAfter(s, action, o.nowMs);
      if (done) store.writeState(done);
      if (backup) {
        try {
          unlinkSync(backup);
        } catch {
          // already gone: a rollback repeated after a cut
        }
      }
      log.error('release rolled back', { version: action.version, to: action.to, reason: action.reason });
      break;
    }
  }
  const current = store.linkTarget('current');
  const mustRestart = action.kind === 'rollback' || (action.kind === 'repair' && before.current !== current);
  return { action, current, mustRestart, pacing: paceThisStart(o, action, current) };
}

/** Decides (and records) this start's wait; never throws: pacing must not keep a screen dark. */
function paceThisStart(o: StartCheckOptions, action: StartAction, current: string | null) {
  if (o.startId === null || current === null || action.kind === 'unmanaged') return null;
  try {
    const decision = paceStart(
      o.store.readStarts(),
      { ...(o.boot ?? readBootNow)(), startId: o.startId, version: current },
      o.pacing,
    );
    if (decision.record) o.store.writeStarts(decision.record);
    if (decision.delayMs > 0)
      o.log.warn('release check: waiting before the start', {
        delayMs: decision.delayMs,
        reason: decision.reason,
      });
    return decision;
  } catch (err) {
    o.log.warn('release check: start not paced', { err });
    return null;
  }
}
