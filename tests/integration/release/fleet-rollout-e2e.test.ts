/**
 * A fleet of screens updating gatecast over the air, every part real: two real builds of gatecast for
 * this platform (`gatecast release build`, A and B), published in the TUF `releases` role of a real
 * sync server on 127.0.0.1 once two release approvers signed; each screen a daemon process started
 * from its `current` link as its systemd unit starts it (tests/helpers/unit-process.ts), playing the
 * signed sample bundle in headless Chromium and linked to the server. Nothing in this process proves
 * a release: each daemon commits (or rolls back) by itself.
 *
 * Build dist/ first (npx tsc -p tsconfig.build.json && node scripts/copy-browser-files.mjs). Slow:
 * two release builds, three daemons with Chromium, so it has this file to itself.
 */
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseLayout, ReleaseStore } from '../../../device/release/release-store.js';
import type { HealthReport } from '../../../protocol/messages.js';
import { platformOf, releaseArtifactPath, releaseManifestPath } from '../../../protocol/release.js';
import { generateSigningKey, type SigningKey } from '../../../platform/tuf-keys.js';
import { publishReleaseFiles } from '../../../sync-server/tuf/release-drafts.js';
import { chromiumPath } from '../../helpers/chromium.js';
import { GATECAST_JS } from '../../helpers/cli-process.js';
import { startDemoServer } from '../../helpers/demo-server.js';
import { fixtureRelease } from '../../helpers/release-fixture.js';
import { enrolTestDevice } from '../../helpers/sync.js';
import { tempDir } from '../../helpers/temp.js';
import { SimulatedUnit } from '../../helpers/unit-process.js';

type Release = NonNullable<HealthReport['release']>;

const platform = platformOf(process.platform, process.arch)!;
const A = '1.0.0';
const B = '1.1.0';
const C = '1.2.0';
/** systemd's RestartSec, as the A/B unit says (the start-up check paces restarts after a crash). */
const RESTART_DELAY_MS = 100;
const SCREENS = ['canary', 'gate-2', 'gate-3'];

interface FleetScreen {
  name: string;
  deviceId: string;
  root: string;
  store: ReleaseStore;
  unit: SimulatedUnit;
  /** A fresh unit for this screen (a power-on, or `systemctl start` after a stop). */
  newUnit: () => SimulatedUnit;
}

/** Polls `cond` (real processes and I/O, no time logic) every 200 ms until it holds. */
async function eventually(cond: () => boolean | Promise<boolean>, timeoutMs: number, what: () => string) {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** `gatecast release build` as its own process, without blocking this one (builds run side by side). */
const buildRelease = (out: string, version: string) =>
  new Promise<void>((resolve, reject) =>
    execFile(
      process.execPath,
      [GATECAST_JS, 'release', 'build', '--platform', platform, '--out', out, '--release-version', version],
      { encoding: 'utf8', timeout: 600_000 },
      (err, _stdout, stderr) => (err ? reject(new Error(`release build ${version}: ${stderr}`)) : resolve()),
    ),
  );

const releaseFiles = (out: string, version: string): Record<string, Buffer> => {
  const files: Record<string, Buffer> = {};
  for (const p of [releaseArtifactPath(version, platform), releaseManifestPath(version, platform)])
    files[p] = readFileSync(join(out, p.slice('releases/'.length)));
  return files;
};

describe('a fleet updating gatecast over the air (real builds, one daemon process per screen)', () => {
  let tmp: { path: string; cleanup: () => void };
  let s: Awaited<ReturnType<typeof startDemoServer>>['server'];
  let releaseKeys: SigningKey[];
  const screens: FleetScreen[] = [];

  const releaseOf = (sc: FleetScreen): Release | undefined =>
    (s.server.registry.health.latest(sc.deviceId).get(sc.deviceId)?.payload as { release?: Release })
      ?.release;
  const reports = (sc: FleetScreen, running: string, state: Release['state']) => {
    const r = releaseOf(sc);
    return r?.running === running && r.state === state;
  };
  const plays = (sc: FleetScreen) =>
    s.server.registry.pop
      .list(sc.deviceId, { limit: 5000 })
      .map((r) => JSON.parse(r.payload) as { kind?: string; actualStartAt: number; durationMs: number })
      .filter((p) => p.kind !== 'gap')
      .sort((x, y) => x.actualStartAt - y.actualStartAt);
  const installCommands = (sc: FleetScreen) =>
    s.server.registry.commands.list(sc.deviceId).filter((c) => c.name === 'install-release');
  const state = (sc: FleetScreen) =>
    `${sc.name}: health ${JSON.stringify(releaseOf(sc))}, starts ${JSON.stringify(sc.unit.starts)}\n${sc.unit.output.slice(-3000)}`;

  beforeAll(async () => {
    tmp = tempDir('gatecast-fleet-ota-');
    const outA = join(tmp.path, 'out-a');
    const outB = join(tmp.path, 'out-b');
    await Promise.all([buildRelease(outA, A), buildRelease(outB, B)]);

    // The server: the demo repository (the sample bundle signed by two approvers) with a `releases`
    // role of three release approvers, threshold 2; the rollout policy runs twice a second.
    const started = await startDemoServer(join(tmp.path, 'server'), {
      over: { releases: { rolloutTickMs: 500 } },
    });
    s = started.server;
    releaseKeys = [1, 2, 3].map((i) => generateSigningKey(`release-${i}`).key);
    await s.server.tuf!.repo.addReleasesRole({
      approvers: releaseKeys.map((k) => k.publicKey),
      threshold: 2,
      targetsKeys: [started.demo.keys.targets],
    });

    // A, unpacked once: the factory image every screen starts with.
    const factory = join(tmp.path, 'factory-a');
    mkdirSync(factory);
    const untar = spawnSync('tar', ['-xzf', join(outA, `gatecast-${A}-${platform}.tar.gz`), '-C', factory]);
    expect(untar.status, String(untar.stderr)).toBe(0);

    for (const name of SCREENS) {
      const dataDir = join(tmp.path, name, 'data');
      const root = join(tmp.path, name, 'opt');
      const e = await enrolTestDevice(s.api, s.server.url, dataDir, name);
      const store = new ReleaseStore(releaseLayout(root));
      mkdirSync(store.layout.releasesDir, { recursive: true });
      // Hard links: the factory image's files are never written to, only replaced or removed whole.
      const cp = spawnSync('cp', ['-al', factory, store.releaseDir(A)]);
      expect(cp.status, String(cp.stderr)).toBe(0);
      store.switchLink('current', A);
      const config = JSON.parse(readFileSync(e.configPath, 'utf8'));
      writeFileSync(
        e.configPath,
        JSON.stringify({
          ...config,
          player: { chromiumPath: chromiumPath(), headless: true },
          health: { intervalMs: 2000 },
          release: { root, commitWithinMs: 120_000, maxStarts: 3 },
        }),
      );
      const env = { ...process.env };
      delete env['DISPLAY'];
      delete env['WAYLAND_DISPLAY'];
      delete env['INVOCATION_ID'];
      const newUnit = () =>
        new SimulatedUnit({ name, root, configPath: e.configPath, restartDelayMs: RESTART_DELAY_MS, env });
      screens.push({ name, deviceId: e.deviceId, root, store, unit: newUnit(), newUnit });
    }
    for (const sc of screens) sc.unit.start();
    // Every screen plays A (installed by hand, adopted as committed) and says so.
    for (const sc of screens)
      await eventually(
        () => reports(sc, A, 'committed') && plays(sc).length > 0,
        180_000,
        () => `${sc.name} playing ${A}\n${state(sc)}`,
      );
  }, 900_000);

  afterAll(async () => {
    await Promise.all(screens.map((sc) => sc.unit.stop()));
    await s?.server.stop();
    tmp?.cleanup();
    // Three daemons closing Chromium, and the releases unpacked per screen, take their time under load.
  }, 600_000);

  it('a release signed by one release approver is not published: no rollout, no install command', async () => {
    const files = releaseFiles(join(tmp.path, 'out-b'), B);
    await expect(
      publishReleaseFiles(s.server.tuf!.repo, files, releaseKeys.slice(0, 1)),
    ).rejects.toMatchObject({ code: 'THRESHOLD_NOT_MET' });
    const rollout = await s.api('POST', '/api/releases/rollouts', {
      version: B,
      stages: [{ scope: 'canary', select: { screens: [screens[0]!.deviceId] } }],
      advance: 'auto',
    });
    expect(rollout.status).toBe(409);
    expect(rollout.body.error.code).toBe('RELEASE_NOT_PUBLISHED');
    const cmd = await s.api('POST', `/api/devices/${screens[0]!.deviceId}/commands`, {
      name: 'install-release',
      args: { version: B },
    });
    expect(cmd.status).toBeGreaterThanOrEqual(400);
    expect(installCommands(screens[0]!)).toEqual([]);
  });

  it('rolls B out through the canary, then by itself after the soak to the rest; each daemon commits by itself, dark for one restart only', async () => {
    await publishReleaseFiles(s.server.tuf!.repo, releaseFiles(join(tmp.path, 'out-b'), B), [
      releaseKeys[0]!,
      releaseKeys[2]!,
    ]);
    const [canary, ...rest] = screens as [FleetScreen, ...FleetScreen[]];
    const started = await s.api('POST', '/api/releases/rollouts', {
      version: B,
      stages: [
        { scope: 'canary', select: { screens: [canary.deviceId] } },
        { scope: 'fleet', select: { percent: 100 } },
      ],
      advance: 'auto',
      soakMs: 3000,
    });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const id = started.body.id as string;

    // The canary alone is offered B; its daemon installs it, restarts into it and commits it itself.
    await eventually(
      () => reports(canary, B, 'committed'),
      300_000,
      () => state(canary),
    );
    expect(canary.store.state()).toMatchObject({ committed: B, pending: null, outcome: 'committed' });
    expect(readlinkSync(join(canary.root, 'committed'))).toBe(join('releases', B));
    const soakFrom = Date.now();
    for (const sc of rest) expect(installCommands(sc), sc.name).toEqual([]);

    // After the soak the rollout moves on by itself: the rest of the fleet gets B and commits it.
    for (const sc of rest)
      await eventually(
        () => reports(sc, B, 'committed'),
        1_200_000,
        () => state(sc),
      );
    const offeredRestAt = Math.min(...rest.map((sc) => installCommands(sc)[0]!.issuedAtMs));
    expect(offeredRestAt - soakFrom).toBeGreaterThanOrEqual(0);
    await eventually(
      async () => (await s.api('GET', `/api/releases/rollouts/${id}`)).body.status === 'completed',
      30_000,
      () => 'the rollout completed',
    );

    for (const sc of screens) {
      // One switch: A ran until it restarted into B (exit 75), B's first start proved itself.
      const starts = sc.unit.starts;
      const firstB = starts.findIndex((st) => st.version === B);
      expect(firstB, state(sc)).toBeGreaterThan(0);
      const last = starts[firstB - 1]!;
      expect([last.version, last.exitCode], state(sc)).toEqual([A, 75]);
      // A left on purpose: B's start did not wait as after a crash.
      expect(starts[firstB]!.waitMs, state(sc)).toBe(0);
      expect(starts[firstB]!.exitedAtMs, state(sc)).toBeNull();
      expect(starts.length, state(sc)).toBe(firstB + 1);
      expect(sc.store.state()).toMatchObject({ committed: B, pending: null, outcome: 'committed' });
      // Dark for one restart at most: the last play before the switch lasted until A stopped, the
      // first play after it came from B's first start.
      await eventually(
        () => plays(sc).some((p) => p.actualStartAt >= starts[firstB]!.spawnedAtMs),
        60_000,
        () => `${sc.name}'s plays from ${B} at the server`,
      );
      const all = plays(sc);
      const before = all.filter((p) => p.actualStartAt < starts[firstB]!.spawnedAtMs);
      const after = all.find((p) => p.actualStartAt >= starts[firstB]!.spawnedAtMs)!;
      const lastEnd = Math.max(...before.map((p) => p.actualStartAt + p.durationMs));
      const offeredAt = installCommands(sc)[0]!.issuedAtMs;
      console.log(
        `${sc.name}: dark ${after.actualStartAt - lastEnd} ms across the switch (offered ${B} ${lastEnd - offeredAt} ms ` +
          `before A's last play ended; A exited ${last.exitedAtMs! - lastEnd} ms after it; B's first play ` +
          `${after.actualStartAt - starts[firstB]!.spawnedAtMs} ms after B was started)`,
      );
      // A kept playing while it downloaded and unpacked B …
      expect(lastEnd, state(sc)).toBeGreaterThan(offeredAt);
      // … and the only start in the dark was B's first.
      const inTheDark = starts.filter(
        (st) => st.spawnedAtMs > lastEnd && st.spawnedAtMs < after.actualStartAt,
      );
      expect(inTheDark.map((st) => st.invocationId)).toEqual([starts[firstB]!.invocationId]);
    }
  }, 1_800_000);

  it('a broken build C is rolled back by itself on the canary, the rollout halts with its alert, and C reaches no other screen', async () => {
    const broken = fixtureRelease(tmp.path, {
      version: C,
      platform,
      files: {
        'package.json': `{"name":"gatecast","version":"${C}","type":"module"}\n`,
        'dist/cli/gatecast.js': 'process.stderr.write("broken build\\n"); process.exit(1);\n',
      },
    });
    await publishReleaseFiles(s.server.tuf!.repo, broken.files, [releaseKeys[1]!, releaseKeys[2]!]);
    const [canary, ...rest] = screens as [FleetScreen, ...FleetScreen[]];
    const startsBefore = canary.unit.starts.length;
    const started = await s.api('POST', '/api/releases/rollouts', {
      version: C,
      stages: [
        { scope: 'canary', select: { screens: [canary.deviceId] } },
        { scope: 'fleet', select: { percent: 100 } },
      ],
      advance: 'auto',
      soakMs: 3000,
    });
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    const id = started.body.id as string;

    await eventually(
      async () => (await s.api('GET', `/api/releases/rollouts/${id}`)).body.status === 'halted',
      300_000,
      () => state(canary),
    );
    const view = (await s.api('GET', `/api/releases/rollouts/${id}`)).body;
    expect(view.halt).toMatchObject({ deviceId: canary.deviceId, reason: 'rolled-back' });
    const r = releaseOf(canary)!;
    expect(r).toMatchObject({
      running: B,
      state: 'rolled-back',
      lastRollback: { version: C, reason: 'did not prove itself in 3 starts' },
    });
    // The unit's starts: C three times (each exits at once), then the committed release's check
    // rolls back and B runs again.
    const cStarts = canary.unit.starts.slice(startsBefore);
    // The first start of C follows B's planned exit: at once; C's crashes are backed off (2 s, 4 s);
    // the rollback starts another release: at once.
    expect(cStarts.map((st) => [st.check, st.version, st.exitCode, st.waitMs])).toEqual([
      ['count-start', C, 1, 0],
      ['count-start', C, 1, 2000],
      ['count-start', C, 1, 4000],
      ['rollback', B, null, 0],
    ]);
    expect(cStarts[2]!.spawnedAtMs - cStarts[1]!.exitedAtMs!).toBeGreaterThanOrEqual(4000);
    expect(readlinkSync(join(canary.root, 'current'))).toBe(join('releases', B));

    const alert = s.server.alerts.monitor.active.find((a) => a.kind === 'release-rollout-halted');
    expect(alert).toMatchObject({ key: `release-rollout-halted:${id}`, deviceId: canary.deviceId });

    // The halt holds: however long it stays halted, no other screen is offered C.
    const soakEnd = Date.now() + 3000 + 2 * 500;
    await eventually(
      () => Date.now() > soakEnd,
      10_000,
      () => 'the soak time to pass',
    );
    for (const sc of rest) {
      expect(
        installCommands(sc).map((c) => c.args),
        sc.name,
      ).toEqual([{ version: B }]);
      expect(releaseOf(sc)).toMatchObject({ running: B, state: 'committed' });
      expect(readlinkSync(join(sc.root, 'current'))).toBe(join('releases', B));
    }
  }, 600_000);

  it('a screen stopped by hand (systemctl stop: SIGTERM) records that its run ended on purpose; started again, it does not wait', async () => {
    const sc = screens[screens.length - 1]!;
    await sc.unit.stop();
    expect(sc.store.readStarts(), state(sc)).toMatchObject({
      version: B,
      ended: { how: 'stop', reason: 'SIGTERM' },
    });
    sc.unit = sc.newUnit();
    sc.unit.start();
    await eventually(
      () => (sc.unit.starts[0]?.spawnedAtMs ?? 0) > 0,
      120_000,
      () => `${sc.name} started again\n${state(sc)}`,
    );
    expect([sc.unit.starts[0]!.check, sc.unit.starts[0]!.version, sc.unit.starts[0]!.waitMs]).toEqual([
      'run',
      B,
      0,
    ]);
  }, 300_000);
});
