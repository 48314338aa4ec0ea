/**
 * `npm run bench -- fleet [--devices N] [--heartbeat-s S] [--step-ms MS]`
 *
 * A fleet simulator in a second process (bench/fleet.worker.ts) opens N authenticated device
 * connections on loopback to the real sync server (registry on a real SQLite file) running in this
 * process, pinned to one core with taskset when present (the simulator gets the other core).
 * 1. Heartbeats accelerated to 1 s: p99 ingest latency, send → ack; the server acks a record only
 *    after its transaction commits, so this is send → stored plus the ack's trip back.
 * 2. Offered rate raised step by step until saturation: records/s stored and acked.
 * The same two phases then run against a bare ws server (same process, same core) that only
 * JSON-parses each frame and answers the same ack, as the baseline. Memory per connection is
 * measured on both after connecting (RSS and heap, after a full GC).
 */
import { execFileSync, fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { WebSocketServer } from 'ws';
import { systemClock } from '../protocol/clock.js';
import { memoryLogger, setLogLevel } from '../platform/log.js';
import { parseServerConfig } from '../sync-server/config/config.js';
import { SyncServer } from '../sync-server/main.js';
import { positiveArg, resultLine } from './lib.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function pin(pid: number, core: number): boolean {
  try {
    execFileSync('taskset', ['-a', '-pc', String(core), String(pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function memory() {
  gc();
  gc();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed + m.external + m.arrayBuffers };
}

type Reply = { ok: boolean; result?: unknown; error?: string };

/** A latency for the log; a step without a single ack has none (NaN arrives over IPC as null). */
const ms = (v: number | null): string => (v === null || !Number.isFinite(v) ? 'n/a' : v.toFixed(1));

export default async function fleet(args: string[]): Promise<void> {
  const devices = positiveArg(args, 'devices', 10_000);
  const heartbeatS = positiveArg(args, 'heartbeat-s', 15);
  const stepMs = positiveArg(args, 'step-ms', 4000);
  const rates = [2_000, 4_000, 8_000, 16_000, 32_000, 64_000];
  setLogLevel('warn');

  // The simulator starts already pinned to core 1 (taskset wrapping node): re-pinning a running
  // node process's threads was seen to wedge it on this machine.
  const hasTaskset = (() => {
    try {
      execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  const workerPath = fileURLToPath(new URL('./fleet.worker.js', import.meta.url));
  const worker = hasTaskset
    ? fork(workerPath, [], { stdio: 'inherit', execPath: 'taskset', execArgv: ['-c', '1', process.execPath] })
    : fork(workerPath, [], { stdio: 'inherit' });
  const replies: ((r: Reply) => void)[] = [];
  worker.on('message', (r: Reply) => replies.shift()?.(r));
  const ready = new Promise<Reply>((r) => replies.push(r));
  await ready;
  const call = <T>(cmd: Record<string, unknown>): Promise<T> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`simulator did not answer ${String(cmd['cmd'])} in 5 min`)),
        300_000,
      );
      replies.push((r) => {
        clearTimeout(timer);
        if (r.ok) resolve(r.result as T);
        else reject(new Error(r.error));
      });
      worker.send(cmd);
    });

  const pinned = hasTaskset && pin(process.pid, 0);
  process.stdout.write(
    `fleet: ${devices} devices; server ${pinned ? 'pinned to core 0, simulator to core 1 (taskset)' : 'not pinned (no taskset)'}\n`,
  );

  const keys: { id: string; publicKey: string }[] = [];
  for (let done = 0; done < devices; done += 1000) {
    const chunk = await call<{ keys: { id: string; publicKey: string }[] }>({
      cmd: 'keys',
      n: Math.min(1000, devices - done),
    });
    keys.push(...chunk.keys);
  }

  // --- the sync server ---
  const dir = mkdtempSync(join(tmpdir(), 'gatecast-fleet-'));
  const rootFile = join(dir, 'root.json');
  writeFileSync(rootFile, JSON.stringify({ signed: { _type: 'root' }, signatures: [] }));
  const config = parseServerConfig({
    dataDir: join(dir, 'server'),
    port: 0,
    opsToken: 'bench-ops-token-0123456789abcdef',
    trustedRootFile: rootFile,
    gates: [{ siteGroup: 'kien-giang/ha-tien', name: 'Hà Tiên', languages: ['vi'] }],
    // The load generator sends far above a device's normal rate: lift the per-device flood limit.
    // Its whole fleet connects from one loopback address: lift the unauthenticated-connection caps.
    ws: {
      rateLimitPerSecond: 10_000,
      rateLimitBurst: 100_000,
      authTimeoutMs: 120_000,
      maxUnauthenticatedPerAddress: 100_000,
      maxUnauthenticated: 100_000,
    },
    logLevel: 'warn',
  });
  const log = memoryLogger('bench');
  const server = new SyncServer(config, { clock: systemClock, log });
  await server.start();
  server.registry.devices.addMany(
    keys.map((k) => ({
      id: k.id,
      siteGroup: 'kien-giang/ha-tien',
      screenName: k.id,
      publicKey: k.publicKey,
      nowMs: Date.now(),
    })),
  );

  const before = memory();
  const conn = await call<{ connected: number; failed: number; ms: number }>({
    cmd: 'connect',
    url: server.url,
    mode: 'sync',
    concurrency: 200,
  });
  const after = memory();
  process.stdout.write(`sync server: ${conn.connected} connected (${conn.failed} failed) in ${conn.ms} ms\n`);
  const syncMem = {
    rss: (after.rss - before.rss) / conn.connected,
    heap: (after.heap - before.heap) / conn.connected,
  };
  const syncHb = await call<{
    sent: number;
    acked: number;
    unacked: number;
    p50: number;
    p99: number;
    max: number;
  }>({
    cmd: 'heartbeat',
    seconds: heartbeatS,
    intervalMs: 1000,
  });
  process.stdout.write(
    `sync heartbeat 1 s: sent ${syncHb.sent}, stored+acked ${syncHb.acked}, unacked ${syncHb.unacked}; latency p50 ${ms(syncHb.p50)} ms, p99 ${ms(syncHb.p99)} ms, max ${ms(syncHb.max)} ms\n`,
  );
  const syncSat = await call<{
    steps: { rate: number; offeredPerS: number; ackedPerS: number; skippedPerS: number; p99: number }[];
  }>({
    cmd: 'saturate',
    rates,
    stepMs,
    maxInFlight: 4,
  });
  for (const s of syncSat.steps) {
    process.stdout.write(
      `  sync offered ${s.offeredPerS}/s (target ${s.rate}) → stored ${s.ackedPerS}/s, p99 ${ms(s.p99)} ms\n`,
    );
  }
  const stats = { ...server.hub.stats };
  await call({ cmd: 'close' });
  await server.stop();

  // --- the bare ws baseline: parse JSON, answer an ack ---
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  let parsed = 0;
  wss.on('connection', (ws) => {
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as { stream?: string; records?: { seq: number }[] };
      parsed++;
      if (m.records?.length)
        ws.send(
          JSON.stringify({
            type: 'ack',
            v: 1,
            stream: m.stream,
            uptoSeq: m.records[m.records.length - 1]!.seq,
          }),
        );
    });
  });
  const bareUrl = `http://127.0.0.1:${(wss.address() as { port: number }).port}`;
  const bBefore = memory();
  const bConn = await call<{ connected: number; failed: number; ms: number }>({
    cmd: 'connect',
    url: bareUrl,
    mode: 'bare',
    concurrency: 200,
  });
  const bAfter = memory();
  const bareMem = {
    rss: (bAfter.rss - bBefore.rss) / bConn.connected,
    heap: (bAfter.heap - bBefore.heap) / bConn.connected,
  };
  const bareHb = await call<{ sent: number; acked: number; p50: number; p99: number }>({
    cmd: 'heartbeat',
    seconds: heartbeatS,
    intervalMs: 1000,
  });
  process.stdout.write(
    `bare ws: ${bConn.connected} connected; heartbeat p50 ${ms(bareHb.p50)} ms, p99 ${ms(bareHb.p99)} ms (${bareHb.acked} acked)\n`,
  );
  const bareSat = await call<{
    steps: { rate: number; offeredPerS: number; ackedPerS: number; p99: number }[];
  }>({
    cmd: 'saturate',
    rates,
    stepMs,
    maxInFlight: 4,
  });
  for (const s of bareSat.steps) {
    process.stdout.write(
      `  bare offered ${s.offeredPerS}/s (target ${s.rate}) → parsed+acked ${s.ackedPerS}/s, p99 ${ms(s.p99)} ms\n`,
    );
  }
  await call({ cmd: 'close' });
  worker.kill();
  for (const c of wss.clients) c.terminate();
  await new Promise<void>((r) => wss.close(() => r()));
  rmSync(dir, { recursive: true, force: true });

  const syncRate = Math.max(...syncSat.steps.map((s) => s.ackedPerS));
  const bareRate = Math.max(...bareSat.steps.map((s) => s.ackedPerS));
  process.stdout.write(
    `memory per connection: sync server RSS ${(syncMem.rss / 1024).toFixed(1)} KiB, heap ${(syncMem.heap / 1024).toFixed(1)} KiB; bare ws RSS ${(bareMem.rss / 1024).toFixed(1)} KiB, heap ${(bareMem.heap / 1024).toFixed(1)} KiB\n`,
  );
  process.stdout.write(
    `sync server totals: ${stats.recordsStored} records in ${stats.batchesStored} batches, ${stats.badFrames} bad frames; parsed by bare: ${parsed}\n`,
  );
  process.stdout.write(`p99 ingest latency at 1 s heartbeats: ${ms(syncHb.p99)} ms (goal ≤ 50 ms)\n`);
  resultLine(
    'fleet',
    syncRate,
    'records/s stored',
    bareRate,
    `≥ 0.5× bare ws; p99 ${ms(syncHb.p99)} ms ≤ 50 ms`,
  );
}
