/**
 * What the fault suite's scenarios share (bench/faults.ts runs them): the outcome of a scenario and
 * the final line, a screen enrolled through the server's API running the whole daemon, a TCP link
 * between the screen and the server that can be cut, slowed and listened to, and the accounting of
 * records: what the device produced against what the server stored or was told was lost.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type Server, Socket } from 'node:net';
import { join } from 'node:path';
import { type DeviceHandle, findChromium, loadConfig, startDevice } from '../device/main.js';
import { clockOffsetMs } from '../device/schedule/trusted-planner.js';
import { enrolDevice } from '../device/sync/enrol.js';
import { systemClock } from '../protocol/clock.js';
import { memoryLogger } from '../platform/log.js';
import { openSqlite } from '../platform/sqlite.js';
import { REGISTRY_DB } from '../sync-server/main.js';
import { startDemoServer } from '../tests/helpers/demo-server.js';
import type { startServer } from '../tests/helpers/sync.js';

export interface Outcome {
  scenario: string;
  /** true held, false did not hold, string: skipped with this reason. */
  held: boolean | string;
  what: string;
  lostRecords?: number;
  darkSeconds?: number;
  wrongPlays?: number;
}

/** A scenario: its name, how to run it in a fresh folder, and whether it needs Chromium (default yes). */
export type Scenario = [
  name: string,
  run: (dir: string, chromium: string) => Promise<Outcome>,
  needsChromium?: boolean,
];

/** Runs `scenarios` one after the other, each in a fresh folder, and prints the table and the line. */
export async function runScenarios(scenarios: readonly Scenario[]): Promise<void> {
  let chromium: string | undefined;
  try {
    chromium = findChromium(undefined);
  } catch (err) {
    process.stdout.write(`no Chromium: ${(err as Error).message}\n`);
  }
  const outcomes: Outcome[] = [];
  for (const [name, run, needsChromium = true] of scenarios) {
    if (needsChromium && !chromium) {
      outcomes.push({ scenario: name, held: 'skipped: no Chromium', what: '' });
      continue;
    }
    const dir = mkdtempSync(join(tmpdir(), 'gatecast-faults-'));
    process.stdout.write(`  ${name} …\n`);
    try {
      outcomes.push(await run(dir, chromium ?? ''));
    } catch (err) {
      outcomes.push({ scenario: name, held: false, what: `threw: ${(err as Error).message.split('\n')[0]}` });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  process.stdout.write(`\n${report(outcomes)}\n`);
}

export async function until(cond: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
export const sha256File = (path: string): string | undefined =>
  existsSync(path) ? createHash('sha256').update(readFileSync(path)).digest('hex') : undefined;

/** The table and the one line the suite ends with. */
export function report(outcomes: readonly Outcome[]): string {
  const ran = outcomes.filter((o) => typeof o.held === 'boolean');
  const held = ran.filter((o) => o.held === true).length;
  const sum = (f: (o: Outcome) => number | undefined, digits: number) => {
    const some = outcomes.filter((o) => f(o) !== undefined);
    return some.length ? some.reduce((a, o) => a + f(o)!, 0).toFixed(digits) : 'n/a';
  };
  const rows = outcomes.map(
    (o) =>
      `| ${o.scenario} | ${o.held === true ? 'yes' : o.held === false ? '**no**' : o.held} | ${o.what} |`,
  );
  return [
    '| scenario | held | what happened |',
    '| --- | --- | --- |',
    ...rows,
    '',
    `faults: ${held} of ${ran.length} scenarios held (lost records ${sum((o) => o.lostRecords, 0)}, dark seconds ${sum((o) => o.darkSeconds, 1)}, wrong plays ${sum((o) => o.wrongPlays, 0)})`,
  ].join('\n');
}

type Server_ = Awaited<ReturnType<typeof startServer>>;

/** Enrols a screen through the server's API into `dataDir`; the config is then adjusted by `edit`. */
export async function enrolScreen(
  s: Server_,
  dataDir: string,
  chromium: string,
  edit: (raw: Record<string, Record<string, unknown>>) => void = () => undefined,
) {
  const token = await s.api('POST', '/api/enrolment-tokens', {
    siteGroup: 'kien-giang/ha-tien',
    screenName: 'arrivals-1',
  });
  if (token.status !== 201) throw new Error(`enrolment token: ${token.status}`);
  const e = await enrolDevice({ serverUrl: s.server.url, token: String(token.body.token), dataDir });
  const raw = JSON.parse(readFileSync(e.configPath, 'utf8'));
  raw.player = { ...raw.player, chromiumPath: chromium, headless: true };
  raw.display = { ...raw.display, powerAdapter: 'none' };
  raw.health = { intervalMs: 1000 };
  edit(raw);
  writeFileSync(e.configPath, JSON.stringify(raw));
  return e;
}

/**
 * The demo server (the sample bundle published by two approvers) and a screen enrolled into
 * `dataDir` that reaches it through a `Link`.
 */
export async function startRig(
  dir: string,
  chromium: string,
  dataDir: string,
  edit: (raw: Record<string, Record<string, unknown>>) => void = () => undefined,
) {
  const { demo, server: s } = await startDemoServer(dir);
  const link = new Link({ host: '127.0.0.1', port: Number(new URL(s.server.url).port) });
  await link.up();
  const e = await enrolScreen(s, dataDir, chromium, (raw) => {
    raw.server = { ...raw.server, url: link.url };
    edit(raw);
  });
  return {
    demo,
    s,
    link,
    e,
    serverDataDir: join(dir, 'server'),
    stop: async () => {
      await link.down();
      await s.server.stop();
    },
  };
}
export type Rig = Awaited<ReturnType<typeof startRig>>;

/** Waits for the installed bundle `version` on air; false after `timeoutMs`. */
export function onAir(device: DeviceHandle, version: number, timeoutMs = 90_000): Promise<boolean> {
  return until(
    () => device.content.current()?.version === version && device.daemon.status().played > 0,
    timeoutMs,
  );
}

/** The whole daemon of an enrolled screen from its config file. */
export function startScreenDaemon(configPath: string): Promise<DeviceHandle> {
  return startDevice(loadConfig(configPath), { log: memoryLogger('device'), env: {} });
}

/**
 * The link between screen and server: a TCP relay on 127.0.0.1 that can be cut (every connection
 * dropped, nothing accepted) and restored on the same port, can slow what the server sends, and
 * notes the head of each plain HTTP request the screen makes (method, path, Range).
 */
export class Link {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;
  /** Bytes per second from the server to the screen; 0: as fast as it goes. */
  throttleBytesPerS = 0;
  readonly requests: { at: number; path: string; range?: string }[] = [];

  constructor(private readonly target: { host: string; port: number }) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async up(): Promise<void> {
    const server = createServer((client) => this.relay(client));
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (server) await new Promise((r) => server.close(r));
  }

  private relay(client: Socket): void {
    const upstream = new Socket();
    this.sockets.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    upstream.connect(this.target.port, this.target.host);
    client.on('data', (chunk: Buffer) => {
      this.noteRequests(chunk);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      client.write(chunk);
      if (this.throttleBytesPerS <= 0) return;
      upstream.pause();
      setTimeout(() => upstream.resume(), (chunk.length / this.throttleBytesPerS) * 1000);
    });
  }

  private noteRequests(chunk: Buffer): void {
    const text = chunk.toString('latin1');
    for (const m of text.matchAll(/(?:^|\r\n)(GET|HEAD) (\S+) HTTP\/1\.1\r\n([\s\S]*?)\r\n\r\n/g)) {
      const range = /^range: *(.+)$/im.exec(m[3]!)?.[1];
      this.requests.push({ at: Date.now(), path: m[2]!, ...(range ? { range } : {}) });
    }
  }
}

/**
 * Fills the file system holding `path` to its last byte (the file is created or grown), from
 * another process, as whatever fills a real disk would: the daemon's event loop is not held up.
 */
export function fillDisk(path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const dd = spawn('dd', ['if=/dev/zero', `of=${path}`, 'bs=1M', 'oflag=append', 'conv=notrunc'], {
      stdio: 'ignore',
    });
    dd.on('error', reject);
    dd.on('exit', () => resolve()); // it ends on ENOSPC, with a non-zero status
  });
}

interface Play {
  itemId: string;
  language: string;
  at: number;
}

/**
 * What the device produces from now on, noted as it happens: each play (on the trusted clock, as proof
 * of play records it), each health sample and each event handed to the outbox. Observation only: the
 * records go on to the outbox unchanged.
 */
export function tapRecords(device: DeviceHandle) {
  const tap = {
    open: true,
    plays: [] as Play[],
    health: [] as number[],
    events: [] as { at: number; kind: string }[],
  };
  const outbox = device.sync.outbox;
  const appendHealth = outbox.appendHealth.bind(outbox);
  const appendEvent = outbox.appendEvent.bind(outbox);
  outbox.appendHealth = (r) => {
    if (tap.open) tap.health.push(r.at);
    return appendHealth(r);
  };
  outbox.appendEvent = (e) => {
    if (tap.open) tap.events.push({ at: e.at, kind: e.kind });
    return appendEvent(e);
  };
  device.daemon.onPlayed((p) => {
    if (tap.open && device.content.current())
      tap.plays.push({
        itemId: p.item.itemId,
        language: p.language,
        at: Math.round(p.actualStart + clockOffsetMs(device.clock, systemClock)),
      });
  });
  return tap;
}
export type Tap = ReturnType<typeof tapRecords>;

export interface StoredPlay {
  seq: number;
  itemId: string;
  language: string;
  actualStartAt: number;
  variantSha256: string | null;
  playlistId: string;
  clockStatus: string;
}
interface Span {
  count: number;
  fromAt: number;
  toAt: number;
}

/** What the server stored for a device, read from its registry file. */
export function stored(serverDataDir: string, deviceId: string) {
  const db = openSqlite(join(serverDataDir, REGISTRY_DB), {
    synchronous: 'NORMAL',
    foreignKeys: false,
    busyTimeoutMs: 5000,
  });
  try {
    const plays: StoredPlay[] = [];
    const popGaps: Span[] = [];
    const rows = (sql: string) => db.prepare(sql).all(deviceId) as Record<string, unknown>[];
    for (const r of rows('SELECT seq, payload FROM pop_records WHERE device_id = ? ORDER BY seq')) {
      const p = JSON.parse(String(r['payload']));
      if (p.kind === 'gap') popGaps.push(p);
      else plays.push({ ...p, seq: Number(r['seq']) });
    }
    const health: number[] = [];
    const healthLost: Span[] = [];
    /** Times of the samples that carried a disk fault. */
    const healthDiskFault: number[] = [];
    for (const r of rows('SELECT at, payload FROM health_raw WHERE device_id = ?')) {
      health.push(Number(r['at']));
      const storage = JSON.parse(String(r['payload'])).storage;
      if (storage?.samplesLost) healthLost.push(storage.samplesLost);
      if (storage?.diskFault) healthDiskFault.push(Number(r['at']));
    }
    const events: { at: number; kind: string }[] = [];
    const eventsLost: Span[] = [];
    for (const r of rows('SELECT at, kind, payload FROM events WHERE device_id = ?')) {
      events.push({ at: Number(r['at']), kind: String(r['kind']) });
      if (r['kind'] === 'events-lost') eventsLost.push(JSON.parse(String(r['payload'])).data);
    }
    return { plays, popGaps, health, healthLost, healthDiskFault, events, eventsLost };
  } finally {
    db.close();
  }
}
export type Stored = ReturnType<typeof stored>;

/** Takes one matching record out of `pool`; false when there is none. */
function take<T>(pool: T[], match: (x: T) => boolean): boolean {
  const i = pool.findIndex(match);
  if (i < 0) return false;
  pool.splice(i, 1);
  return true;
}

/** Counts a record against a declared loss covering its time; false when none does. */
function declared(spans: Span[], at: number, slackMs: number): boolean {
  const s = spans.find((x) => x.count > 0 && at >= x.fromAt - slackMs && at <= x.toAt + slackMs);
  if (!s) return false;
  s.count--;
  return true;
}

/**
 * Each record the device produced is stored on the server, or covered by a loss the device declared
 * (a gap in the proof-of-play chain, `samplesLost` in a health sample, an `events-lost` event); the
 * rest were lost silently.
 */
export function account(tap: Tap, s: Stored) {
  const plays = [...s.plays];
  const health = [...s.health];
  const events = [...s.events];
  const gaps = {
    pop: s.popGaps.map((g) => ({ ...g })),
    health: s.healthLost.map((g) => ({ ...g })),
    event: s.eventsLost.map((g) => ({ ...g })),
  };
  const out = { stored: 0, declared: 0, silent: 0 };
  const count = (isStored: boolean, isDeclared: () => boolean) => {
    if (isStored) out.stored++;
    else if (isDeclared()) out.declared++;
    else out.silent++;
  };
  for (const p of tap.plays)
    count(
      take(
        plays,
        (x) => x.itemId === p.itemId && x.language === p.language && Math.abs(x.actualStartAt - p.at) <= 1500,
      ),
      () => declared(gaps.pop, p.at, 1500),
    );
  for (const at of tap.health)
    count(
      take(health, (x) => x === at),
      () => declared(gaps.health, at, 0),
    );
  for (const e of tap.events)
    count(
      take(events, (x) => x.at === e.at && x.kind === e.kind),
      () => declared(gaps.event, e.at, 0),
    );
  return out;
}

/** Waits until every record produced is stored or declared lost (or `timeoutMs`), then closes the tap. */
export async function settle(tap: Tap, serverDataDir: string, deviceId: string, timeoutMs: number) {
  tap.open = false;
  let a = account(tap, stored(serverDataDir, deviceId));
  await until(() => {
    a = account(tap, stored(serverDataDir, deviceId));
    return a.silent === 0;
  }, timeoutMs);
  return a;
}

/** "x plays, y health, z events: n stored, m declared lost (gap records), k lost silently". */
export function describeTally(tap: Tap, a: ReturnType<typeof account>): string {
  return `${tap.plays.length} plays + ${tap.health.length} health + ${tap.events.length} events produced: ${a.stored} stored, ${a.declared} declared lost in gap records, ${a.silent} lost silently`;
}

/**
 * Seconds the screen stayed without a new item beyond the item on air's own duration (1 s of
 * slack): from the items' actual starts, as the page reported them.
 */
export function darkBetween(starts: readonly { at: number; durationMs: number }[], toMs: number): number {
  let dark = 0;
  for (let i = 0; i < starts.length; i++) {
    const end = i + 1 < starts.length ? starts[i + 1]!.at : toMs;
    dark += Math.max(0, end - starts[i]!.at - starts[i]!.durationMs - 1000);
  }
  return dark / 1000;
}

/** Each item's actual start and planned duration, from now on. */
export function watchStarts(device: DeviceHandle) {
  const starts: { at: number; durationMs: number; playlistId: string; itemId: string; language: string }[] =
    [];
  device.daemon.onStarted((e) =>
    starts.push({
      at: e.actualStart,
      durationMs: e.item.durationMs,
      playlistId: e.item.playlistId,
      itemId: e.item.itemId,
      language: e.language,
    }),
  );
  return starts;
}
