/**
 * The screen daemon's entry point: `gatecast daemon --config /etc/gatecast/device.json` (or
 * `node dist/device/main.js --config …`). The only file that knows every device part: it reads the
 * config and the environment, picks the adapters, and wires content store, update client, schedule,
 * player, proof of play, sync link, health, hardware and watchdog together.
 *
 * Wiring only: every part is constructed in dependency order with its collaborators passed in
 * (constructors only assign), then started. The outbox opens first, so an event raised while the
 * daemon starts is stored and sent once the sync link is up. Start-up order keeps the screen
 * independent of the network: local state (clock, database, outbox, the installed bundle and its
 * boot check) → the screen → hardware, LED and watchdog → network clients (update, sync), which
 * are started without being awaited.
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
import { createLogger, type Logger, setLogLevel } from '../platform/log.js';
import { BlobStore } from './content/blob-store.js';
import { reclaimAtStart, StatfsFreeSpace } from './content/free-space.js';
import { BundleStore } from './content/bundle-store.js';
import { removeOrphansAtStart } from './content/orphans.js';
import type { ContentSource } from './content/installed.js';
import { StoreContentSource } from './content/store-content.js';
import { Daemon, type DaemonService } from './daemon.js';
import { nodeScheduleAt } from './display/controller.js';
import { execRun } from './display/exec-run.js';
import { deviceEvents, type EventSink, OutboxEventSink } from './events/event-sink.js';
import { EndedEmergencyContent, EndedEmergencyFile } from './emergency/ended-emergencies.js';
import { LedStatus } from './gpio/led-status.js';
import { OnoffGpio } from './gpio/onoff-gpio.js';
import { technicianAddresses } from './gpio/technician.js';
import { Hardware } from './hardware.js';
import { appHealthFrom, isScreenOn } from './health/app-health.js';
import { LinuxSystemSensors } from './health/sensors.js';
import { identityKeyPath, lostKeyAdvice, openDaemonIdentity } from './identity.js';
import { DEFAULT_OUTBOX_LIMITS, Outbox } from './outbox/outbox.js';
import { BufferedPopLog, PopJournalFile } from './proof-of-play/pop-buffer.js';
import { PlayRecorder } from './proof-of-play/play-recorder.js';
import { popSourceOf } from './proof-of-play/pop-source.js';
import { ed25519Signer, lostKeySigner } from './proof-of-play/signer.js';
import { POP_MIGRATIONS, SqlitePopLog } from './proof-of-play/sqlite-pop-log.js';
import { trustedPlanner } from './schedule/trusted-planner.js';
import { type Db, migrate, openDeviceDb } from './store/sqlite.js';
import { commandHandlers, type HostReboot } from './sync/command-handlers.js';
import { DeviceSync } from './sync/device-sync.js';
import { trustedRootPath } from './sync/enrol.js';
import { FileLastKnownGoodStore } from './time/last-known-good.js';
import { TimedatectlNtpSync } from './time/ntp-sync.js';
import { processMonotonic, TrustedClock } from './time/trusted-clock.js';
import { systemTimers } from './timers.js';
import { checkInstalledContent } from './update/installer.js';
import { type DaemonRestart, ReleaseInstaller, RESTART_EXIT_CODE } from './release/release-installer.js';
import { ReleaseProof } from './release/release-proof.js';
import { releaseHealth } from './release/release-state.js';
import { releaseLayout, ReleaseStore, runStartCheck } from './release/release-store.js';
import { TufClient } from './update/tuf.js';
import { platformOf } from '../protocol/release.js';
import { UpdateClient } from './update/update-client.js';
import { CrashLoopCounter } from './watchdog/crash-loop.js';
import { SystemdNotifyCli, watchdogSettings } from './watchdog/notifier.js';
import { dataDirWritable } from './watchdog/checks.js';
import { Watchdog } from './watchdog/watchdog.js';
import { packageVersion } from '../platform/package-version.js';
import { readBootNow } from '../platform/boot-time.js';

const log = createLogger('device:main');

export const DEFAULT_CONFIG_PATH = '/etc/gatecast/device.json';

/** What the screen says while an enrolled device's key is lost (and how long: until a restart). */
export const keyNoticeLines = [
  'Device key lost — technician needed',
  'Khoá thiết bị bị mất — cần kỹ thuật viên',
];
const KEY_NOTICE_MS = 10 * 365 * 24 * 3600_000;

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

export interface DeviceHandle {
  daemon: Daemon;
  config: DeviceConfig;
  clock: TrustedClock;
  content: ContentSource;
  update?: UpdateClient;
  sync: DeviceSync;
  pop: SqlitePopLog;
  hardware: Hardware;
  /** The status LED's facts (what Hardware shows on the LED pin). */
  led: LedStatus;
  /** Where the device's parts report events; open from the start (stored in the outbox). */
  events: EventSink;
  stop(): Promise<void>;
}

export interface StartDeviceOptions {
  env?: Record<string, string | undefined>;
  log?: Logger;
  /** Plain ws/http to a non-loopback server (development only). */
  allowInsecure?: boolean;
  /** Whether the reboot command reboots this host ('allowed' unless said otherwise; the demo refuses). */
  hostReboot?: HostReboot;
  /** How the daemon restarts into another release (default: stop everything, exit RESTART_EXIT_CODE). */
  restart?: DaemonRestart;
}

/** The update client when the device is enrolled; otherwise the installed store, offline. */
async function openContent(
  config: DeviceConfig,
  clock: TrustedClock,
  dlog: Logger,
  events: EventSink,
): Promise<{ content: ContentSource; update?: UpdateClient }> {
  const rootFile = trustedRootPath(config.dataDir);
  if (config.server && existsSync(rootFile)) {
    const base = config.server.url.replace(/\/+$/, '');
    const update = new UpdateClient({
      dataDir: config.dataDir,
      siteGroup: config.gate.siteGroup,
      metadataUrl: `${base}/tuf/metadata/`,
      targetBaseUrl: `${base}/tuf/targets/`,
      enrolmentRootFile: rootFile,
      refreshIntervalMs: config.update.refreshIntervalMs,
      storeQuotaBytes: config.update.storeQuotaBytes,
      disk: {
        freeSpace: new StatfsFreeSpace(),
        reserve: { fraction: config.update.diskReserveFraction, maxBytes: config.update.diskReserveMaxBytes },
      },
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
    update.onEvent((e) => {
      if (e.type === 'file-unusable') events.emit(deviceEvents.fileUnusable(clock.now(), e));
    });
    await update.loadInstalled();
    return { content: update.content, update };
  }
  // Not enrolled (or its trust root is lost: startDevice reports that): play whatever is installed
  // (e.g. a store copied at the factory), offline.
  if (!config.server)
    dlog.warn('no server configured: updates off until the device is enrolled', { rootFile });
  const root = join(config.dataDir, 'content');
  const blobs = new BlobStore(root);
  const store = new StoreContentSource(blobs, new BundleStore(root), { clock, log: dlog.child('content') });
  store.onUnusable((f) => events.emit(deviceEvents.fileUnusable(clock.now(), f)));
  await store.reload();
  await checkInstalledContent({ blobs, content: store, clock, log: dlog.child('boot-check') });
  return { content: store };
}

/**
 * The release installer of an enrolled device (its own TUF metadata folder beside the content
 * client's, the same trust root, disk reserve and time budgets); undefined when not enrolled.
 */
export function openReleaseInstaller(
  config: DeviceConfig,
  d: {
    running: string;
    backupDatabase(dest: string): Promise<void>;
    restart: DaemonRestart;
    clock: Clock;
    log: Logger;
  },
): ReleaseInstaller | undefined {
  if (!config.server) return undefined;
  const base = config.server.url.replace(/\/+$/, '');
  const http = config.server.caFile ? { http: { ca: readFileSync(config.server.caFile) } } : {};
  return new ReleaseInstaller({
    tuf: new TufClient(
      {
        dir: join(config.dataDir, 'tuf-releases', 'metadata'),
        goodDir: join(config.dataDir, 'tuf-releases', 'good'),
        enrolmentRootFile: trustedRootPath(config.dataDir),
        metadataUrl: `${base}/tuf/metadata/`,
        targetBaseUrl: `${base}/tuf/targets/`,
        clock: d.clock,
        ...http,
      },
      d.log.child('tuf'),
    ),
    store: new ReleaseStore(releaseLayout(config.release.root)),
    here: {
      platform: platformOf(process.platform, process.arch),
      nodeAbi: process.versions.modules,
      nodeVersion: process.version,
      running: d.running,
    },
    backupDatabase: d.backupDatabase,
    dbPath: join(config.dataDir, 'device.db'),
    restart: d.restart,
    clock: d.clock,
    log: d.log,
    disk: {
      freeSpace: new StatfsFreeSpace(),
      reserve: { fraction: config.update.diskReserveFraction, maxBytes: config.update.diskReserveMaxBytes },
    },
    ...http,
    transfer: {
      metadataBudgetMs: config.update.metadataBudgetMs,
      targetBudgetMs: config.update.targetBudgetMs,
      refreshBudgetMs: config.update.refreshBudgetMs,
      minBytesPerSecond: config.update.minBytesPerSecond,
      throughputWindowMs: config.update.throughputWindowMs,
    },
  });
}

/**
 * Whether the TUF trust root of an enrolled device is there: 'missing' turns updates off, so it is
 * reported (event and health) for the server to alert on, not just logged.
 */
export function trustRootState(config: DeviceConfig): 'present' | 'missing' | 'not-enrolled' {
  if (!config.server || config.deviceId === undefined) return 'not-enrolled';
  return existsSync(trustedRootPath(config.dataDir)) ? 'present' : 'missing';
}

/** Builds and starts every part of the screen from its config. */
export async function startDevice(config: DeviceConfig, o: StartDeviceOptions = {}): Promise<DeviceHandle> {
  const env = o.env ?? process.env;
  const dlog = o.log ?? log;
  const deviceId = config.deviceId ?? 'unenrolled';
  mkdirSync(config.dataDir, { recursive: true });

  // --- local state: nothing here touches the network --------------------------------------
  // Room first: on a full disk SQLite cannot even open (see reclaimAtStart).
  const reclaimed = await reclaimAtStart(
    new BlobStore(join(config.dataDir, 'content')),
    new StatfsFreeSpace(),
    { fraction: config.update.diskReserveFraction, maxBytes: config.update.diskReserveMaxBytes },
  );
  if ('error' in reclaimed) dlog.warn('free space not checked at start', { err: reclaimed.error });
  else if (reclaimed.freedBytes > 0 || reclaimed.freeBytes < reclaimed.reserveBytes)
    dlog.error('data disk below its reserve at start', { ...reclaimed });
  const crash = new CrashLoopCounter(config.dataDir, systemClock, dlog.child('crash-loop'));
  const { isCrashLoop, startsInWindow, notSaved } = await crash.recordStart();

  const clock = new TrustedClock({
    system: systemClock,
    monotonic: processMonotonic,
    store: new FileLastKnownGoodStore(
      join(config.dataDir, 'time', 'last-known-good.json'),
      dlog.child('time'),
    ),
    // timedatectl answers for chrony too; the timesyncd flag file answers until it has (or without it).
    ntp: new TimedatectlNtpSync(execRun(5000)),
    maxUnverifiedAheadMs: config.time.maxUnverifiedAheadMs,
    log: dlog.child('time'),
  });
  clock.start();

  const db: Db = openDeviceDb(join(config.dataDir, 'device.db'));
  migrate(db, POP_MIGRATIONS);
  // Created (or loaded) here so that enrolment and proof of play share one key; an enrolled
  // device whose key is lost gets no new one (see openDaemonIdentity).
  const key = openDaemonIdentity(config.dataDir, config.deviceId !== undefined);
  const keyAdvice = key.kind === 'lost' ? lostKeyAdvice(deviceId, key.path) : undefined;
  if (keyAdvice) dlog.error(keyAdvice, { code: key.kind === 'lost' ? key.error.code : undefined });
  const pop = new SqlitePopLog(
    db,
    key.kind === 'ready'
      ? ed25519Signer(readFileSync(identityKeyPath(config.dataDir), 'utf8'))
      : lostKeySigner(key.kind === 'lost' ? key.error : undefined),
  );
  pop.start();
  // Plays the disk refuses wait in memory; lost ones become a gap record in the chain.
  const popWriter = new BufferedPopLog(pop, {
    deviceId,
    journal: new PopJournalFile(join(config.dataDir, 'pop-unsaved.json')),
    maxRecords: config.storage.unsavedMaxRecords,
    retryMaxMs: config.storage.unsavedRetryMaxMs,
    timers: systemTimers,
    log: dlog.child('pop'),
  });
  popWriter.start();
  // Open before anything can emit: start-up events wait here for the sync client.
  const outbox = new Outbox(db, clock, dlog.child('outbox'), DEFAULT_OUTBOX_LIMITS, popSourceOf(pop), {
    maxRecords: config.storage.unsavedMaxRecords,
    retryMaxMs: config.storage.unsavedRetryMaxMs,
    timers: systemTimers,
  });
  outbox.start();
  const events: EventSink = new OutboxEventSink(outbox, dlog.child('events'));
  if (isCrashLoop) events.emit(deviceEvents.crashLoop(clock.now(), startsInWindow, crash.pending().length));
  if (!('error' in reclaimed) && (reclaimed.freedBytes > 0 || reclaimed.freeBytes < reclaimed.reserveBytes))
    events.emit(
      deviceEvents.diskFault(clock.now(), {
        code: 'DISK_SPACE_LOW',
        message: `data disk below its reserve at start (${reclaimed.freeBytes} bytes free, ${reclaimed.reserveBytes} reserved); dropped ${reclaimed.freedBytes} bytes of partial downloads`,
      }),
    );
  if (notSaved) dlog.warn('this start is counted in memory only', { notSaved });
  // Over-the-air releases (A/B layout under config.release.root); none in a plain checkout.
  const releases = new ReleaseStore(releaseLayout(config.release.root));
  const runningRelease = packageVersion() ?? '0.0.0';
  const releaseState = releases.state();
  if (releaseState?.lastRollback && !releaseState.rollbackReported) {
    events.emit(deviceEvents.releaseRolledBack(clock.now(), releaseState.lastRollback, runningRelease));
    releases.writeState({ ...releaseState, rollbackReported: true });
  }
  // What an interrupted install or clean-up left behind (only what is provably orphaned).
  const contentRoot = join(config.dataDir, 'content');
  try {
    const swept = await removeOrphansAtStart(new BlobStore(contentRoot), new BundleStore(contentRoot), {
      nowMs: clock.now(),
    });
    const counts = {
      blobs: swept.blobs.length,
      records: swept.records.length,
      tempFiles: swept.tempFiles.length,
      quarantined: swept.quarantined.length,
      freedBytes: swept.freedBytes,
    };
    if (counts.blobs + counts.records + counts.tempFiles + counts.quarantined > 0) {
      dlog.info('removed orphaned files at start', { ...counts });
      events.emit(deviceEvents.orphansRemoved(clock.now(), counts));
    }
  } catch (err) {
    dlog.warn('orphaned files not swept at start', { err });
  }

  const opened = await openContent(config, clock, dlog, events);
  const update = opened.update;
  // What plays is the installed bundle without the emergencies ended early (docs/drafts.md §7).
  const emergencies = new EndedEmergencyContent(
    opened.content,
    new EndedEmergencyFile(config.dataDir),
    clock,
    dlog.child('emergency'),
  );
  emergencies.start();
  const content: ContentSource = emergencies;
  let restarting = false;
  const restart: DaemonRestart = o.restart ?? {
    restart: (reason) => {
      if (restarting) return;
      restarting = true;
      dlog.warn('restarting the daemon', { reason, exitCode: RESTART_EXIT_CODE });
      // On the next turn, after the caller returned: stop() lets a running command send its result
      // first (SyncClient.stop), then systemd (Restart=always) starts what `current` names, at once
      // since this run ended on purpose (start-pacing.ts).
      const leave = () => {
        markEnded(config, 'restart', reason, o.env?.['INVOCATION_ID'] ?? null);
        process.exit(RESTART_EXIT_CODE);
      };
      systemTimers.setTimeout(() => {
        // A stop that hangs must not keep the screen on the old release: leave after 15 s anyway.
        systemTimers.setTimeout(leave, 15_000);
        void stop().finally(leave);
      }, 0);
    },
  };
  const releaseInstaller =
    update && config.server
      ? openReleaseInstaller(config, {
          running: runningRelease,
          backupDatabase: async (dest) => {
            await db.backup(dest);
          },
          restart,
          clock,
          log: dlog.child('release'),
        })
      : undefined;
  // What a killed install left (after the start-up check: an abandoned switch's backup is no longer named).
  void releaseInstaller?.start();
  const releaseProof = new ReleaseProof({
    store: releases,
    running: runningRelease,
    commitWithinMs: config.release.commitWithinMs,
    monotonic: processMonotonic,
    clock,
    timers: systemTimers,
    restart,
    log: dlog.child('release'),
    onCommitted: (version, from) => events.emit(deviceEvents.releaseCommitted(clock.now(), version, from)),
  });
  const trustRoot = trustRootState(config);
  if (trustRoot === 'missing') {
    dlog.error(
      'trust root missing on an enrolled device: updates are off, installed content keeps playing; ' +
        'enrol again (gatecast provision --reenrol) to restore it',
      { path: trustedRootPath(config.dataDir) },
    );
    events.emit(deviceEvents.trustRootMissing(clock.now(), trustedRootPath(config.dataDir)));
  }

  // --- the parts, in dependency order ---------------------------------------------------------
  const display = displayFrom(env);
  const headless = config.player.headless === 'auto' ? display === 'none' : config.player.headless;
  const executablePath = findChromium(config.player.chromiumPath);
  const userDataDir = join(config.dataDir, 'chromium');
  mkdirSync(userDataDir, { recursive: true });
  if (display === 'none' && !headless) dlog.warn('no display found but headless is off; Chromium may fail');

  const led = new LedStatus({ clock: systemClock, timers: systemTimers });
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

  const daemon = new Daemon({
    config,
    content,
    clock: systemClock,
    log: dlog.child('daemon'),
    createSurface: (server) => {
      const supervisor = new ChromiumSupervisor({
        executablePath,
        pageUrl: server.pageUrl,
        display,
        headless,
        userDataDir,
        isRoot: process.getuid?.() === 0,
        width: config.screen.width,
        height: config.screen.height,
        pageStallMs: config.player.pageStallMs,
        protocolTimeoutMs: config.player.protocolTimeoutMs,
        browserMemoryLimitBytes: config.player.browserMemoryLimitBytes,
        env: { ...env },
      });
      supervisor.onRestart((info) => {
        led.playerFailed();
        events.emit(deviceEvents.browserRestart(clock.now(), info));
      });
      supervisor.onReport(() => playerBeat());
      return supervisor;
    },
    hooks: {
      planner: trustedPlanner(clock, systemClock),
      onSkipped: (e) => events.emit(deviceEvents.itemSkipped(clock.now(), e)),
      ...(update ? { updateClient: update as DaemonService & UpdateClient } : {}),
    },
  });

  const hardware = new Hardware({
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
      identify: async () => events.emit(deviceEvents.identifyRequested(clock.now())),
    },
    openGpio: async () => ((await OnoffGpio.accessible()) ? OnoffGpio.open() : undefined),
  });

  const recorder = new PlayRecorder({
    deviceId,
    content,
    pop: popWriter,
    trusted: clock,
    system: systemClock,
    isScreenOn: () => isScreenOn(hardware.health().display),
    onRecorded: () => outbox.popAppended(), // send it now rather than at the next batch
    log: dlog,
  });

  const refreshNow = async (): Promise<void> => {
    await update?.refreshNow();
  };
  const sync = new DeviceSync({
    config,
    // From an unusual layout the version is unknown: it is informational only.
    appVersion: packageVersion() ?? '0.0.0',
    db,
    outbox,
    sensors: new LinuxSystemSensors({ proc: '/proc', sys: '/sys', diskPath: config.dataDir }),
    appHealth: () =>
      appHealthFrom({
        daemon: daemon.status(),
        update: update?.status(),
        hardware: hardware.health(),
        installedBundleVersion: content.current()?.version,
        clock: { health: clock.health(), status: clock.status() },
        browserMemoryBytes: daemon.browserMemoryBytes(),
        trustRoot,
        unsaved: { pop: popWriter.state().waiting, ...outbox.unsavedCounts() },
        screen: config.screen,
        ...(releases.state() || releases.linkTarget('current')
          ? { release: releaseHealth(releases.state(), runningRelease, releaseInstaller?.staging ?? null) }
          : {}),
      }),
    handlers: commandHandlers({
      deviceId,
      screenLabel: `${config.gate.name} · ${config.screenName}`,
      player: daemon,
      display: hardware,
      refreshNow,
      onIdentify: (untilMs) => led.identifyUntil(untilMs),
      trusted: clock,
      system: systemClock,
      run: execRun(),
      hostReboot: o.hostReboot ?? 'allowed',
      log: dlog.child('commands'),
      ...(releaseInstaller ? { releases: { install: (v: string) => releaseInstaller.install(v) } } : {}),
      emergencies,
    }),
    refreshNow,
    onServerTime: (serverMs, rttMs) => {
      try {
        clock.acceptServerTime(serverMs, rttMs);
      } catch (err) {
        dlog.warn('server time refused', { err });
      }
    },
    onState: (state) => {
      led.linkChanged(state === 'online');
      if (state === 'online') releaseProof.linkUp();
    },
    ...(o.allowInsecure ? { allowInsecure: true } : {}),
    ...(keyAdvice ? { linkOffBecause: keyAdvice } : {}),
    clock,
    log: dlog.child('sync'),
  });

  // --- subscriptions, then start: the screen, hardware and watchdog, then the network --------
  // Proof of play hears of each item once it has left the air; the one on air at shutdown is told
  // while the daemon stops, so this listener goes only after daemon.stop().
  const unsubscribePlayed = daemon.onPlayed((e) => recorder.record(e));
  const unsubscribe = [
    daemon.onStarted(() => led.played()),
    daemon.onStarted(() => releaseProof.onAir()),
    content.onChange(() => led.contentChanged(true)),
    // A full data disk is told at once (event + a health sample carrying the fault), not at the
    // next periodic sample: the partial download has been dropped, so both can be written.
    update?.onEvent((e) => {
      if (e.type !== 'failed' || (e.code !== 'DISK_FULL' && e.code !== 'DISK_SPACE_LOW')) return;
      events.emit(deviceEvents.diskFault(clock.now(), e));
      void sync.reportNow();
    }) ?? (() => undefined),
    led.onChange((state) => hardware.showLed(state)),
  ];
  led.contentChanged(content.current() !== undefined);
  if (keyAdvice) led.technicianNeeded();

  releaseProof.start();
  await daemon.start();
  await hardware.start();
  led.start();
  await watchdog.start();
  if (keyAdvice) {
    // The link cannot authenticate without the key (DeviceSync keeps it off). The notice stays on
    // the screen over the content, which keeps playing.
    await daemon
      .notice({ lines: [deviceId, ...keyNoticeLines], untilEpochMs: systemClock.now() + KEY_NOTICE_MS })
      .catch((err) => dlog.warn('notice failed', { err }));
  }
  sync.start();
  void crash.acknowledge();

  const stop = async () => {
    releaseProof.stop();
    for (const u of unsubscribe) u();
    led.stop();
    await sync.stop();
    await watchdog.stop();
    await hardware.stop();
    await daemon.stop();
    emergencies.stop();
    unsubscribePlayed();
    popWriter.stop();
    outbox.stop();
    clock.stop();
    db.close();
  };
  return {
    daemon,
    config,
    clock,
    content,
    ...(update ? { update } : {}),
    sync,
    pop,
    hardware,
    led,
    events,
    stop,
  };
}

/** What the daemon's command line says, parsed once (by `gatecast daemon` or `parseDaemonArgs`). */
export interface DaemonArgs {
  configPath: string;
  /** Plain ws/http to a non-loopback server (development only). */
  allowInsecure: boolean;
}

/**
 * The command line of `node dist/device/main.js`: `--config PATH`, `--config=PATH` or a lone path
 * (the default otherwise), and `--allow-insecure`. `gatecast daemon` parses its own with commander.
 */
export function parseDaemonArgs(argv: readonly string[]): DaemonArgs {
  return { configPath: configPathFrom(argv), allowInsecure: argv.includes('--allow-insecure') };
}

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

export async function main(args: DaemonArgs, env = process.env): Promise<DeviceHandle> {
  const config = loadConfig(args.configPath);
  setLogLevel(config.logLevel);
  // Before the daemon proper: a pending release that failed its starts or its deadline is rolled back
  // here, and this process (started from the release rolled back from) leaves to be started again.
  const check = releaseStartCheck(config, env);
  if (check.mustRestart) {
    log.warn('release check switched releases; restarting', { current: check.current });
    markEnded(config, 'restart', `release check: ${check.action.kind}`, env['INVOCATION_ID'] ?? null);
    process.exit(RESTART_EXIT_CODE);
  }
  // A quick restart after a crash waits here when the unit's ExecStartPre did not (an older unit).
  if (check.pacing?.delayMs) await new Promise((r) => setTimeout(r, check.pacing!.delayMs));
  return startDevice(config, { env, allowInsecure: args.allowInsecure });
}

/**
 * Records that this run (systemd start `startId`) ends on purpose, so the next start does not wait
 * as after a crash (start-pacing.ts). Never throws: the exit goes on whatever happens here.
 */
export function markEnded(
  config: DeviceConfig,
  how: 'restart' | 'stop',
  reason: string,
  startId: string | null,
): void {
  try {
    new ReleaseStore(releaseLayout(config.release.root)).markEnded(how, reason, startId, readBootNow());
  } catch (err) {
    log.warn('could not record that the daemon ends on purpose; the next start may wait', { err });
  }
}

/**
 * The release start-up check (release-store.ts runStartCheck) for this config: run by the daemon
 * before it starts, and by `gatecast release start-check` from the unit's ExecStartPre (the
 * committed release's code, so a release that cannot even load its entry still gets its starts counted).
 */
export function releaseStartCheck(config: DeviceConfig, env: Record<string, string | undefined>) {
  return runStartCheck({
    store: new ReleaseStore(releaseLayout(config.release.root)),
    dbPath: join(config.dataDir, 'device.db'),
    policy: { maxStarts: config.release.maxStarts, pendingDeadlineMs: config.release.pendingDeadlineMs },
    nowMs: systemClock.now(),
    startId: env['INVOCATION_ID'] ?? null,
    log: log.child('release-check'),
  });
}

function fatal(err: unknown): never {
  if (isGatecastError(err)) log.error(err.message, { code: err.code });
  else log.error('unexpected error; exiting', { err });
  process.exit(1);
}

/** Runs the daemon until SIGTERM/SIGINT; used by `gatecast daemon` and by `node dist/device/main.js`. */
export async function runDaemonProcess(args: DaemonArgs): Promise<void> {
  process.on('uncaughtException', fatal);
  process.on('unhandledRejection', fatal);
  let stopping = false;
  const device = await main(args).catch(fatal);
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('stopping', { signal });
    device.stop().then(
      () => {
        markEnded(device.config, 'stop', signal, process.env['INVOCATION_ID'] ?? null);
        process.exit(0);
      },
      (err) => fatal(err),
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

// Run only when executed directly (tests import the helpers above).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await runDaemonProcess(parseDaemonArgs(process.argv.slice(2)));
}
