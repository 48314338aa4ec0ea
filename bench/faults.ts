/**
 * `npm run bench -- faults`
 *
 * The fault suite: each scenario runs against the real parts on 127.0.0.1 — the sync server over a
 * registry file, the device's outbox and sync client over its SQLite file, or the whole daemon
 * (device/main.ts startDevice, headless Chromium) enrolled through the server's API — breaks one
 * thing, and checks what the issue promises for it. A scenario that needs what this machine lacks
 * (Chromium, root) is skipped with the reason printed. It ends with a table and one line:
 *   faults: <held> of <n> scenarios held (lost records <x>, dark seconds <y>, wrong plays <z>)
 * A benchmark, not a test: a scenario that does not hold is reported with what happened.
 *
 * Lost records: records the device produced (proof of play, health samples, events, noted as they
 * are handed on) that the server neither stored nor was told were lost (a gap record in the chain,
 * `samplesLost` in a health sample, an `events-lost` event). Dark seconds: time without a new item
 * beyond the item on air's own duration, from the actual starts the page reports; after a start,
 * beyond the normal start. Wrong plays: proof-of-play records naming a file's verified hash for a
 * showing while other bytes stood under that name (bench/faults-content.ts).
 *
 * The scenarios with a whole screen on a small disk are in bench/faults-disk.ts, those of damaged
 * files and a wrong clock in bench/faults-content.ts (each runs alone as `npm run bench -- faults-disk`
 * and so on); what they share is in bench/faults-lib.ts.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { identityKeyPath, loadIdentity } from '../device/identity.js';
import type { DeviceHandle } from '../device/main.js';
import { Outbox } from '../device/outbox/outbox.js';
import { openDeviceDb } from '../device/store/sqlite.js';
import { SyncClient } from '../device/sync/client.js';
import { trustedRootPath } from '../device/sync/enrol.js';
import { systemClock } from '../protocol/clock.js';
import { memoryLogger } from '../platform/log.js';
import { startServer } from '../tests/helpers/sync.js';
import { contentScenarios } from './faults-content.js';
import { diskScenarios } from './faults-disk.js';
import { enrolScreen, type Outcome, runScenarios, startScreenDaemon, until } from './faults-lib.js';
import { benchBundle, benchConfig, headlessDaemon } from './player-fixtures.worker.js';

/** The server goes away mid-stream and comes back on the same port: every record stored exactly once. */
async function serverOutage(dir: string): Promise<Outcome> {
  const scenario = 'server outage';
  let s = await startServer(dir);
  const port = Number(new URL(s.server.url).port);
  const e = await enrolScreen(s, join(dir, 'device'), '');
  const db = openDeviceDb(join(dir, 'device', 'device.db'), { synchronous: 'FULL' });
  const outbox = new Outbox(db, systemClock, memoryLogger('outbox'));
  outbox.start();
  const client = new SyncClient({
    serverUrl: s.server.url,
    deviceId: e.deviceId,
    identity: loadIdentity(join(dir, 'device')),
    appVersion: '0.1.0',
    outbox,
    handlers: {},
    refreshNow: () => undefined,
    clock: systemClock,
    log: memoryLogger('sync'),
    backoff: { baseMs: 50, maxMs: 500 },
  });
  client.start();
  const N = 600;
  let appended = 0;
  const append = () => {
    const at = Date.now();
    outbox.appendEvent({ at, kind: 'bench', level: 'info', message: `record ${appended + 1}` });
    appended++;
  };
  const outageMs = 3000;
  try {
    // A third before the outage, a third during it, a third after it.
    for (let i = 0; i < N / 3; i++) {
      append();
      await new Promise((r) => setTimeout(r, 5));
    }
    await s.server.stop();
    const downAt = Date.now();
    for (let i = 0; i < N / 3; i++) {
      append();
      await new Promise((r) => setTimeout(r, Math.ceil(outageMs / (N / 3))));
    }
    while (Date.now() - downAt < outageMs) await new Promise((r) => setTimeout(r, 20));
    s = await startServer(dir, { port });
    for (let i = 0; i < N / 3; i++) {
      append();
      await new Promise((r) => setTimeout(r, 5));
    }
    // Stored on the server, and the ack back on the device (it arrives a moment after the commit).
    const delivered = await until(
      () => s.server.registry.ingest.watermark(e.deviceId, 'event') >= N && outbox.stats().event.rows === 0,
      30_000,
    );
    const seqs = s.server.registry.ingest.seqs(e.deviceId, 'event');
    const stored = s.server.registry.ingest.countRecords(e.deviceId, 'event');
    const exact = seqs.length === N && seqs.every((q, i) => q === i + 1);
    const lost = N - new Set(seqs).size;
    return {
      scenario,
      held: delivered && exact && stored === N && outbox.stats().event.rows === 0,
      what: `${N} events, server down ${outageMs} ms: ${stored} rows stored, seqs ${exact ? '1..N each once' : 'NOT contiguous'}, ${outbox.stats().event.rows} left unacked on the device`,
      lostRecords: lost,
    };
  } finally {
    await client.stop();
    db.close();
    await s.server.stop();
  }
}

/** An enrolled screen whose device key is lost: it never mints a new identity, the server keeps the enrolled key. */
async function missingKey(dir: string, chromium: string): Promise<Outcome> {
  const scenario = 'missing device key';
  const s = await startServer(dir);
  let device: DeviceHandle | undefined;
  try {
    const e = await enrolScreen(s, join(dir, 'device'), chromium);
    const enrolledKey = (await s.api('GET', `/api/devices/${e.deviceId}`)).body['publicKey'];
    const keyPath = identityKeyPath(join(dir, 'device'));
    rmSync(keyPath);
    device = await startScreenDaemon(e.configPath);
    await new Promise((r) => setTimeout(r, 2000));
    const keyBack = existsSync(keyPath);
    const serverKey = (await s.api('GET', `/api/devices/${e.deviceId}`)).body['publicKey'];
    const devices = (await s.api('GET', '/api/devices')).body as unknown as
      unknown[] | { devices?: unknown[] };
    const count = Array.isArray(devices) ? devices.length : (devices.devices?.length ?? -1);
    const held = !keyBack && serverKey === enrolledKey && device.sync.syncClient === undefined && count === 1;
    return {
      scenario,
      held,
      what: `key file ${keyBack ? 'RE-CREATED' : 'still absent'}, server key ${serverKey === enrolledKey ? 'unchanged' : 'CHANGED'}, link ${device.sync.syncClient ? 'OPENED' : 'kept off'}, ${count} device(s) enrolled; technician notice: ${device.daemon.status().notice ? 'shown' : 'none'}`,
    };
  } finally {
    await device?.stop();
    await s.server.stop();
  }
}

/** The trust root is gone: the screen keeps playing, reports it, and the server raises the alert. */
async function missingTrustRoot(dir: string, chromium: string): Promise<Outcome> {
  const scenario = 'missing trust root';
  const s = await startServer(dir);
  let device: DeviceHandle | undefined;
  try {
    const e = await enrolScreen(s, join(dir, 'device'), chromium);
    rmSync(trustedRootPath(join(dir, 'device')));
    const t0 = Date.now();
    device = await startScreenDaemon(e.configPath);
    const raised = await until(
      () =>
        s.server.alerts.monitor.active.some(
          (a) => a.kind === 'trust-root-missing' && a.deviceId === e.deviceId && a.resolvedAt === null,
        ),
      20_000,
    );
    return {
      scenario,
      held: raised && device.update === undefined,
      what: raised
        ? `alert trust-root-missing raised ${((Date.now() - t0) / 1000).toFixed(1)} s after the daemon started; updates off`
        : 'NO alert within 20 s',
    };
  } finally {
    await device?.stop();
    await s.server.stop();
  }
}

/** Display commands on a screen without display control answer 'unsupported' with the reason, never ok. */
async function commandsWithoutDisplayControl(dir: string, chromium: string): Promise<Outcome> {
  const scenario = 'commands without display control';
  const s = await startServer(dir);
  let device: DeviceHandle | undefined;
  try {
    const e = await enrolScreen(s, join(dir, 'device'), chromium);
    device = await startScreenDaemon(e.configPath);
    await until(() => s.server.hub.isOnline(e.deviceId), 15_000);
    const answers: string[] = [];
    let held = true;
    for (const name of ['display-off', 'display-on']) {
      const c = await s.api('POST', `/api/devices/${e.deviceId}/commands`, { name });
      const id = String(c.body['id']);
      let cmd: Record<string, unknown> = {};
      await until(async () => {
        cmd = (await s.api('GET', `/api/commands/${id}`)).body;
        return ['ok', 'failed', 'unsupported', 'expired'].includes(String(cmd['state']));
      }, 15_000);
      answers.push(`${name}: ${String(cmd['state'])} (${String(cmd['message'] ?? '')})`);
      if (cmd['state'] !== 'unsupported' || !cmd['message']) held = false;
    }
    return { scenario, held, what: answers.join('; ') };
  } finally {
    await device?.stop();
    await s.server.stop();
  }
}

/** "Back within seconds": a killed browser's successor shows an item within this (a frozen one: after the stall limit). */
const KILL_BACK_S = 15;

/** Live processes in process group `pgid`, with their command lines. */
function processGroup(pgid: number): { pid: number; cmd: string; state: string }[] {
  const out: { pid: number; cmd: string; state: string }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) !== pgid || fields[0] === 'Z') continue;
      const cmd = readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ');
      out.push({ pid: Number(name), cmd, state: fields[0]! });
    } catch {
      // The process ended while it was read.
    }
  }
  return out;
}

/**
 * Chromium killed, then its renderers frozen with SIGSTOP: the supervisor brings an item back on air
 * within seconds and leaves no process of the old browser behind.
 */
async function chromiumFaults(dir: string, chromium: string): Promise<Outcome> {
  const scenario = 'Chromium killed, renderers stopped';
  const bundle = benchBundle(dir, 1000);
  const config = benchConfig(dir);
  const log = memoryLogger('daemon');
  // On air again: the page's own report of an item's first frame (a restored item included, which
  // proof of play rightly counts as the same showing going on).
  let lastOnAir = 0;
  const daemon = headlessDaemon({
    dir,
    config,
    bundle,
    log,
    chromium,
    onSupervisor: (s) =>
      s.onReport((r) => {
        if (r.type === 'started') lastOnAir = Math.max(lastOnAir, r.actualStart);
      }),
  });
  const browserPid = (): number | undefined => {
    const pid = log.records.filter((r) => r.msg === 'browser up').at(-1)?.fields?.['pid'];
    return typeof pid === 'number' ? pid : undefined;
  };
  const onAirAgainAfter = async (t: number, timeoutMs: number): Promise<number | undefined> =>
    (await until(() => lastOnAir > t, timeoutMs)) ? (lastOnAir - t) / 1000 : undefined;
  await daemon.start();
  const notes: string[] = [];
  let dark = 0;
  let held = true;
  try {
    if (!(await until(() => lastOnAir > 0 && browserPid() !== undefined, 30_000)))
      return { scenario, held: false, what: 'nothing went on air within 30 s of start' };
    // 1. The browser is killed.
    const first = browserPid()!;
    const killedAt = Date.now();
    process.kill(first, 'SIGKILL');
    const back1 = await onAirAgainAfter(killedAt, 30_000);
    const left1 = processGroup(first);
    notes.push(
      `SIGKILL browser: ${back1 === undefined ? 'NOT back within 30 s' : `back on air after ${back1.toFixed(1)} s`}, ${left1.length} process(es) of it left`,
    );
    if (back1 === undefined || back1 > KILL_BACK_S || left1.length > 0) held = false;
    dark += back1 ?? 30;
    // 2. Its successor's renderers are frozen.
    const second = browserPid()!;
    const renderers = processGroup(second).filter((p) => p.cmd.includes('--type=renderer'));
    const stoppedAt = Date.now();
    for (const r of renderers) process.kill(r.pid, 'SIGSTOP');
    const back2 = await onAirAgainAfter(stoppedAt, 60_000);
    const left2 = second === browserPid() ? [] : processGroup(second);
    notes.push(
      `SIGSTOP ${renderers.length} renderer(s): ${back2 === undefined ? 'NOT back within 60 s' : `back on air after ${back2.toFixed(1)} s`} (stall limit ${config.player.pageStallMs} ms), ${left2.length} process(es) of the frozen browser left${left2.length ? ` (${left2.map((p) => `${p.pid} ${p.state}`).join(', ')})` : ''}`,
    );
    if (
      renderers.length === 0 ||
      back2 === undefined ||
      back2 > config.player.pageStallMs / 1000 + KILL_BACK_S ||
      left2.length > 0
    )
      held = false;
    dark += back2 ?? 60;
    for (const p of left2) process.kill(p.pid, 'SIGKILL');
    return { scenario, held, what: notes.join('; '), darkSeconds: dark };
  } finally {
    await daemon.stop();
  }
}

export default function faults(): Promise<void> {
  return runScenarios([
    ['server outage', serverOutage, false],
    ['missing device key', missingKey],
    ['missing trust root', missingTrustRoot],
    ['commands without display control', commandsWithoutDisplayControl],
    ['Chromium killed, renderers stopped', chromiumFaults],
    ...diskScenarios,
    ...contentScenarios,
  ]);
}
