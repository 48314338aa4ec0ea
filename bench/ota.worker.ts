/**
 * One step of a screen's life for bench/ota.ts, in its own process so that it can be killed with
 * SIGKILL anywhere, forked with an IPC channel:
 *
 *   install <deviceDir> <version> <metadataUrl> <targetsUrl> <rootPath> [--hold STEP]
 *     the real ReleaseInstaller (TUF client, download, unpack, database backup, pending state, switch);
 *     its restart leaves with exit code 75, as the daemon does.
 *   start <deviceDir> <startId> <metadataUrl> <commitWithinMs> [--hold POINT]
 *     a power-on: the unit's ExecStartPre (`release start-check`), then the daemon's own check with the
 *     same INVOCATION_ID, then the release `current` names: its app.mjs is imported and told how to
 *     report "on air"; the server link is up once the repository answers. A pending release is proved
 *     by the real ReleaseProof (commit, or rollback and exit 75); a committed one exits 0 once it plays.
 *
 * Every step and point is reported to the parent with a wall-clock timestamp (ms, sub-ms precision).
 * `--hold X` makes the worker wait at X for the parent's `go` (the parent kills it there instead).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { systemClock } from '../protocol/clock.js';
import { platformOf } from '../protocol/release.js';
import { memoryLogger } from '../platform/log.js';
import { ReleaseProof } from '../device/release/release-proof.js';
import { releaseLayout, ReleaseStore, runStartCheck } from '../device/release/release-store.js';
import { systemTimers } from '../device/timers.js';
import { processMonotonic } from '../device/time/trusted-clock.js';

/** The daemon's exit code to be restarted into another release (release-installer.ts). */
const RESTART_EXIT_CODE = 75;

export const OTA_POLICY = { maxStarts: 3, pendingDeadlineMs: 30 * 60_000 };

/** A message from the worker to bench/ota.ts. */
export type OtaMessage =
  | { t: 'step'; step: string; at: number }
  | { t: 'checked'; action: string; current: string | null; at: number }
  | { t: 'plays'; version: string; pending: boolean; at: number }
  | { t: 'verdict'; kind: 'commit' | 'rollback'; at: number };

export const wallNow = () => performance.timeOrigin + performance.now();

export function deviceStore(deviceDir: string): ReleaseStore {
  return new ReleaseStore(releaseLayout(join(deviceDir, 'opt')));
}
export const deviceDb = (deviceDir: string) => join(deviceDir, 'data', 'device.db');

let hold: string | null = null;
let go: (() => void) | null = null;
process.on('message', (m: { t: string }) => {
  if (m.t === 'go') go?.();
});

async function report(m: OtaMessage, point: string): Promise<void> {
  // Delivered before going on: the callers exit right after some reports.
  await new Promise<void>((resolve) => process.send!(m, undefined, undefined, () => resolve()));
  if (hold !== point) return;
  await new Promise<void>((resolve) => {
    go = resolve;
  });
}

async function install(args: string[]): Promise<void> {
  // Loaded here: a start does not pay for the TUF client and SQLite.
  const [{ default: Database }, installerModule, { TufClient }] = await Promise.all([
    import('better-sqlite3'),
    import('../device/release/release-installer.js'),
    import('../device/update/tuf.js'),
  ]);
  const { ReleaseInstaller } = installerModule;
  if (installerModule.RESTART_EXIT_CODE !== RESTART_EXIT_CODE) throw new Error('restart exit code changed');
  const [deviceDir, version, metadataUrl, targetsUrl, rootPath] = args as [
    string,
    string,
    string,
    string,
    string,
  ];
  const store = deviceStore(deviceDir);
  const dbPath = deviceDb(deviceDir);
  const log = memoryLogger('ota-bench');
  mkdirSync(join(deviceDir, 'data', 'tuf-releases'), { recursive: true });
  const tuf = new TufClient(
    {
      dir: join(deviceDir, 'data', 'tuf-releases', 'metadata'),
      goodDir: join(deviceDir, 'data', 'tuf-releases', 'good'),
      enrolmentRootFile: rootPath,
      metadataUrl,
      targetBaseUrl: targetsUrl,
    },
    log,
  );
  const running = store.state()?.committed ?? store.linkTarget('current');
  if (!running) throw new Error('no running release');
  const installer = new ReleaseInstaller({
    tuf,
    store,
    here: {
      platform: platformOf(process.platform, process.arch),
      nodeAbi: process.versions.modules,
      nodeVersion: process.version,
      running,
    },
    backupDatabase: async (dest) => {
      const db = new Database(dbPath);
      try {
        await db.backup(dest);
      } finally {
        db.close();
      }
    },
    dbPath,
    restart: { restart: () => process.exit(RESTART_EXIT_CODE) },
    clock: systemClock,
    log,
    onStep: (step) => report({ t: 'step', step, at: wallNow() }, step),
  });
  await installer.install(version);
}

async function start(args: string[]): Promise<void> {
  const [deviceDir, startId, metadataUrl, commitWithin] = args as [string, string, string, string];
  const store = deviceStore(deviceDir);
  const dbPath = deviceDb(deviceDir);
  const log = memoryLogger('ota-bench');
  const check = () =>
    runStartCheck({ store, dbPath, policy: OTA_POLICY, nowMs: systemClock.now(), startId, log });
  // ExecStartPre (the committed release's `gatecast release start-check`), then the daemon's main().
  check();
  const r = check();
  await report({ t: 'checked', action: r.action.kind, current: r.current, at: wallNow() }, 'checked');
  if (r.mustRestart) process.exit(RESTART_EXIT_CODE);
  const running = store.linkTarget('current');
  if (!running) process.exit(4); // nothing to run: the unit fails
  const proof = new ReleaseProof({
    store,
    running,
    commitWithinMs: Number(commitWithin),
    monotonic: processMonotonic,
    clock: systemClock,
    timers: systemTimers,
    restart: {
      restart: () => {
        void report({ t: 'verdict', kind: 'rollback', at: wallNow() }, 'verdict').then(() =>
          process.exit(RESTART_EXIT_CODE),
        );
      },
    },
    log,
    onCommitted: () => {
      void report({ t: 'verdict', kind: 'commit', at: wallNow() }, 'verdict').then(() => process.exit(0));
    },
  });
  proof.start();
  const pending = proof.isPending;
  // The server link: the repository answers.
  void fetch(new URL('timestamp.json', metadataUrl)).then(
    (res) => {
      if (res.ok) proof.linkUp();
    },
    () => undefined,
  );
  const app = (await import(pathToFileURL(join(store.layout.root, 'current', 'app.mjs')).href)) as {
    start(ctx: { onAir(): void }): void;
  };
  app.start({
    onAir: () => {
      void report({ t: 'plays', version: running, pending, at: wallNow() }, 'plays').then(() => {
        if (pending) proof.onAir();
        else process.exit(0);
      });
    },
  });
  // A committed release that never plays: the screen stays dark (the parent counts it).
  if (!pending) systemTimers.setTimeout(() => process.exit(3), 5000);
}

const [mode, ...rest] = process.argv.slice(2);
const h = rest.indexOf('--hold');
if (h >= 0) {
  hold = rest[h + 1] ?? null;
  rest.splice(h, 2);
}
(mode === 'install' ? install(rest) : start(rest)).catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
