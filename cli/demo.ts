/**
 * `gatecast demo`: everything on this machine, for real — a TUF repository whose sample bundle for
 * Hà Tiên is signed by two approvers, the sync server serving it (REST API, device WebSocket,
 * dashboard when present), a device enrolled with a one-time token, and the screen daemon playing
 * the signed content in Chromium (a window where there is a display, headless otherwise, with a
 * screenshot written every few seconds so the screen can be looked at).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type DeviceHandle, displayFrom, loadConfig, startDevice } from '../device/main.js';
import { DEMO_HOST_REBOOT } from '../device/sync/command-handlers.js';
import { enrolDevice } from '../device/sync/enrol.js';
import { writeFileAtomic } from '../platform/atomic-file.js';
import { createLogger, setLogLevel } from '../platform/log.js';
import { parseServerConfig } from '../sync-server/config/config.js';
import { ACCOUNTS_DB, SyncServer } from '../sync-server/main.js';
import { createDemoRepository, sampleBundleDir } from '../sync-server/tuf/demo-repository.js';
import { LoginRateLimiter } from '../sync-server/accounts/rate-limit.js';
import { AccountService } from '../sync-server/accounts/service.js';
import { openSqliteAccountStore } from '../sync-server/accounts/sqlite-accounts.js';
import { systemClock } from '../protocol/clock.js';
import type { Schedule } from '../protocol/content.js';
import { clockOffsetMs } from '../device/schedule/trusted-planner.js';
import { loadPublicKey, publicKeyFileOf } from '../platform/tuf-keys.js';
import {
  assertPortFree,
  DemoPortBusyError,
  gatecastCommand,
  portBusyMessage,
  prepareDemoDir,
  shownPath,
} from './demo-guards.js';
import { assertNightInMinutes, NIGHT_DEMO_ENTRY_ID, watchOnAir, writeDemoBundle } from './demo-schedule.js';
import { opsRequest } from './ops-request.js';
import { seedDemoTemplates } from './demo-templates.js';
import { TemplateService } from '../sync-server/templates/service.js';
import { templateStoreOf } from '../sync-server/templates/store.js';

export interface DemoOptions {
  dir: string;
  port: number;
  /** Stop by itself after this many seconds (0: run until Ctrl-C). */
  durationS: number;
  headless?: boolean;
  chromiumPath?: string;
  /** The demo schedule's night window begins this many minutes after the start (default 3). */
  nightInMinutes?: number;
  /** Player settings for the screen's device.json (e.g. longer waits on an emulated machine). */
  player?: { protocolTimeoutMs?: number; pageStallMs?: number };
  out?: (line: string) => void;
}

export interface RunningDemo {
  server: SyncServer;
  device: DeviceHandle;
  deviceId: string;
  opsToken: string;
  screenshotPath: string;
  /** The schedule the demo published (the sample's, with the demo's night window). */
  schedule: Schedule;
  stop(): Promise<void>;
}

const HA_TIEN = {
  siteGroup: 'kien-giang/ha-tien',
  name: 'Cửa khẩu Quốc tế Hà Tiên',
  provinceName: 'An Giang',
  timezone: 'Asia/Ho_Chi_Minh',
  languages: ['vi', 'km', 'en', 'zh-Hans'],
};

export async function startDemo(o: DemoOptions): Promise<RunningDemo> {
  const out = o.out ?? ((l: string) => process.stdout.write(`${l}\n`));
  const log = createLogger('demo');
  const dir = resolve(o.dir);
  // The checks come before anything is deleted or started.
  if (o.nightInMinutes !== undefined) assertNightInMinutes(o.nightInMinutes);
  await assertPortFree('127.0.0.1', o.port);
  prepareDemoDir(dir);

  out('1/4  TUF repository: root + targets keys, two approvers, sample bundle signed by both …');
  // The sample with the demo schedule: the day playlist at any hour, the night one for a short while.
  const bundleDir = join(dir, 'bundle');
  const made = writeDemoBundle(sampleBundleDir(), bundleDir, systemClock.now(), {
    ...(o.nightInMinutes !== undefined ? { nightInMinutes: o.nightInMinutes } : {}),
  });
  const demo = await createDemoRepository({
    dir: join(dir, 'tuf'),
    sampleDir: bundleDir,
    log: log.child('tuf'),
  });
  out(
    `     published ${demo.siteGroup} version ${demo.published?.version} (${demo.published?.targets} targets)`,
  );

  out('2/4  sync server …');
  const opsToken = randomBytes(24).toString('hex');
  const serverConfigPath = join(dir, 'server.json');
  const serverConfigRaw = {
    dataDir: join(dir, 'server'),
    host: '127.0.0.1',
    port: o.port,
    opsToken,
    tuf: { repoDir: demo.repoDir },
    gates: [HA_TIEN],
  };
  writeFileSync(serverConfigPath, JSON.stringify(serverConfigRaw, null, 2), { mode: 0o600 });
  // An operator login for the dashboard, made the way `gatecast admin create` makes it, and the
  // accounts that publish through the server: an author and one per approver key.
  const adminPassword = randomBytes(9).toString('base64url');
  const publishPassword = randomBytes(12).toString('base64url');
  const publishPasswordFile = join(dir, 'publish-password');
  writeFileSync(publishPasswordFile, `${publishPassword}\n`, { mode: 0o600 });
  const approverUsers = demo.approverKeyFiles.map((_, i) => `approver-${i + 1}`);
  mkdirSync(serverConfigRaw.dataDir, { recursive: true, mode: 0o700 });
  const accounts = openSqliteAccountStore(join(serverConfigRaw.dataDir, ACCOUNTS_DB));
  try {
    const service = new AccountService(accounts, systemClock, new LoginRateLimiter(), log.child('accounts'));
    const admin = await service.createFirstAdmin({
      username: 'admin',
      displayName: 'Demo admin',
      password: adminPassword,
    });
    const actor = { user: admin, ip: null };
    for (const [username, role] of [
      ['author', 'author'],
      ...approverUsers.map((u) => [u, 'approver']),
    ] as const)
      await service.createUser(actor, {
        username,
        displayName: `Demo ${username}`,
        role,
        password: publishPassword,
      });
    // Each approver account holds its own key, as `gatecast keys register` does: only signatures
    // made with a key registered to the signing account count.
    for (const [i, keyFile] of demo.approverKeyFiles.entries()) {
      const user = service.listUsers().find((u) => u.username === approverUsers[i]);
      const pub = publicKeyFileOf(await loadPublicKey(keyFile));
      await service.registerKey({ user: user!, ip: null }, publishPassword, JSON.stringify(pub));
    }
  } finally {
    accounts.close();
  }
  const server = new SyncServer(parseServerConfig(serverConfigRaw), { log: log.child('server') });
  try {
    await server.start();
  } catch (err) {
    // Taken between the check and now.
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE')
      throw new DemoPortBusyError(portBusyMessage('127.0.0.1', o.port), { cause: err });
    throw err;
  }
  // Ready-made emergency messages on the dashboard's Templates page, written by the author account.
  seedDemoTemplates(
    new TemplateService({
      store: templateStoreOf(server.registry),
      gates: server.registry.gates,
      clock: systemClock,
      log: log.child('templates'),
    }),
    'author',
  );
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await opsRequest(server.url, opsToken, method, path, body);
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
    return res;
  };

  out('3/4  enrolling a screen with a one-time token …');
  const token = (await (
    await api('POST', '/api/enrolment-tokens', {
      siteGroup: HA_TIEN.siteGroup,
      screenName: 'arrivals-hall-1',
    })
  ).json()) as { token: string };
  const deviceDir = join(dir, 'device');
  const enrolled = await enrolDevice({ serverUrl: server.url, token: token.token, dataDir: deviceDir });
  const raw = JSON.parse(readFileSync(enrolled.configPath, 'utf8')) as Record<string, unknown>;
  const headless = o.headless ?? displayFrom(process.env) === 'none';
  raw['player'] = {
    ...(raw['player'] as object),
    headless,
    ...(o.chromiumPath ? { chromiumPath: o.chromiumPath } : {}),
    ...o.player,
  };
  raw['health'] = { intervalMs: 5000 };
  await writeFileAtomic(enrolled.configPath, JSON.stringify(raw, null, 2));

  out(`4/4  screen daemon (${headless ? 'headless Chromium' : 'Chromium window'}) …`);
  // The demo runs on someone's own machine: a reboot command from the dashboard must not reboot it.
  const device = await startDevice(loadConfig(enrolled.configPath), {
    log: log.child('device'),
    hostReboot: DEMO_HOST_REBOOT,
  });

  const screenshotPath = join(dir, 'screen.png');
  const shoot = async () => {
    try {
      await writeFileAtomic(screenshotPath, await device.daemon.screenshot());
    } catch (err) {
      log.warn('screenshot failed', { err });
    }
  };
  const shots = setInterval(() => void shoot(), 5000);
  shots.unref();
  setTimeout(() => void shoot(), 2500).unref();

  out('');
  out('gatecast demo is running:');
  out(`  dashboard       ${server.url}/dashboard   login: admin / ${adminPassword}`);
  out(`  ops API token   ${opsToken}`);
  out(`                  curl -H 'authorization: Bearer ${opsToken}' ${server.url}/api/devices`);
  out(`  device          ${enrolled.deviceId} at ${HA_TIEN.name} (${HA_TIEN.languages.join(', ')})`);
  out(
    `  screen          ${headless ? `headless; a screenshot every 5 s: ${screenshotPath}` : 'Chromium window'}`,
  );
  const night = made.schedule.entries[0]!;
  out(
    `  schedule        the day playlist at any hour; the night playlist ${night.window!.start}–${night.window!.end} ${made.zone} on ${night.from} (entry '${NIGHT_DEMO_ENTRY_ID}'; --night-in-min moves it)`,
  );
  // Commands that run as printed from here: `gatecast` only when it is this checkout's on PATH.
  const gatecast = gatecastCommand();
  const as = (user: string) =>
    `--server ${server.url} --user ${user} --password-file ${shownPath(publishPasswordFile)}`;
  out(`  publish again   ${gatecast} draft create ${as('author')} \\`);
  out(`                    --site-group ${HA_TIEN.siteGroup} --media ${shownPath(bundleDir)}`);
  demo.approverKeyFiles.forEach((key, i) =>
    out(
      `                  ${gatecast} draft sign ${as(approverUsers[i]!)} --draft <id> --key ${shownPath(key)}`,
    ),
  );
  out(`                  (the signature that meets the threshold publishes the draft)`);
  out(
    `  accounts        author, ${approverUsers.join(', ')} (each with their approver key registered); password in ${publishPasswordFile}`,
  );
  out(`  files           ${dir}`);
  out(o.durationS > 0 ? `  stops by itself after ${o.durationS} s` : '  Ctrl-C stops everything');

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    clearInterval(shots);
    await device.stop();
    await server.stop();
  };
  return {
    server,
    device,
    deviceId: enrolled.deviceId,
    opsToken,
    screenshotPath,
    schedule: made.schedule,
    stop,
  };
}

/** The command: starts the demo, reports what plays, stops on Ctrl-C or after --duration-s. */
export async function runDemo(o: DemoOptions): Promise<void> {
  setLogLevel('warn');
  const running = await startDemo(o);
  const out = o.out ?? ((l: string) => process.stdout.write(`${l}\n`));
  const { device } = running;
  const unwatch = watchOnAir(
    {
      onStarted: (l) => device.daemon.onStarted(l),
      manifest: () => device.content.current()?.manifest,
      gate: device.config.gate,
      offsetMs: () => clockOffsetMs(device.clock, systemClock),
    },
    running.schedule,
    out,
  );
  const unsubscribe = running.device.daemon.onPlayed((e) =>
    out(
      `  ▶ ${new Date(e.actualStart).toISOString().slice(11, 19)}  ${e.item.itemId} [${e.language}]` +
        (e.partial ? `  (partial: ${(e.durationMs / 1000).toFixed(1)} s shown)` : ''),
    ),
  );
  await new Promise<void>((resolveStop) => {
    const finish = () => resolveStop();
    process.once('SIGINT', finish);
    process.once('SIGTERM', finish);
    if (o.durationS > 0) setTimeout(finish, o.durationS * 1000).unref();
  });
  unsubscribe();
  unwatch();
  const status = running.device.daemon.status();
  out(`stopping: ${status.played} items shown, ${status.skipped} skipped`);
  await running.stop();
}
