import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Clock, systemClock } from '../../protocol/clock.js';
import { memoryLogger } from '../../platform/log.js';
import { parseServerConfig, type ServerConfigInput } from '../../sync-server/config/config.js';
import { SyncServer, type SyncServerDeps } from '../../sync-server/main.js';
import type { Cleanup } from './cleanups.js';
import { tempDir } from './temp.js';

/** Cheap scrypt for tests' accounts (the defaults are tuned for real sign-ins). */
export const TEST_SCRYPT = { N: 1024, r: 8, p: 1 };

export const OPS_TOKEN = 'ops-token-for-tests-0123456789abcdef';
export const GATE = {
  siteGroup: 'kien-giang/ha-tien',
  name: 'Cửa khẩu Quốc tế Hà Tiên',
  provinceName: 'An Giang',
  languages: ['vi', 'km', 'en'],
};
export const FAKE_ROOT = { signed: { _type: 'root', version: 1, spec_version: '1.0.31' }, signatures: [] };

/** A sync server on 127.0.0.1:0 over a registry file in `dir`. */
export async function startServer(
  dir: string,
  over: Partial<ServerConfigInput> = {},
  clock: Clock = systemClock,
  deps: Pick<SyncServerDeps, 'releases'> = {},
) {
  const rootFile = join(dir, 'root.json');
  writeFileSync(rootFile, JSON.stringify(FAKE_ROOT));
  const log = memoryLogger('server');
  const config = parseServerConfig({
    dataDir: join(dir, 'server'),
    port: 0,
    opsToken: OPS_TOKEN,
    trustedRootFile: rootFile,
    gates: [GATE],
    ...over,
  });
  const server = new SyncServer(config, { clock, log, scrypt: TEST_SCRYPT, ...deps });
  await server.start();
  const api = async (method: string, path: string, body?: unknown) => {
    const res = await opsRequest(server.url, OPS_TOKEN, method, path, body);
    const type = res.headers.get('content-type') ?? '';
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read API replies field by field
    const json: any = type.includes('json') ? await res.json() : Buffer.from(await res.arrayBuffer());
    return { status: res.status, body: json };
  };
  return { server, api, log, config };
}

/** A sync server (as `startServer`) in a fresh temp folder; `cleanups` stops it and removes the folder. */
export async function startTempServer(
  cleanups: Cleanup[],
  prefix: string,
  over: Partial<ServerConfigInput> = {},
  clock: Clock = systemClock,
) {
  const dir = tempDir(prefix);
  cleanups.push(dir.cleanup);
  const s = await startServer(dir.path, over, clock);
  cleanups.push(() => s.server.stop());
  return { ...s, dir: dir.path };
}

export { healthAt } from './health.js';

/** Polls `cond` on the event loop until it holds (real I/O, not time logic). */
export async function until(
  cond: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

import { loadIdentity } from '../../device/identity.js';
import { Outbox, type OutboxLimits, type PopSource } from '../../device/outbox/outbox.js';
import { type Db, openDeviceDb } from '../../device/store/sqlite.js';
import { SyncClient, type SyncClientOptions } from '../../device/sync/client.js';
import type { CommandHandlers } from '../../device/sync/commands.js';
import { enrolDevice } from '../../device/sync/enrol.js';
import { SqlitePopSource } from './pop-source.js';

export interface TestDevice {
  deviceId: string;
  db: Db;
  outbox: Outbox;
  pop: SqlitePopSource;
  client: SyncClient;
  refreshes: number;
  serverTimes: { serverMs: number; rttMs: number }[];
  dataDir: string;
  log: ReturnType<typeof memoryLogger>;
  reopen(): TestDevice;
  close(): Promise<void>;
}

/** Enrols a device in `dataDir` with a fresh token; returns what enrolment wrote and the device's key. */
export async function enrolTestDevice(
  api: Awaited<ReturnType<typeof startServer>>['api'],
  serverUrl: string,
  dataDir: string,
  screenName = 'screen-1',
) {
  const tok = await api('POST', '/api/enrolment-tokens', { siteGroup: GATE.siteGroup, screenName });
  if (tok.status !== 201) throw new Error(`token: ${JSON.stringify(tok.body)}`);
  const enrolled = await enrolDevice({ serverUrl, token: tok.body.token, dataDir });
  return { ...enrolled, identity: loadIdentity(dataDir) };
}

export function makeDevice(
  dataDir: string,
  deviceId: string,
  serverUrl: string,
  opts: {
    clock?: Clock;
    handlers?: CommandHandlers;
    limits?: OutboxLimits;
    client?: Partial<SyncClientOptions>;
  } = {},
): TestDevice {
  const clock = opts.clock ?? systemClock;
  const db = openDeviceDb(join(dataDir, 'device.db'), { synchronous: 'NORMAL' });
  const log = memoryLogger('device');
  const pop = new SqlitePopSource(db);
  const outbox = new Outbox(db, clock, log, opts.limits, pop);
  outbox.start();
  const dev: TestDevice = {
    deviceId,
    db,
    outbox,
    pop,
    dataDir,
    log,
    refreshes: 0,
    serverTimes: [],
    client: undefined as unknown as SyncClient,
    reopen: () => makeDevice(dataDir, deviceId, serverUrl, opts),
    close: async () => {
      await dev.client.stop();
      db.close();
    },
  };
  dev.client = new SyncClient({
    serverUrl,
    deviceId,
    identity: loadIdentity(dataDir),
    appVersion: '0.1.0',
    outbox,
    handlers: opts.handlers ?? {},
    refreshNow: () => {
      dev.refreshes++;
    },
    onServerTime: (serverMs, rttMs) => dev.serverTimes.push({ serverMs, rttMs }),
    clock,
    log,
    backoff: { baseMs: 20, maxMs: 200 },
    ...opts.client,
  });
  return dev;
}

import WebSocket from 'ws';
import type { DeviceIdentity } from '../../device/identity.js';
import {
  authPayload,
  DEVICE_WS_PATH,
  parseServerMessage,
  type ServerMessage,
  serverOrigin,
} from '../../protocol/messages.js';
import { opsRequest } from '../../cli/ops-request.js';

/** A hand-driven device socket for bad-input tests. */
export interface RawSocket {
  ws: WebSocket;
  next(): Promise<ServerMessage>;
  closed: Promise<{ code: number; reason: string }>;
  sendJson(v: unknown): void;
}

/** Opens a device socket; `localAddress` (e.g. 127.0.0.2) makes it come from another loopback address. */
export function rawSocket(serverUrl: string, opts: { localAddress?: string } = {}): Promise<RawSocket> {
  const ws = new WebSocket(`${serverUrl.replace(/^http/, 'ws')}${DEVICE_WS_PATH}`, opts);
  const queue: ServerMessage[] = [];
  const waiters: ((m: ServerMessage) => void)[] = [];
  ws.on('message', (d) => {
    const m = parseServerMessage(d as Buffer);
    const w = waiters.shift();
    if (w) w(m);
    else queue.push(m);
  });
  ws.on('error', () => undefined); // the tests look at the close code
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  return new Promise((resolve, reject) => {
    ws.once('open', () =>
      resolve({
        ws,
        closed,
        next: () => (queue.length ? Promise.resolve(queue.shift()!) : new Promise((r) => waiters.push(r))),
        sendJson: (v) => ws.send(JSON.stringify(v)),
      }),
    );
    ws.once('error', reject);
  });
}

/** Authenticates a raw socket as `deviceId` signing with `identity`; returns the welcome or the error. */
export async function rawAuth(
  sock: RawSocket,
  serverUrl: string,
  deviceId: string,
  identity: DeviceIdentity,
) {
  sock.sendJson({ type: 'hello', v: 1, deviceId, appVersion: 'raw' });
  const ch = await sock.next();
  if (ch.type !== 'challenge') return { challenge: undefined, reply: ch, auth: undefined };
  const auth = {
    type: 'auth',
    v: 1,
    deviceId,
    nonce: ch.nonce,
    signature: identity.sign(authPayload(ch.nonce, deviceId, serverOrigin(serverUrl))).toString('base64url'),
  };
  sock.sendJson(auth);
  return { challenge: ch, reply: await sock.next(), auth };
}

/**
 * Sends the proof of play of the device enrolled in `dataDir` (read through `source`, with the
 * outbox on `db`) to `server` over a real sync link. `cleanups` stops the link, closes `db` and waits
 * until the server has seen the device go offline.
 */
export function startPopSender(
  cleanups: Cleanup[],
  server: SyncServer,
  device: { deviceId: string; dataDir: string; db: Db; source: PopSource },
): SyncClient {
  const log = memoryLogger('device');
  const outbox = new Outbox(device.db, systemClock, log, undefined, device.source);
  outbox.start();
  const client = new SyncClient({
    serverUrl: server.url,
    deviceId: device.deviceId,
    identity: loadIdentity(device.dataDir),
    appVersion: '0.1.0',
    outbox,
    handlers: {},
    refreshNow: () => {},
    clock: systemClock,
    log,
    backoff: { baseMs: 20, maxMs: 200 },
  });
  client.start();
  cleanups.push(async () => {
    await client.stop();
    device.db.close();
    // Let the server see the disconnect (and the fleet view redraw) before it stops.
    await until(() => !server.registry.devices.get(device.deviceId)!.online);
    await new Promise((r) => setImmediate(r));
  });
  return client;
}
