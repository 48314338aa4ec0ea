/**
 * The real-daemon part of `npm run bench -- ota` (bench/ota.ts, `--real [n]`): switch-to-first-frame
 * of the real gatecast daemon against its own cold start, every part real.
 *
 * Two real release builds of this package as built (`npm run bench` builds dist/ first), made by
 * `gatecast release build` for this platform: A and B, the same with a bumped version. B is published
 * in the TUF `releases` role (three release approvers, threshold 2, two sign) of a real sync server on
 * 127.0.0.1 serving the demo repository (the sample bundle signed by two approvers). Each round takes a
 * fresh screen: enrolled, A unpacked as its factory image (hard links of one unpacked copy) and
 * `current` pointing at it, its daemon run as its systemd unit runs it (tests/helpers/unit-process.ts:
 * ExecStartPre `committed/… release start-check`, then `current/… daemon`, restarted after the unit's
 * RestartSec whatever way it leaves) with headless Chromium (/usr/bin/chromium), the server link and
 * the sample bundle. Once A plays, the screen is offered B (an `install-release` command); A's daemon
 * downloads, unpacks and switches by itself, leaves with exit 75, and B's first start proves itself.
 *
 *   switch-to-first-frame: from the rename of `current` (the link's change time, stamped by the kernel
 *     in the same system call) to B's first content frame: the `actualStartAt` of B's first played
 *     item, as its proof of play reaches the server (the time the page reported for the animation
 *     frame in which the item went on air — the signal bench/first-frame.ts waits for through
 *     `daemon.onPlayed`). It includes A's shutdown (its command's result sent, Chromium closing), the
 *     unit's RestartSec (100 ms in the A/B unit of provisioning/units/daemon-unit.ts; `--restart-sec`
 *     overrides it), the start-up check (which waits nothing after a planned exit:
 *     device/release/start-pacing.ts) and B's own start.
 *   The record's time is the page's, moved by the screen's trusted-clock offset rounded to whole
 *   seconds: 0 here, where the server and the screen share one system clock.
 *   cold start: the same screen, B committed, powered on again by a fresh unit (as at boot, no
 *     RestartSec): from the unit's first fork (ExecStartPre) to B's first content frame, measured the
 *     same way.
 *
 * Rounds alternate a switch and a cold start, so both see the same machine load. Items leave the air
 * after 8–15 s (the sample bundle), so each figure is known only then; the waiting is not measured.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { releaseLayout, ReleaseStore } from '../device/release/release-store.js';
import { generateSigningKey } from '../platform/tuf-keys.js';
import { platformOf, releaseArtifactPath, releaseManifestPath } from '../protocol/release.js';
import { renderDaemonUnit } from '../provisioning/units/daemon-unit.js';
import { publishReleaseFiles } from '../sync-server/tuf/release-drafts.js';
import { chromiumPath } from '../tests/helpers/chromium.js';
import { startDemoServer } from '../tests/helpers/demo-server.js';
import { enrolTestDevice } from '../tests/helpers/sync.js';
import { tempDir } from '../tests/helpers/temp.js';
import { SimulatedUnit } from '../tests/helpers/unit-process.js';

const A = '1.0.0';
const B = '1.1.0';
/** How long one step of a round may take before the round is given up (a loaded 2-core machine). */
const STEP_TIMEOUT_MS = 300_000;

/** The unit's RestartSec, as provisioning writes it. */
export function unitRestartSec(): number {
  const unit = renderDaemonUnit({
    nodePath: '/usr/bin/node',
    cliPath: '/opt/gatecast/releases/1.0.0/dist/cli/gatecast.js',
    daemonArgs: ['daemon'],
    user: 'gatecast',
    group: 'gatecast',
    dataDir: '/var/lib/gatecast',
    configDir: '/etc/gatecast',
    watchdogSec: 30,
    sessionUid: undefined,
    session: 'none',
    usesGpio: false,
    releaseRoot: '/opt/gatecast',
  });
  const m = /^RestartSec=(\d+(?:\.\d+)?)(ms|s)$/m.exec(unit);
  if (!m) throw new Error('the daemon unit has no RestartSec=<n>s or <n>ms line');
  return Number(m[1]) / (m[2] === 'ms' ? 1000 : 1);
}

export interface SwitchRun {
  /** From the rename of `current` to B's first content frame. */
  totalMs: number;
  /** From the rename to A's daemon having exited (its shutdown). */
  aExitMs: number;
  /** From A's exit to B's daemon spawned (RestartSec, then ExecStartPre's check). */
  restartMs: number;
  /** From B's daemon spawned to its first content frame. */
  bStartMs: number;
}

export interface ColdRun {
  /** From the unit's first fork to the first content frame. */
  totalMs: number;
  /** ExecStartPre's check, up to the daemon's spawn. */
  checkMs: number;
  /** From the daemon's spawn to its first content frame. */
  startMs: number;
}

export interface RealOtaResult {
  switches: SwitchRun[];
  colds: ColdRun[];
  restartSec: number;
  buildS: number;
  problems: string[];
}

/** Polls `cond` (real processes and I/O) every 100 ms until it gives a value. */
async function eventually<T>(cond: () => T | undefined | false, what: () => string): Promise<T> {
  const end = Date.now() + STEP_TIMEOUT_MS;
  for (;;) {
    const v = cond();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function realOta(o: {
  rounds: number;
  restartSec: number;
  out: (line: string) => void;
}): Promise<RealOtaResult> {
  const platform = platformOf(process.platform, process.arch);
  if (!platform) throw new Error(`no gatecast release platform for ${process.platform}-${process.arch}`);
  // dist/bench/ota-real.js → the package root.
  const appDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const cli = join(appDir, 'dist', 'cli', 'gatecast.js');
  if (!existsSync(cli))
    throw new Error(`${cli} is missing: run through \`npm run bench\`, which builds first`);
  const chromium = chromiumPath();
  const tmp = tempDir('gatecast-ota-real-bench-');
  const units: SimulatedUnit[] = [];
  let server: Awaited<ReturnType<typeof startDemoServer>>['server'] | undefined;
  const problems: string[] = [];
  const switches: SwitchRun[] = [];
  const colds: ColdRun[] = [];
  try {
    // --- two real builds, side by side, each `gatecast release build` in its own process ---------
    const builtAt = Date.now();
    const out = (v: string) => join(tmp.path, `out-${v}`);
    await Promise.all(
      [A, B].map(
        (v) =>
          new Promise<void>((res, rej) =>
            execFile(
              process.execPath,
              [cli, 'release', 'build', '--platform', platform, '--out', out(v), '--release-version', v],
              { encoding: 'utf8', timeout: 600_000 },
              (err, _stdout, stderr) => (err ? rej(new Error(`release build ${v}: ${stderr}`)) : res()),
            ),
          ),
      ),
    );
    const buildS = (Date.now() - builtAt) / 1000;
    const artifact = (v: string) => join(out(v), releaseArtifactPath(v, platform).slice('releases/'.length));
    const manifest = (v: string) => join(out(v), releaseManifestPath(v, platform).slice('releases/'.length));

    // --- the server: the demo repository and a `releases` role; B published by two of three -------
    const started = await startDemoServer(join(tmp.path, 'server'));
    server = started.server;
    const s = started.server;
    const releaseKeys = [1, 2, 3].map((i) => generateSigningKey(`release-${i}`).key);
    await s.server.tuf!.repo.addReleasesRole({
      approvers: releaseKeys.map((k) => k.publicKey),
      threshold: 2,
      targetsKeys: [started.demo.keys.targets],
    });
    await publishReleaseFiles(
      s.server.tuf!.repo,
      {
        [releaseArtifactPath(B, platform)]: readFileSync(artifact(B)),
        [releaseManifestPath(B, platform)]: readFileSync(manifest(B)),
      },
      [releaseKeys[0]!, releaseKeys[2]!],
    );

    // A unpacked once: the factory image each screen starts with (hard-linked, never written to).
    const factory = join(tmp.path, 'factory-a');
    mkdirSync(factory);
    const untar = spawnSync('tar', ['-xzf', artifact(A), '-C', factory]);
    if (untar.status !== 0) throw new Error(`unpacking ${A}: ${String(untar.stderr)}`);

    /** The first item (not a gap) the screen played that went on air at or after `fromMs`. */
    const firstPlay = (deviceId: string, fromMs: number): number | undefined => {
      const at = s.server.registry.pop
        .list(deviceId, { limit: 5000 })
        .map((r) => JSON.parse(r.payload) as { kind?: string; actualStartAt: number })
        .filter((p) => p.kind !== 'gap' && p.actualStartAt >= fromMs)
        .map((p) => p.actualStartAt);
      return at.length ? Math.min(...at) : undefined;
    };
    const env = { ...process.env };
    delete env['DISPLAY'];
    delete env['WAYLAND_DISPLAY'];
    delete env['INVOCATION_ID'];
    const restartDelayMs = o.restartSec * 1000;

    for (let i = 1; i <= o.rounds; i++) {
      const name = `screen-${i}`;
      const dir = join(tmp.path, name);
      const dataDir = join(dir, 'data');
      const root = join(dir, 'opt');
      const e = await enrolTestDevice(s.api, s.server.url, dataDir, name);
      const store = new ReleaseStore(releaseLayout(root));
      mkdirSync(store.layout.releasesDir, { recursive: true });
      const cp = spawnSync('cp', ['-al', factory, store.releaseDir(A)]);
      if (cp.status !== 0) throw new Error(`factory image: ${String(cp.stderr)}`);
      store.switchLink('current', A);
      const config = JSON.parse(readFileSync(e.configPath, 'utf8')) as Record<string, unknown>;
      writeFileSync(
        e.configPath,
        JSON.stringify({
          ...config,
          player: { chromiumPath: chromium, headless: true },
          release: { ...(config['release'] as object | undefined), root },
        }),
      );
      // As the unit runs it: HOME in the data folder (Chromium writes ~/.pki, ~/.cache there).
      const unitEnv = { ...env, HOME: dataDir };
      const unit = (suffix: string) => {
        const u = new SimulatedUnit({
          name: `${name}-${suffix}`,
          root,
          configPath: e.configPath,
          restartDelayMs,
          env: unitEnv,
        });
        units.push(u);
        return u;
      };
      const tail = (u: SimulatedUnit) =>
        `${name}: starts ${JSON.stringify(u.starts)}, state ${JSON.stringify(store.state())}\n${u.output.slice(-3000)}`;

      let boot = unit('boot1');
      try {
        // --- A plays, committed; then B is offered and the daemon switches by itself -------------
        boot.start();
        await eventually(
          () => store.state()?.committed === A && firstPlay(e.deviceId, 0) !== undefined,
          () => `${name} playing ${A}\n${tail(boot)}`,
        );
        const cmd = await s.api('POST', `/api/devices/${e.deviceId}/commands`, {
          name: 'install-release',
          args: { version: B },
        });
        if (cmd.status !== 201)
          throw new Error(`install-release ${B}: ${cmd.status} ${JSON.stringify(cmd.body)}`);
        const u = boot;
        const bStart = await eventually(
          () => u.starts.find((st) => st.version === B && st.spawnedAtMs > 0),
          () => `${name} restarting into ${B}\n${tail(u)}`,
        );
        const frame = await eventually(
          () => firstPlay(e.deviceId, bStart.spawnedAtMs),
          () => `${B}'s first play on ${name}\n${tail(u)}`,
        );
        const link = join(root, 'current');
        if (readlinkSync(link) !== join('releases', B))
          throw new Error(`${name}: current is ${readlinkSync(link)}`);
        // switchLink makes the link and renames it over `current` at once: its change time is the switch.
        const switchedAt = lstatSync(link).ctimeMs;
        const aExit = u.starts[u.starts.indexOf(bStart) - 1]!;
        const run: SwitchRun = {
          totalMs: frame - switchedAt,
          aExitMs: aExit.exitedAtMs! - switchedAt,
          restartMs: bStart.spawnedAtMs - aExit.exitedAtMs!,
          bStartMs: frame - bStart.spawnedAtMs,
        };
        if (bStart.waitMs > 0)
          problems.push(`${name}: ${B}'s first start waited ${bStart.waitMs} ms as after a crash`);
        if (aExit.version !== A || aExit.exitCode !== 75)
          problems.push(`${name}: the start before ${B}'s was ${aExit.version} with exit ${aExit.exitCode}`);
        switches.push(run);
        o.out(
          `  real switch ${i}: ${run.totalMs.toFixed(0)} ms (A exited ${run.aExitMs.toFixed(0)} ms after the rename, ` +
            `restart wait and check ${run.restartMs.toFixed(0)} ms, B's start to first frame ${run.bStartMs.toFixed(0)} ms)\n`,
        );
        await eventually(
          () => store.state()?.committed === B && !store.state()?.pending,
          () => `${name} committing ${B}\n${tail(u)}`,
        );
        await u.stop();

        // --- the same screen powered on again: a cold start of B ---------------------------------
        boot = unit('boot2');
        const c = boot;
        const forkAt = Date.now();
        c.start();
        const coldFrame = await eventually(
          () => firstPlay(e.deviceId, forkAt),
          () => `${name}'s first play after a cold start\n${tail(c)}`,
        );
        const spawned = c.starts[0]!;
        const cold: ColdRun = {
          totalMs: coldFrame - forkAt,
          checkMs: spawned.spawnedAtMs - forkAt,
          startMs: coldFrame - spawned.spawnedAtMs,
        };
        if (spawned.version !== B) problems.push(`${name}: the cold start ran ${spawned.version}`);
        if (spawned.waitMs > 0)
          problems.push(`${name}: the cold start waited ${spawned.waitMs} ms as after a crash`);
        colds.push(cold);
        o.out(
          `  real cold start ${i}: ${cold.totalMs.toFixed(0)} ms (start-up check ${cold.checkMs.toFixed(0)} ms, ` +
            `daemon start to first frame ${cold.startMs.toFixed(0)} ms)\n`,
        );
        await c.stop();
      } catch (err) {
        problems.push(`round ${i}: ${(err as Error).message}`);
        o.out(`  real round ${i} failed: ${(err as Error).message.split('\n')[0]}\n`);
        await boot.stop();
      }
      rmSync(dir, { recursive: true, force: true });
    }
    return { switches, colds, restartSec: o.restartSec, buildS, problems };
  } finally {
    await Promise.all(units.map((u) => u.stop()));
    await server?.server.stop();
    tmp.cleanup();
  }
}
