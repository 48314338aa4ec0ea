import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeClock } from '../../../protocol/clock.js';
import { memoryLogger } from '../../../platform/log.js';
import {
  generateSigningKey,
  keyPairPaths,
  loadSigningKey,
  type SigningKey,
} from '../../../platform/tuf-keys.js';
import { platformOf, ReleaseBusyError } from '../../../protocol/release.js';
import { readBootNow } from '../../../platform/boot-time.js';
import { ReleaseInstaller, type ReleaseInstallerDeps } from '../../../device/release/release-installer.js';
import { ReleaseProof } from '../../../device/release/release-proof.js';
import type { ReleaseState } from '../../../device/release/release-state.js';
import { releaseLayout, ReleaseStore, runStartCheck } from '../../../device/release/release-store.js';
import { TufClient } from '../../../device/update/tuf.js';
import {
  buildSnapshot,
  buildTimestamp,
  serializeMetadata,
  signWith,
} from '../../../sync-server/tuf/metadata.js';
import { publishReleaseFiles } from '../../../sync-server/tuf/release-drafts.js';
import { TufReleaseCatalog } from '../../../sync-server/releases/tuf-catalog.js';
import { fixtureRelease } from '../../helpers/release-fixture.js';
import { startTufRepo, type TufRepoFixture } from '../../helpers/tuf-repo.js';
import { tempDir } from '../../helpers/temp.js';

const policy = { maxStarts: 3, pendingDeadlineMs: 30 * 60_000 };
const platform = platformOf(process.platform, process.arch);

describe('installing a gatecast release from the TUF releases role', () => {
  let repo: TufRepoFixture;
  let tmp: { path: string; cleanup: () => void };
  let releaseKeys: SigningKey[];
  let store: ReleaseStore;
  let dbPath: string;
  let restarts: string[];
  const clock = fakeClock('2026-12-06T05:00:00Z');
  const log = memoryLogger('release');

  beforeEach(async () => {
    tmp = tempDir('gatecast-release-');
    repo = await startTufRepo();
    releaseKeys = [1, 2, 3].map((i) => generateSigningKey(`release-${i}`).key);
    await repo.repo.addReleasesRole({
      approvers: releaseKeys.map((k) => k.publicKey),
      threshold: 2,
      targetsKeys: [repo.keys.targets],
    });
    // Release 1.0.0 installed by hand (the factory image): adopted as committed at the first start.
    store = new ReleaseStore(releaseLayout(join(tmp.path, 'opt')));
    mkdirSync(store.releaseDir('1.0.0'), { recursive: true });
    writeFileSync(join(store.releaseDir('1.0.0'), 'release.json'), '{}');
    store.switchLink('current', '1.0.0');
    mkdirSync(join(tmp.path, 'data'));
    dbPath = join(tmp.path, 'data', 'device.db');
    const db = new Database(dbPath);
    db.pragma('journal_mode = WAL');
    db.exec("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('before')");
    db.close();
    restarts = [];
  });

  afterEach(async () => {
    await repo.close();
    tmp.cleanup();
  });

  function installer(running = '1.0.0', extra: Partial<ReleaseInstallerDeps> = {}) {
    const tuf = new TufClient(
      {
        dir: join(tmp.path, 'data', 'tuf-releases', 'metadata'),
        goodDir: join(tmp.path, 'data', 'tuf-releases', 'good'),
        enrolmentRootFile: repo.rootPath,
        metadataUrl: repo.metadataUrl,
        targetBaseUrl: repo.targetsUrl,
      },
      log,
    );
    return new ReleaseInstaller({
      tuf,
      store,
      here: { platform, nodeAbi: process.versions.modules, nodeVersion: process.version, running },
      backupDatabase: async (dest) => {
        const db = new Database(dbPath);
        try {
          await db.backup(dest);
        } finally {
          db.close();
        }
      },
      dbPath,
      restart: { restart: (reason) => restarts.push(reason) },
      clock,
      log,
      ...extra,
    });
  }

  const rows = () => {
    const db = new Database(dbPath, { readonly: true });
    try {
      return (db.prepare('SELECT v FROM t ORDER BY rowid').all() as { v: string }[]).map((r) => r.v);
    } finally {
      db.close();
    }
  };
  const check = (startId: string | null) =>
    runStartCheck({ store, dbPath, policy, nowMs: clock.now(), startId, log });

  it('installs a release two release approvers signed beside the running one, switches, and commits once it proved itself', async () => {
    expect(check(null).action).toEqual({ kind: 'adopt', version: '1.0.0' });
    const b = fixtureRelease(tmp.path, { version: '1.1.0', platform: platform! });
    await publishReleaseFiles(repo.repo, b.files, releaseKeys.slice(0, 2));
    expect(new TufReleaseCatalog(repo.repo).list()).toMatchObject([
      { version: '1.1.0', platforms: [platform] },
    ]);

    await installer().install('1.1.0');
    expect(restarts).toEqual(['switch to release 1.1.0']);
    expect(store.linkTarget('current')).toBe('1.1.0');
    expect(store.linkTarget('previous')).toBe('1.0.0');
    expect(JSON.parse(readFileSync(join(store.releaseDir('1.1.0'), 'release.json'), 'utf8')).version).toBe(
      '1.1.0',
    );
    const pending = store.state()!.pending!;
    expect(pending).toMatchObject({ version: '1.1.0', from: '1.0.0', starts: 0 });
    expect(existsSync(pending.dbBackup!)).toBe(true);

    // The new release starts (ExecStartPre and the daemon: one start), is on air and linked: committed.
    expect(check('inv-1').action).toEqual({ kind: 'count-start', starts: 1, startId: 'inv-1' });
    expect(check('inv-1').action).toEqual({ kind: 'run' });
    const timers: (() => void)[] = [];
    const proof = new ReleaseProof({
      store,
      running: '1.1.0',
      commitWithinMs: 60_000,
      monotonic: clock,
      clock,
      timers: { setTimeout: (fn) => timers.push(fn), clearTimeout: () => undefined },
      restart: { restart: (r) => restarts.push(r) },
      log,
    });
    proof.start();
    expect(proof.isPending).toBe(true);
    proof.onAir();
    expect(store.state()!.pending).not.toBeNull();
    proof.linkUp();
    expect(store.state()).toMatchObject({ committed: '1.1.0', pending: null, outcome: 'committed' });
    expect(store.linkTarget('committed')).toBe('1.1.0');
    expect(existsSync(pending.dbBackup!)).toBe(false);
    expect(check('inv-2').action).toEqual({ kind: 'run' });
  });

  it('rolls back by itself after the pending release failed its starts: database restored, current switched back, the reason kept', async () => {
    check(null);
    const b = fixtureRelease(tmp.path, { version: '1.1.0', platform: platform! });
    await publishReleaseFiles(repo.repo, b.files, releaseKeys.slice(1, 3));
    await installer().install('1.1.0');
    // The new release migrates the database, then crashes at each start.
    const db = new Database(dbPath);
    db.exec("INSERT INTO t VALUES ('written by 1.1.0')");
    db.close();
    for (const id of ['a', 'b', 'c']) expect(check(id).action.kind).toBe('count-start');
    const r = check('d');
    expect(r).toMatchObject({
      action: { kind: 'rollback', to: '1.0.0', reason: 'did not prove itself in 3 starts' },
      mustRestart: true,
      current: '1.0.0',
    });
    expect(rows()).toEqual(['before']);
    const s = store.state() as ReleaseState;
    expect(s).toMatchObject({ committed: '1.0.0', pending: null, outcome: 'rolled-back' });
    expect(s.lastRollback).toMatchObject({ version: '1.1.0', reason: 'did not prove itself in 3 starts' });
    expect(check('e').action).toEqual({ kind: 'run' });
  });

  it('a running release that shows nothing within the time begins its rollback and restarts; the next start finishes it', async () => {
    check(null);
    await publishReleaseFiles(
      repo.repo,
      fixtureRelease(tmp.path, { version: '1.1.0', platform: platform! }).files,
      releaseKeys.slice(0, 2),
    );
    await installer().install('1.1.0');
    check('a');
    const timers: (() => void)[] = [];
    const proof = new ReleaseProof({
      store,
      running: '1.1.0',
      commitWithinMs: 60_000,
      monotonic: clock,
      clock,
      timers: { setTimeout: (fn) => timers.push(fn), clearTimeout: () => undefined },
      restart: { restart: (r) => restarts.push(r) },
      log,
    });
    proof.start();
    proof.linkUp();
    clock.advance(60_000);
    timers[0]!();
    expect(restarts.at(-1)).toBe('roll back release 1.1.0: no content on air within 60 s of its start');
    expect(store.state()!.pending!.rollingBack!.reason).toBe('no content on air within 60 s of its start');
    expect(check('b')).toMatchObject({ action: { kind: 'rollback', to: '1.0.0' }, current: '1.0.0' });
    expect(store.state()!.lastRollback!.reason).toBe('no content on air within 60 s of its start');
  });

  it('refuses a release signed by one release approver: the repository will not publish it, and a device will not install it', async () => {
    const b = fixtureRelease(tmp.path, { version: '1.1.0', platform: platform! });
    await expect(publishReleaseFiles(repo.repo, b.files, releaseKeys.slice(0, 1))).rejects.toMatchObject({
      code: 'THRESHOLD_NOT_MET',
    });
    // A server that publishes it anyway (its online keys re-sign snapshot and timestamp over it).
    const md = repo.repo.buildReleasesMetadata(
      Object.entries(b.files).map(([path, data]) => ({
        path,
        length: data.length,
        sha256: createHash('sha256').update(data).digest('hex'),
      })),
    );
    md.sign(releaseKeys[0]!.signer, true);
    const metaDir = repo.repo.layout.metadataDir;
    const releasesBytes = serializeMetadata(md);
    writeFileSync(join(metaDir, `${md.signed.version}.releases.json`), releasesBytes);
    const v = repo.repo.versions();
    const meta: Record<string, { version: number; bytes: Buffer }> = {
      'targets.json': { version: v.targets, bytes: readFileSync(join(metaDir, `${v.targets}.targets.json`)) },
      'releases.json': { version: md.signed.version, bytes: releasesBytes },
    };
    for (const [role, ver] of Object.entries(v.roles))
      meta[`${role}.json`] = { version: ver, bytes: readFileSync(join(metaDir, `${ver}.${role}.json`)) };
    const snapshot = buildSnapshot(v.snapshot + 1, Date.now() + 86_400_000, meta);
    signWith(snapshot, [
      await loadSigningKey(keyPairPaths(repo.repo.layout.keysDir, 'snapshot').privatePath),
    ]);
    const snapBytes = serializeMetadata(snapshot);
    writeFileSync(join(metaDir, `${v.snapshot + 1}.snapshot.json`), snapBytes);
    const ts = buildTimestamp(v.timestamp + 1, Date.now() + 86_400_000, v.snapshot + 1, snapBytes);
    signWith(ts, [await loadSigningKey(keyPairPaths(repo.repo.layout.keysDir, 'timestamp').privatePath)]);
    writeFileSync(join(metaDir, 'timestamp.json'), serializeMetadata(ts));

    check(null);
    await expect(installer().install('1.1.0')).rejects.toMatchObject({ code: 'METADATA_SIGNATURE' });
    expect(store.linkTarget('current')).toBe('1.0.0');
    expect(store.state()!.pending).toBeNull();
    expect(restarts).toEqual([]);
  });

  it('says no role lists the release before the releases role has published anything', async () => {
    check(null);
    const err = await installer()
      .install('1.1.0')
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TARGET_NOT_FOUND' });
    expect((err as Error).message).toContain(
      `the releases role lists no releases/gatecast-1.1.0-${platform}.json`,
    );
    expect(store.linkTarget('current')).toBe('1.0.0');
  });

  it('refuses a release for another Node ABI and a downgrade its manifest does not allow, before downloading the artifact', async () => {
    check(null);
    const abi = fixtureRelease(tmp.path, { version: '1.2.0', platform: platform!, nodeAbi: '1' });
    const old = fixtureRelease(tmp.path, { version: '0.9.0', platform: platform! });
    const oldAllowed = fixtureRelease(tmp.path, {
      version: '0.9.1',
      platform: platform!,
      allowDowngradeFrom: ['1.0.0'],
    });
    await publishReleaseFiles(
      repo.repo,
      { ...abi.files, ...old.files, ...oldAllowed.files },
      releaseKeys.slice(0, 2),
    );
    await expect(installer().install('1.2.0')).rejects.toThrow(/Node ABI 1, this device's node has ABI/);
    await expect(installer().install('0.9.0')).rejects.toThrow(/does not allow a downgrade from 1.0.0/);
    await expect(installer().install('2.0.0')).rejects.toMatchObject({ code: 'TARGET_NOT_FOUND' });
    expect(existsSync(store.releaseDir('1.2.0'))).toBe(false);
    expect(store.linkTarget('current')).toBe('1.0.0');
    await installer().install('0.9.1');
    expect(store.linkTarget('current')).toBe('0.9.1');
  });

  /** An executable shell script in the temp folder (a stand-in `sync` that records or fails). */
  const script = (name: string, body: string) => {
    const path = join(tmp.path, name);
    writeFileSync(path, `#!/bin/sh\n${body}\n`);
    chmodSync(path, 0o755);
    return path;
  };
  const unpackedLog = (l: ReturnType<typeof memoryLogger>) =>
    l.records.filter((r) => r.msg === 'release unpacked').map((r) => r.fields);

  it('makes the unpacked release durable with one flush of its filesystem (sync --file-system), then renames it into place', async () => {
    check(null);
    await publishReleaseFiles(
      repo.repo,
      fixtureRelease(tmp.path, { version: '1.1.0', platform: platform! }).files,
      releaseKeys.slice(0, 2),
    );
    const calls = join(tmp.path, 'sync-calls');
    const recording = script('recording-sync', `echo "$@" >> '${calls}'\nexec sync "$@"`);
    const l = memoryLogger('release');
    await installer('1.0.0', { syncCommand: recording, log: l }).install('1.1.0');
    expect(readFileSync(calls, 'utf8')).toBe(
      `--file-system ${join(store.layout.releasesDir, '.unpack-1.1.0')}\n`,
    );
    expect(unpackedLog(l)).toEqual([{ version: '1.1.0', flush: 'syncfs', flushMs: expect.any(Number) }]);
    expect(l.records.filter((r) => r.level === 'warn')).toEqual([]);
    expect(store.linkTarget('current')).toBe('1.1.0');
    expect(readdirSync(store.layout.releasesDir).sort()).toEqual(['1.0.0', '1.1.0']);

    // The daemon's default: coreutils' own sync, found on the PATH.
    await publishReleaseFiles(
      repo.repo,
      fixtureRelease(tmp.path, { version: '1.2.0', platform: platform! }).files,
      releaseKeys.slice(0, 2),
    );
    store.writeState({ ...store.state()!, committed: '1.1.0', pending: null });
    const l2 = memoryLogger('release');
    await installer('1.1.0', { log: l2 }).install('1.2.0');
    expect(unpackedLog(l2)).toEqual([{ version: '1.2.0', flush: 'syncfs', flushMs: expect.any(Number) }]);
  });

  it('fsyncs every file and folder instead when sync fails or is missing, and says which flush it used and why', async () => {
    check(null);
    await publishReleaseFiles(
      repo.repo,
      {
        ...fixtureRelease(tmp.path, { version: '1.1.0', platform: platform! }).files,
        ...fixtureRelease(tmp.path, { version: '1.2.0', platform: platform! }).files,
      },
      releaseKeys.slice(0, 2),
    );
    const failing = script('failing-sync', `echo "sync: error syncing '$2': Input/output error" >&2\nexit 1`);
    const l = memoryLogger('release');
    await installer('1.0.0', { syncCommand: failing, log: l }).install('1.1.0');
    expect(unpackedLog(l)).toEqual([{ version: '1.1.0', flush: 'per-file', flushMs: expect.any(Number) }]);
    const warned = l.records.filter((r) => r.level === 'warn');
    expect(warned).toHaveLength(1);
    expect(warned[0]!.msg).toBe('release flushed file by file: one flush of its filesystem failed');
    expect(String(warned[0]!.fields['reason'])).toContain('Input/output error');
    expect(store.linkTarget('current')).toBe('1.1.0');

    store.writeState({ ...store.state()!, committed: '1.1.0', pending: null });
    const l2 = memoryLogger('release');
    const missing = join(tmp.path, 'no-such-sync');
    await installer('1.1.0', { syncCommand: missing, log: l2 }).install('1.2.0');
    expect(unpackedLog(l2)).toEqual([{ version: '1.2.0', flush: 'per-file', flushMs: expect.any(Number) }]);
    expect(String(l2.records.find((r) => r.level === 'warn')!.fields['reason'])).toContain('ENOENT');
    expect(store.linkTarget('current')).toBe('1.2.0');
  });

  /** The pid of a process that has ended (a kill leaves temp names with such pids). */
  const deadPid = (): number => {
    const r = spawnSync(process.execPath, ['-e', '0']);
    expect(r.status).toBe(0);
    return r.pid!;
  };
  /** A link at `.<link>.<pid>.tmp`, as a kill inside switchLink (between symlink and rename) leaves it. */
  const deadTempLink = (link: string, target: string): string => {
    const name = `.${link}.${deadPid()}.tmp`;
    symlinkSync(target, join(store.layout.root, name));
    return name;
  };
  const inRoot = () => readdirSync(store.layout.root).sort();

  it("removes an abandoned switch's database backup, an unpack folder and temporary links a kill left when the installer starts; keeps the releases", async () => {
    check(null);
    await publishReleaseFiles(
      repo.repo,
      fixtureRelease(tmp.path, { version: '1.1.0', platform: platform! }).files,
      releaseKeys.slice(0, 2),
    );
    // Killed after the pending state was written, before `current` was renamed.
    const cut = installer('1.0.0', {
      onStep: (step) => {
        if (step === 'pending') throw new Error('power cut');
      },
    });
    await expect(cut.install('1.1.0')).rejects.toThrow('power cut');
    const backup = store.state()!.pending!.dbBackup!;
    expect(check('inv-1').action).toEqual({ kind: 'abandon', version: '1.1.0' });
    expect(existsSync(backup)).toBe(true);
    // Killed mid-way through other steps: a later unpack, a link switch, a state write, a backup.
    mkdirSync(join(store.layout.releasesDir, '.unpack-1.2.0', 'dist'), { recursive: true });
    writeFileSync(join(store.layout.releasesDir, '.unpack-1.2.0', 'dist', 'half'), 'x'.repeat(1000));
    const tempCurrent = deadTempLink('current', 'releases/1.1.0');
    const tempCommitted = deadTempLink('committed', 'releases/1.0.0');
    const tempState = `.state.json.${deadPid()}.1.tmp`;
    writeFileSync(join(store.layout.root, tempState), '{"schema":');
    writeFileSync(`${backup}.tmp`, 'half a backup');
    expect(inRoot()).toEqual(
      expect.arrayContaining([tempCurrent, tempCommitted, tempState, 'current', 'releases']),
    );
    const stateBefore = readFileSync(store.layout.statePath, 'utf8');

    const l = memoryLogger('release');
    await installer('1.0.0', { log: l }).start();

    expect(existsSync(backup)).toBe(false);
    expect(existsSync(`${backup}.tmp`)).toBe(false);
    expect(existsSync(dbPath)).toBe(true);
    expect(readdirSync(store.layout.releasesDir).sort()).toEqual(['1.0.0', '1.1.0']);
    expect(inRoot().filter((n) => n.startsWith('.'))).toEqual([]);
    expect(readlinkSync(join(store.layout.root, 'current'))).toBe(join('releases', '1.0.0'));
    expect(existsSync(join(store.releaseDir('1.0.0'), 'release.json'))).toBe(true);
    expect(existsSync(join(store.releaseDir('1.1.0'), 'release.json'))).toBe(true);
    expect(readFileSync(store.layout.statePath, 'utf8')).toBe(stateBefore);
    expect(l.records.find((r) => r.msg === 'removed what an interrupted install left')!.fields).toEqual({
      removed: [
        join(store.layout.releasesDir, '.unpack-1.2.0'),
        ...[tempCommitted, tempCurrent, tempState].map((n) => join(store.layout.root, n)),
        backup,
        `${backup}.tmp`,
      ],
    });
    expect(check('inv-2').action).toEqual({ kind: 'run' });
  });

  it("keeps, when the installer starts, the pending release, the release a rollback returns to, its database backup and a live process's temporary link", async () => {
    check(null);
    await publishReleaseFiles(
      repo.repo,
      fixtureRelease(tmp.path, { version: '1.1.0', platform: platform! }).files,
      releaseKeys.slice(0, 2),
    );
    await installer().install('1.1.0');
    expect(check('inv-1').action.kind).toBe('count-start');
    const backup = store.state()!.pending!.dbBackup!;
    mkdirSync(join(store.layout.releasesDir, '.unpack-1.2.0'));
    const dead = deadTempLink('current', 'releases/1.1.0');
    // The daemon's proof in another process, about to rename its new `committed` link over.
    const live = `.committed.${process.ppid}.tmp`;
    symlinkSync('releases/1.1.0', join(store.layout.root, live));
    const stateBefore = readFileSync(store.layout.statePath, 'utf8');

    await installer('1.1.0').start();

    expect(existsSync(join(store.layout.releasesDir, '.unpack-1.2.0'))).toBe(false);
    expect(existsSync(join(store.layout.root, dead))).toBe(false);
    expect(lstatSync(join(store.layout.root, live)).isSymbolicLink()).toBe(true);
    expect(existsSync(backup)).toBe(true);
    expect(readdirSync(store.layout.releasesDir).sort()).toEqual(['1.0.0', '1.1.0']);
    expect(existsSync(join(store.releaseDir('1.1.0'), 'release.json'))).toBe(true);
    expect(existsSync(join(store.releaseDir('1.0.0'), 'release.json'))).toBe(true);
    expect(store.linkTarget('current')).toBe('1.1.0');
    expect(store.linkTarget('previous')).toBe('1.0.0');
    expect(readFileSync(store.layout.statePath, 'utf8')).toBe(stateBefore);

    // The rollback it may still need finds everything in place.
    const db = new Database(dbPath);
    db.exec("INSERT INTO t VALUES ('written by 1.1.0')");
    db.close();
    for (const id of ['b', 'c']) expect(check(id).action.kind).toBe('count-start');
    expect(check('d').action).toMatchObject({ kind: 'rollback', to: '1.0.0' });
    expect(rows()).toEqual(['before']);
  });

  it('installs one at a time across processes: refused by name while another process installs, nothing changed; a lock its holder left behind is taken over', async () => {
    check(null);
    await publishReleaseFiles(
      repo.repo,
      fixtureRelease(tmp.path, { version: '1.1.0', platform: platform! }).files,
      releaseKeys.slice(0, 2),
    );
    // `gatecast release install` running in another process (a live pid of this boot) holds the lock.
    const other = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      const lock = (pid: number, bootId: string) =>
        writeFileSync(store.layout.lockPath, `${JSON.stringify({ pid, bootId })}\n`);
      const thisBoot = readBootNow().bootId;
      lock(other.pid!, thisBoot);
      mkdirSync(join(store.layout.releasesDir, '.unpack-1.1.0', 'dist'), { recursive: true });
      const stateBefore = readFileSync(store.layout.statePath, 'utf8');

      const err = await installer()
        .install('1.1.0')
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(err).toBeInstanceOf(ReleaseBusyError);
      expect((err as ReleaseBusyError).code).toBe('RELEASE_BUSY');
      expect((err as Error).message).toBe(
        `another process (pid ${other.pid}) is installing a release on this screen; try again once it has finished`,
      );
      // Nothing changed: no switch, no state written, the other process's unpack folder left alone,
      // also by the sweep at start.
      const l = memoryLogger('release');
      await installer('1.0.0', { log: l }).start();
      expect(l.records.map((r) => r.msg)).toContain('leftovers of interrupted installs not swept now');
      expect(existsSync(join(store.layout.releasesDir, '.unpack-1.1.0', 'dist'))).toBe(true);
      expect(store.linkTarget('current')).toBe('1.0.0');
      expect(readFileSync(store.layout.statePath, 'utf8')).toBe(stateBefore);
      expect(restarts).toEqual([]);

      // The same pid in a previous boot (a power cut mid-install): the lock is taken over.
      lock(other.pid!, 'a-previous-boot');
      await installer().install('1.1.0');
      expect(store.linkTarget('current')).toBe('1.1.0');
      expect(restarts).toEqual(['switch to release 1.1.0']);
      expect(existsSync(store.layout.lockPath)).toBe(false);
    } finally {
      other.kill();
    }
    // And a lock of a process that has ended, in this boot.
    store.writeState({ ...store.state()!, committed: '1.1.0', pending: null });
    await publishReleaseFiles(
      repo.repo,
      fixtureRelease(tmp.path, { version: '1.2.0', platform: platform! }).files,
      releaseKeys.slice(0, 2),
    );
    writeFileSync(
      store.layout.lockPath,
      `${JSON.stringify({ pid: deadPid(), bootId: readBootNow().bootId })}\n`,
    );
    await installer('1.1.0').install('1.2.0');
    expect(store.linkTarget('current')).toBe('1.2.0');
    expect(existsSync(store.layout.lockPath)).toBe(false);
  });

  it('clears what an interrupted install of another version left before the next install', async () => {
    check(null);
    await publishReleaseFiles(
      repo.repo,
      fixtureRelease(tmp.path, { version: '1.1.0', platform: platform! }).files,
      releaseKeys.slice(0, 2),
    );
    mkdirSync(join(store.layout.releasesDir, '.unpack-1.0.5', 'node_modules'), { recursive: true });
    const dead = deadTempLink('current', 'releases/1.0.0');
    await installer().install('1.1.0');
    expect(readdirSync(store.layout.releasesDir).sort()).toEqual(['1.0.0', '1.1.0']);
    expect(existsSync(join(store.layout.root, dead))).toBe(false);
    expect(store.linkTarget('current')).toBe('1.1.0');
    expect(existsSync(store.state()!.pending!.dbBackup!)).toBe(true);
  });
});
