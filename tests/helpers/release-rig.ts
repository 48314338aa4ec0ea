/**
 * A server with a release catalogue (1.1.0 published), an admin, an operator and a viewer, on a clock
 * the test moves, and simulated screens: real device sync clients over ws that answer install-release
 * as a screen with over-the-air updates would (switch and commit, or roll back, or stay pending) and
 * report where they stand in health's `release`.
 */
import { join } from 'node:path';
import { fakeClock } from '../../protocol/clock.js';
import type { HealthReport } from '../../protocol/messages.js';
import { MemoryReleaseCatalog } from '../../sync-server/releases/memory-catalog.js';
import type { Role } from '../../sync-server/web/roles.js';
import type { Cleanup } from './cleanups.js';
import { apiLogin, createUsers } from './dashboard.js';
import { enrolTestDevice, healthAt, makeDevice, startServer, type TestDevice, until } from './sync.js';
import { tempDir } from './temp.js';

type Release = NonNullable<HealthReport['release']>;

export type InstallOutcome = 'commit' | 'rollback' | 'pending';

export interface SimScreen {
  name: string;
  deviceId: string;
  dev: TestDevice;
  /** What the screen does when offered a release. */
  outcome: InstallOutcome;
  /** Versions it was asked to install, in order. */
  installs: string[];
  release: Release;
  /** Reports `release` in a health sample and waits until the server stored it. */
  report(release: Release): Promise<void>;
}

const committed = (running: string): Release => ({
  running,
  state: 'committed',
  staging: null,
  lastRollback: null,
});

export async function startReleaseRig(cleanups: Cleanup[], prefix: string, names: string[]) {
  const { path: root, cleanup } = tempDir(prefix);
  cleanups.push(cleanup);
  await createUsers(
    join(root, 'server'),
    (['admin', 'operator', 'viewer'] as Role[]).map((role) => ({ username: role, role })),
  );
  const clock = fakeClock(Date.now());
  const catalog = new MemoryReleaseCatalog([
    { version: '1.1.0', platforms: ['linux-arm64', 'linux-x64'], publishedAtMs: clock.now() - 3600_000 },
  ]);
  const s = await startServer(root, {}, clock, { releases: catalog });
  cleanups.push(() => s.server.stop());
  const base = s.server.url;
  const screens: SimScreen[] = [];
  let healthSeq = 0;
  for (const name of names) {
    const dir = join(root, name);
    const e = await enrolTestDevice(s.api, base, dir, name);
    const screen: SimScreen = {
      name,
      deviceId: e.deviceId,
      dev: undefined as unknown as TestDevice,
      outcome: 'commit',
      installs: [],
      release: committed('1.0.0'),
      report: async (release) => {
        screen.release = release;
        const seq = screen.dev.outbox.appendHealth(healthAt(Date.now() + ++healthSeq, { release }));
        await until(
          () => s.server.registry.ingest.watermark(screen.deviceId, 'health') >= (seq ?? 0),
          10_000,
          `${name}'s health stored`,
        );
      },
    };
    screen.dev = makeDevice(dir, e.deviceId, base, {
      handlers: {
        installRelease: async (version) => {
          screen.installs.push(version);
          const from = screen.release.running;
          // The switch answers the command; the screen's verdict comes in its next health samples.
          setImmediate(() => {
            const next: Release =
              screen.outcome === 'rollback'
                ? {
                    running: from,
                    state: 'rolled-back',
                    staging: null,
                    lastRollback: { version, reason: 'player did not start', at: Date.now() },
                  }
                : {
                    running: version,
                    state: screen.outcome === 'commit' ? 'committed' : 'pending',
                    staging: null,
                    lastRollback: null,
                  };
            void screen.report(next);
          });
        },
      },
    });
    cleanups.push(() => screen.dev.close());
    screen.dev.client.start();
    await until(() => s.server.hub.isOnline(e.deviceId), 10_000, `${name} online`);
    await screen.report(committed('1.0.0'));
    screens.push(screen);
  }
  const [admin, operator, viewer] = await Promise.all(
    ['admin', 'operator', 'viewer'].map((u) => apiLogin(base, u)),
  );
  /** Waits until the server holds `screen`'s latest release report in state `state` of `running`. */
  const reported = (screen: SimScreen, running: string, state: Release['state']) =>
    until(
      () => {
        const p = s.server.registry.health.latest(screen.deviceId).get(screen.deviceId)?.payload as
          { release?: Release } | undefined;
        return p?.release?.running === running && p.release.state === state;
      },
      10_000,
      `${screen.name} reports ${running} ${state}`,
    );
  /** The install-release commands issued to `screen`. */
  const installCommands = (screen: SimScreen) =>
    s.server.registry.commands.list(screen.deviceId).filter((c) => c.name === 'install-release');
  return {
    ...s,
    /** A fresh session (the fake clock's jumps outlive the first ones). */
    signIn: (username: 'admin' | 'operator' | 'viewer') => apiLogin(base, username),
    dir: root,
    base,
    clock,
    catalog,
    screens,
    admin: admin!,
    operator: operator!,
    viewer: viewer!,
    reported,
    installCommands,
  };
}
