/**
 * Fleet simulator for bench/fleet.ts, run as a second process (child_process.fork). Holds N device
 * connections on loopback, authenticates them like real devices, sends health batches and measures
 * send → ack latency (the server acks only after the record is committed). Driven over IPC.
 */
import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { authPayload, DEVICE_WS_PATH, serverOrigin } from '../protocol/messages.js';
import { healthAt } from '../tests/helpers/health.js';

interface Dev {
  id: string;
  key: KeyObject;
  ws?: WebSocket;
  seq: number;
  /** send times of unacked seqs, in order */
  pending: { seq: number; t: number }[];
  ready: boolean;
}

type Cmd =
  | { cmd: 'keys'; n: number }
  | { cmd: 'connect'; url: string; mode: 'sync' | 'bare'; concurrency: number }
  | { cmd: 'heartbeat'; seconds: number; intervalMs: number }
  | { cmd: 'saturate'; rates: number[]; stepMs: number; maxInFlight: number }
  | { cmd: 'close' };

const devs: Dev[] = [];
let latencies: number[] = [];
let acked = 0;

/** A health report that differs from device to device, as a fleet's would. */
const health = (at: number, i: number) => healthAt(at, { uptimeS: 1000 + i, cpuTempC: 45 + (i % 10) });

function onFrame(d: Dev, data: WebSocket.RawData, url: string, resolveReady: () => void): void {
  const m = JSON.parse(String(data)) as { type: string; nonce?: string; uptoSeq?: number };
  if (m.type === 'challenge') {
    const sig = sign(null, authPayload(m.nonce!, d.id, serverOrigin(url)), d.key).toString('base64url');
    d.ws!.send(JSON.stringify({ type: 'auth', v: 1, deviceId: d.id, nonce: m.nonce, signature: sig }));
  } else if (m.type === 'welcome') {
    d.ready = true;
    resolveReady();
  } else if (m.type === 'ack') {
    const now = performance.now();
    while (d.pending.length && d.pending[0]!.seq <= m.uptoSeq!) {
      latencies.push(now - d.pending.shift()!.t);
      acked++;
    }
  }
}

function connectOne(d: Dev, url: string, mode: 'sync' | 'bare'): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}${DEVICE_WS_PATH}`, { perMessageDeflate: false });
    d.ws = ws;
    d.ready = false;
    d.pending = [];
    let done = false;
    const finish = (ok: boolean) => {
      if (!done) {
        done = true;
        resolve(ok);
      }
    };
    ws.on('open', () => {
      if (mode === 'bare') {
        d.ready = true;
        finish(true);
      } else ws.send(JSON.stringify({ type: 'hello', v: 1, deviceId: d.id, appVersion: 'bench' }));
    });
    ws.on('message', (data) => onFrame(d, data, url, () => finish(true)));
    ws.on('error', () => finish(false));
    ws.on('close', () => {
      d.ready = false;
      finish(false);
    });
  });
}

function sendOne(d: Dev): void {
  d.seq++;
  const at = Date.now();
  const frame = JSON.stringify({
    type: 'batch',
    v: 1,
    stream: 'health',
    fromSeq: d.pending.length ? d.pending[0]!.seq : d.seq,
    records: [{ seq: d.seq, at, payload: health(at, d.seq) }],
  });
  d.pending.push({ seq: d.seq, t: performance.now() });
  d.ws!.send(frame);
}

const pct = (v: number[], p: number) => {
  if (!v.length) return Number.NaN;
  const s = Float64Array.from(v).sort();
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
};

async function run(c: Cmd): Promise<unknown> {
  switch (c.cmd) {
    case 'keys': {
      // Called in chunks: one IPC message with 10k keys stalls the channel.
      const from = devs.length;
      const out: { id: string; publicKey: string }[] = [];
      for (let i = from; i < from + c.n; i++) {
        const { privateKey, publicKey } = generateKeyPairSync('ed25519');
        const id = `gc-bench-${String(i).padStart(6, '0')}`;
        devs.push({ id, key: privateKey, seq: 0, pending: [], ready: false });
        out.push({ id, publicKey: publicKey.export({ format: 'jwk' }).x! });
      }
      return { keys: out };
    }
    case 'connect': {
      const t0 = performance.now();
      let next = 0;
      let ok = 0;
      let failed = 0;
      await Promise.all(
        Array.from({ length: c.concurrency }, async () => {
          while (next < devs.length) {
            const d = devs[next++]!;
            if (await connectOne(d, c.url, c.mode)) ok++;
            else failed++;
          }
        }),
      );
      return { connected: ok, failed, ms: Math.round(performance.now() - t0) };
    }
    case 'heartbeat': {
      latencies = [];
      acked = 0;
      const live = devs.filter((d) => d.ready);
      const end = performance.now() + c.seconds * 1000;
      let sent = 0;
      // Each device sends every intervalMs, staggered evenly across the interval.
      const tickMs = 10;
      const perTick = (live.length * tickMs) / c.intervalMs;
      let carry = 0;
      let idx = 0;
      await new Promise<void>((resolve) => {
        const t = setInterval(() => {
          if (performance.now() >= end) {
            clearInterval(t);
            resolve();
            return;
          }
          carry += perTick;
          while (carry >= 1) {
            carry--;
            const d = live[idx++ % live.length]!;
            if (d.ready) {
              sendOne(d);
              sent++;
            }
          }
        }, tickMs);
      });
      await new Promise((r) => setTimeout(r, 1500)); // let the last acks arrive
      const unacked = live.reduce((a, d) => a + d.pending.length, 0);
      return {
        sent,
        acked,
        unacked,
        p50: pct(latencies, 50),
        p99: pct(latencies, 99),
        max: pct(latencies, 100),
      };
    }
    case 'saturate': {
      const live = devs.filter((d) => d.ready);
      const steps = [];
      for (const rate of c.rates) {
        latencies = [];
        acked = 0;
        let offered = 0;
        let skipped = 0;
        const tickMs = 5;
        const perTick = (rate * tickMs) / 1000;
        let carry = 0;
        let idx = 0;
        const t0 = performance.now();
        const end = t0 + c.stepMs;
        await new Promise<void>((resolve) => {
          const t = setInterval(() => {
            if (performance.now() >= end) {
              clearInterval(t);
              resolve();
              return;
            }
            carry += perTick;
            let budget = live.length;
            while (carry >= 1 && budget-- > 0) {
              const d = live[idx++ % live.length]!;
              if (!d.ready) continue;
              carry--;
              if (d.pending.length >= c.maxInFlight) {
                skipped++;
                continue;
              }
              sendOne(d);
              offered++;
            }
            if (carry > perTick * 4) carry = perTick * 4; // the generator itself fell behind: do not burst
          }, tickMs);
        });
        const secs = (performance.now() - t0) / 1000;
        steps.push({
          rate,
          offeredPerS: Math.round(offered / secs),
          ackedPerS: Math.round(acked / secs),
          skippedPerS: Math.round(skipped / secs),
          p99: pct(latencies, 99),
        });
        // Drain before the next step so each step starts clean.
        const drainEnd = performance.now() + 5000;
        while (live.some((d) => d.pending.length) && performance.now() < drainEnd)
          await new Promise((r) => setTimeout(r, 50));
      }
      return { steps };
    }
    case 'close': {
      for (const d of devs) d.ws?.terminate();
      await new Promise((r) => setTimeout(r, 200));
      return { closed: true };
    }
  }
}

process.on('message', (c: Cmd) => {
  run(c).then(
    (r) => process.send!({ ok: true, result: r }),
    (err: Error) => process.send!({ ok: false, error: err.stack ?? String(err) }),
  );
});
process.send!({ ok: true, result: 'ready' });
