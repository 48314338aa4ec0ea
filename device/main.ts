/**
 * The screen daemon's entry point: `gatecast daemon --config /etc/gatecast/device.json` (or
 * `node dist/device/main.js --config …`). The only file that knows every device part: it reads the
 * config and the environment, picks the adapters, and wires content store, update client, schedule,
 * player, proof of play, sync link, health, hardware and watchdog together.
 *
 * Start-up order keeps the screen independent of the network: local state (clock, database, the
 * installed bundle and its boot check) → the screen → hardware and watchdog → network clients
 * (update, sync), which are started without being awaited.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BrowserError, ChromiumSupervisor } from '../player/browser/chromium-supervisor.js';
import { chromiumCandidates, type DisplayKind } from '../player/browser/launch-args.js';
import { type Clock, systemClock } from '../protocol/clock.js';
import { type DeviceConfig, parseDeviceConfig } from '../protocol/config.js';
import { ConfigError, isGatecastError } from '../protocol/errors.js';
import { createLogger, type Logger, setLogLevel } from '../protocol/log.js';
import { createScheduleEngine } from '../protocol/schedule-engine.js';
import type { PlannedItem } from '../protocol/schedule.js';
import { BlobStore } from './content/blob-store.js';
import { BundleStore } from './content/bundle-store.js';
import type { ContentSource } from './content/installed.js';
import { StoreContentSource } from './content/store-content.js';
import { Daemon, type DaemonService, type Planner } from './daemon.js';
import { nodeScheduleAt } from './display/controller.js';
import { execRun } from './display/exec-run.js';
import { OnoffGpio } from './gpio/onoff-gpio.js';
import { technicianAddresses } from './gpio/technician.js';
import { Hardware } from './hardware.js';
import { type AppHealth, UNKNOWN_APP_HEALTH } from './health/health-report.js';
import { LinuxSystemSensors } from './health/sensors.js';
import { loadOrCreateIdentity, identityKeyPath } from './identity.js';
import type { PopSource } from './outbox/outbox.js';
import type { PlayEvent } from './playback/player-loop.js';
import { popEntryFor } from './proof-of-play/entry.js';
import { ed25519Signer } from './proof-of-play/signer.js';
import { POP_MIGRATIONS, SqlitePopLog } from './proof-of-play/sqlite-pop-log.js';
import { planOptionsFor } from './schedule/plan.js';
import { type Db, migrate, openDeviceDb } from './store/sqlite.js';
import type { CommandHandlers } from './sync/commands.js';
import { DeviceSync } from './sync/device-sync.js';
import { trustedRootPath } from './sync/enrol.js';
import { FileLastKnownGoodStore } from './time/last-known-good.js';
import { TimesyncdNtpSync } from './time/ntp-sync.js';
import { processMonotonic, TrustedClock } from './time/trusted-clock.js';
import { systemTimers } from './timers.js';
import { checkInstalledContent } from './update/installer.js';
import { UpdateClient } from './update/update-client.js';
import { CrashLoopCounter } from './watchdog/crash-loop.js';
import { SystemdNotifyCli, watchdogSettings } from './watchdog/notifier.js';
import { dataDirWritable } from './watchdog/checks.js';
import { Watchdog } from './watchdog/watchdog.js';

const log = createLogger('device:main');

export const DEFAULT_CONFIG_PATH = '/etc/gatecast/device.json';

const pkgVersion = (): string => {
  try {
    const url = new URL('../../package.json', import.meta.url);
    return (JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0'; // running from an unusual layout: the version is informational only
  }
};

/** `--config PATH`, `--config=PATH` or a lone path; the default otherwise. */
export function configPathFrom(argv: readonly string[]): string {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--config') {
      const v = argv[i + 1];
      if (!v) throw new ConfigError('--config needs a path');
      return v;
    }
    if (a.startsWith('--config=')) return a.slice('--config='.length);
    if (!a.startsWith('-')) return a;
  }
  return DEFAULT_CONFIG_PATH;
}

export function loadConfig(path: string): DeviceConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ConfigError(`cannot read config ${path}: ${(err as Error).message}`, [], { cause: err });
  }
  return parseDeviceConfig(raw);
}

/** Wayland first (Raspberry Pi OS's default session), then X11; none means headless. */
export function displayFrom(env: Record<string, string | undefined>): DisplayKind {
  if (env['WAYLAND_DISPLAY']) return 'wayland';
  if (env['DISPLAY']) return 'x11';
  return 'none';
}

export function findChromium(configured: string | undefined): string {
  const candidates = chromiumCandidates(configured);
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new BrowserError(`Chromium not found (tried ${candidates.join(', ')})`);
  return found;
}

/**
 * The schedule engine as the player sees it. The page switches on the browser's own (system) clock,
 * while the plan is made on the trusted clock (NTP, the server's time, or the last-known-good floor),
 * so planned times are moved by the difference between the two, in whole seconds so that slide ids
 * stay stable between calls.
 */
export function trustedPlanner(trusted: TrustedClock, system: Clock): Planner {
  return (bundle, config) => {
    const engine = createScheduleEngine(bundle.manifest, config.gate);
    return (t) => {
      const offset = clockOffsetMs(trusted, system);
      const plan = engine.now(t + offset, planOptionsFor(trusted));
      const shift = (p: PlannedItem | undefined) => (p ? { ...p, startAt: p.startAt - offset } : undefined);
      const current = shift(plan.current);
      const next = shift(plan.next);
      return { ...(current ? { current } : {}), ...(next ? { next } : {}) };
    };
  };
}

export function clockOffsetMs(trusted: Clock, system: Clock): number {
  return Math.round((trusted.now() - system.now()) / 1000) * 1000;
}

/** Proof of play as the outbox reads it: one of its streams. */
function popSource(pop: SqlitePopLog): PopSource {
  return {
    readAfter: (seq, limit) =>
      pop.readAfter(seq, limit).map((r) => ({ seq: r.seq, at: r.actualStartAt, payload: r })),
    acknowledge: (upto) => {
      pop.acknowledge(upto);
    },
  };
}

export interface DeviceHandle {
  daemon: Daemon;
  config: DeviceConfig;
  clock: TrustedClock;
  content: ContentSource;
  update?: UpdateClient;
  sync: DeviceSync;
  pop: SqlitePopLog;
  hardware: Hardware;
  stop(): Promise<void>;
}

export interface StartDeviceOptions {
  env?: Record<string, string | undefined>;
  log?: Logger;
  /** Plain ws/http to a non-loopback server (development only). */
  allowInsecure?: boolean;
}

/** Builds and starts every part of the screen from its config. */
export async function startDevice(config: DeviceConfig, o: StartDeviceOptions = {}): Promise<DeviceHandle> {
  const env = o.env ?? process.env;
  const dlog = o.log ?? log;
  const appVersion = pkgVersion();
  mkdirSync(config.dataDir, { recursive: true });

  // --- local state: nothing here touches the network --------------------------------------
  const crash = new CrashLoopCounter(config.dataDir, systemClock, dlog.child('crash-loop'));
  const { isCrashLoop, startsInWindow } = await crash.recordStart();

  const clock = new TrustedClock({
    system: systemClock,
    monotonic: processMonotonic,
    store: new FileLastKnownGoodStore(
      join(config.dataDir, 'time', 'last-known-good.json'),
      dlog.child('time'),
    ),
    ntp: new TimesyncdNtpSync(),
    log: dlog.child('time'),
  });
  clock.start();

  const db: Db = openDeviceDb(join(config.dataDir, 'device.db'));
  migrate(db, POP_MIGRATIONS);
  const identity = loadOrCreateIdentity(config.dataDir);
  const pop = new SqlitePopLog(db, ed25519Signer(readFileSync(identityKeyPath(config.dataDir), 'utf8')));
  pop.start();

  let update: UpdateClient | undefined;
  let content: StoreContentSource | ContentSource;
  const rootFile = trustedRootPath(config.dataDir);
  if (config.server && existsSync(rootFile)) {
    const base = config.server.url.replace(/\/+$/, '');
    update = new UpdateClient({
      dataDir: config.dataDir,
      siteGroup: config.gate.siteGroup,
      metadataUrl: `${base}/tuf/metadata/`,
      targetBaseUrl: `${base}/tuf/targets/`,
      enrolmentRootFile: rootFile,
      refreshIntervalMs: config.update.refreshIntervalMs,
      storeQuotaBytes: config.update.storeQuotaBytes,
      transferLimits: {
        metadataBudgetMs: config.update.metadataBudgetMs,
        targetBudgetMs: config.update.targetBudgetMs,
        refreshBudgetMs: config.update.refreshBudgetMs,
        minBytesPerSecond: config.update.minBytesPerSecond,
        throughputWindowMs: config.update.throughputWindowMs,
      },
      ...(config.server.caFile ? { http: { ca: readFileSync(config.server.caFile) } } : {}),
      clock,
      log: dlog.child('update'),
    });
    await update.loadInstalled();
    content = update.content;
  } else {
    // Not enrolled: play whatever is installed (e.g. a store copied at the factory), offline.
    dlog.warn('no server or trust root: updates off until the device is enrolled', { rootFile });
    const root = join(config.dataDir, 'content');
    const blobs = new BlobStore(root);
    const store = new StoreContentSource(blobs, new BundleStore(root));
    await store.reload();
    await checkInstalledContent({ blobs, content: store, clock, log: dlog.child('boot-check') });
    content = store;
  }

  // --- the screen ----------------------------------------------------------------------------
  const display = displayFrom(env);
  const headless = config.player.headless === 'auto' ? display === 'none' : config.player.headless;
  const executablePath = findChromium(config.player.chromiumPath);
  const userDataDir = join(config.dataDir, 'chromium');
  mkdirSync(userDataDir, { recursive: true });
  if (display === 'none' && !headless) dlog.warn('no display found but headless is off; Chromium may fail');

  let supervisor: ChromiumSupervisor | undefined;
  // Assigned below, once the screen is up; the closures above read them when they run.
  // eslint-disable-next-line prefer-const
  let hardware: Hardware | undefined;
  // eslint-disable-next-line prefer-const
  let sync: DeviceSync | undefined;
  const deviceId = config.deviceId ?? 'unenrolled';
  let identifyUntil = 0;
  let lastPlayedAt = 0;
  let playerError = false;

  const recordPlay = (e: PlayEvent) => {
    lastPlayedAt = systemClock.now();
    const bundle = content.current();
    if (!bundle) return;
    const offset = clockOffsetMs(clock, systemClock);
    const planned = { ...e.item, startAt: e.item.startAt + offset };
    try {
      pop.append(
        popEntryFor(planned, bundle, {
          deviceId,
          actualStartAt: e.actualStart + offset,
          durationMs: e.durationMs,
          screenOn: hardware?.health().display.adapter === 'none' || displayIsOn(hardware),
          clockStatus: clock.status(),
        }),
      );
      sync?.outbox.popAppended(); // send it now rather than at the next batch
    } catch (err) {
      dlog.error('proof of play not recorded', { err, itemId: e.item.itemId });
    }
  };

  const daemon = new Daemon({
    config,
    content,
    clock: systemClock,
    log: dlog.child('daemon'),
    createSurface: (server) => {
      supervisor = new ChromiumSupervisor({
        executablePath,
        pageUrl: server.pageUrl,
        reports: server,
        display,
        headless,
        userDataDir,
        isRoot: process.getuid?.() === 0,
        pageStallMs: config.player.pageStallMs,
        browserMemoryLimitBytes: config.player.browserMemoryLimitBytes,
        env: { ...env },
      });
      supervisor.onRestart((info) => {
        playerError = true;
        sync?.outbox.appendEvent({
          at: clock.now(),
          kind: 'browser-restart',
          level: 'warn',
          message: `Chromium restarted: ${info.reason}`,
          data: { ...info },
        });
      });
      return supervisor;
    },
    hooks: {
      planner: trustedPlanner(clock, systemClock),
      onPlayed: (e) => {
        playerError = false;
        recordPlay(e);
      },
      onSkipped: (e) =>
        sync?.outbox.appendEvent({
          at: clock.now(),
          kind: 'item-skipped',
          level: 'warn',
          message: `${e.item.itemId} (${e.item.language}) not shown: ${e.reason}`,
          data: { itemId: e.item.itemId, language: e.item.language, reason: e.reason },
        }),
      ...(update ? { updateClient: update as DaemonService & UpdateClient } : {}),
    },
  });
  await daemon.start();

  // --- hardware: GPIO, display power, watchdog ----------------------------------------------
  hardware = new Hardware({
    config,
    env,
    log: dlog.child('hardware'),
    clock: systemClock,
    timers: systemTimers,
    run: execRun(),
    scheduleAt: nodeScheduleAt,
    technician: {
      info: () => ({
        deviceId,
        ips: technicianAddresses(networkInterfaces()),
        state: daemon.status().lastPlayed ? 'playing' : 'waiting for content',
      }),
      show: (info) => {
        dlog.info('technician button', { ...info });
        void daemon
          .notice({
            lines: [info.deviceId, ...info.ips, info.state],
            untilEpochMs: systemClock.now() + 30_000,
          })
          .catch((err) => dlog.warn('notice failed', { err }));
      },
      identify: async () => {
        sync?.outbox.appendEvent({
          at: clock.now(),
          kind: 'identify',
          level: 'info',
          message: 'technician asked to identify this screen',
        });
      },
    },
    openGpio: async () => ((await OnoffGpio.accessible()) ? OnoffGpio.open() : undefined),
  });
  await hardware.start();
  const hw = hardware;

  const watchdog = new Watchdog(
    new SystemdNotifyCli(execRun(), process.pid),
    watchdogSettings(env, process.pid),
    systemClock,
    systemTimers,
    dlog.child('watchdog'),
  );
  watchdog.register('store', dataDirWritable(config.dataDir));
  // The page reports several times a second; the supervisor restarts a silent browser within seconds,
  // so minutes of silence mean the supervisor itself is stuck: stop pinging and let systemd restart us.
  const playerBeat = watchdog.heartbeat('player', 5 * 60_000);
  supervisor?.onReport(() => playerBeat());
  await watchdog.start();

  const ledTimer = setInterval(() => {
    hw.setLed({
      identifying: systemClock.now() < identifyUntil,
      hasError: playerError,
      hasContent: content.current() !== undefined,
      isOnline: sync?.syncClient?.currentState === 'online',
      isPlaying: systemClock.now() - lastPlayedAt < 60_000,
    });
  }, 1000);
  ledTimer.unref();

  // --- network: sync link (health, outbox, commands) ---------------------------------------
  const sensors = new LinuxSystemSensors({ proc: '/proc', sys: '/sys', diskPath: config.dataDir });
  const appHealth = (): AppHealth => {
    const s = daemon.status();
    const u = update?.status();
    const h = hw.health();
    return {
      ...UNKNOWN_APP_HEALTH,
      display: displayIsOn(hw) ? 'on' : h.display.adapter === 'none' ? 'unknown' : 'off',
      currentItem: s.lastPlayed?.itemId ?? null,
      currentLanguage: s.lastPlayed?.language ?? null,
      installedBundleVersion: content.current() ? String(content.current()!.version) : null,
      latestBundleVersion: u?.latestSeenVersion !== undefined ? String(u.latestSeenVersion) : null,
      lastSuccessfulUpdateAt: u?.lastSuccessAt ? Date.parse(u.lastSuccessAt) : null,
      clockOffsetMs: clock.health().systemSkewMs,
      clockSource: clock.status(),
      browserMemoryBytes: supervisor?.lastMemoryBytes || null,
    };
  };
  const handlers: CommandHandlers = {
    reloadPlayer: () => daemon.reloadPage(),
    restartPlayer: () => daemon.restartBrowser('asked by ops'),
    reboot: async () => {
      // Leave time for the result to reach the server.
      setTimeout(() => void execRun()('systemctl', ['reboot']).catch(() => undefined), 5000).unref();
    },
    screenshot: () => daemon.screenshot(),
    syncNow: async () => {
      await update?.refreshNow();
    },
    display: (on) => hw.displayOverride(on ? 'on' : 'off', clock.now() + 12 * 3600_000),
    identify: async (durationMs) => {
      identifyUntil = systemClock.now() + durationMs;
      dlog.info('identify', { deviceId, durationMs });
      await daemon.notice({
        lines: [deviceId, `${config.gate.name} · ${config.screenName}`],
        untilEpochMs: identifyUntil,
      });
    },
  };
  sync = new DeviceSync({
    config,
    appVersion,
    db,
    pop: popSource(pop),
    sensors,
    appHealth,
    handlers,
    refreshNow: async () => {
      await update?.refreshNow();
    },
    onServerTime: (serverMs, rttMs) => {
      try {
        clock.acceptServerTime(serverMs, rttMs);
      } catch (err) {
        dlog.warn('server time refused', { err });
      }
    },
    ...(o.allowInsecure ? { allowInsecure: true } : {}),
    clock,
    log: dlog.child('sync'),
  });
  sync.start();
  if (isCrashLoop)
    sync.outbox.appendEvent({
      at: clock.now(),
      kind: 'crash-loop',
      level: 'error',
      message: `the daemon started ${startsInWindow} times in a short window`,
      data: { startsInWindow, pending: crash.pending().length },
    });
  void crash.acknowledge();
  void identity; // created (or loaded) above so that enrolment and proof of play share one key

  const stop = async () => {
    clearInterval(ledTimer);
    await sync?.stop();
    await watchdog.stop();
    await hw.stop();
    await daemon.stop();
    clock.stop();
    db.close();
  };
  return { daemon, config, clock, content, ...(update ? { update } : {}), sync, pop, hardware: hw, stop };
}

function displayIsOn(hw: Hardware | undefined): boolean {
  const d = hw?.health().display;
  return !d || d.adapter === 'none' || (d as { state?: string }).state !== 'off';
}

export async function main(argv = process.argv.slice(2), env = process.env): Promise<DeviceHandle> {
  const config = loadConfig(configPathFrom(argv));
  setLogLevel(config.logLevel);
  return startDevice(config, { env, allowInsecure: argv.includes('--allow-insecure') });
}

function fatal(err: unknown): never {
  if (isGatecastError(err)) log.error(err.message, { code: err.code });
  else log.error('unexpected error; exiting', { err });
  process.exit(1);
}

/** Runs the daemon until SIGTERM/SIGINT; used by `gatecast daemon` and by `node dist/device/main.js`. */
export async function runDaemonProcess(argv = process.argv.slice(2)): Promise<void> {
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
  let stopping = false;
  const device = await main(argv).catch(fatal);
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    device.stop().then(
      () => process.exit(0),
      (err) => fatal(err),
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

// Run only when executed directly (tests import the helpers above).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runDaemonProcess();
}
