/**
 * GET /metrics through the real server: the process's own metrics (CPU, memory, event-loop lag, GC,
 * open file descriptors) beside the gatecast families, every line in the Prometheus text format,
 * and two servers in one process each with its own numbers.
 */
import { describe, expect, it } from 'vitest';
import { type Exposition, parseExposition } from '../../helpers/prometheus.js';
import { rawSocket, startServer, until } from '../../helpers/sync.js';
import { tempDir } from '../../helpers/temp.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';

const cleanups = cleanupsAfterEach();

async function scrape(url: string): Promise<{ contentType: string | null; m: Exposition }> {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  return { contentType: res.headers.get('content-type'), m: parseExposition(await res.text()) };
}

async function server() {
  const dir = tempDir('gc-metrics-');
  cleanups.push(dir.cleanup);
  const s = await startServer(dir.path);
  let stopped: Promise<void> | undefined;
  const stop = () => (stopped ??= s.server.stop());
  cleanups.push(stop);
  return { ...s, stop };
}

/** Every gatecast family the server exports, with its type and the label values it always shows. */
const GATECAST_FAMILIES: Record<string, { type: string; series: string[] }> = {
  gatecast_screens: {
    type: 'gauge',
    series: ['playing', 'offline', 'displayOff', 'error'].map((s) => `gatecast_screens{state="${s}"}`),
  },
  gatecast_ws_connections: { type: 'gauge', series: ['gatecast_ws_connections'] },
  gatecast_ws_authenticated: { type: 'gauge', series: ['gatecast_ws_authenticated'] },
  gatecast_ws_frames_received_total: { type: 'counter', series: ['gatecast_ws_frames_received_total'] },
  gatecast_ingest_batches_total: { type: 'counter', series: ['gatecast_ingest_batches_total'] },
  gatecast_ingest_records_total: { type: 'counter', series: ['gatecast_ingest_records_total'] },
  gatecast_pop_rejected_total: { type: 'counter', series: ['gatecast_pop_rejected_total'] },
  gatecast_ws_bad_frames_total: { type: 'counter', series: ['gatecast_ws_bad_frames_total'] },
  gatecast_ws_closed_for_abuse_total: { type: 'counter', series: ['gatecast_ws_closed_for_abuse_total'] },
  gatecast_commands: {
    type: 'gauge',
    series: ['queued', 'sent', 'acked', 'ok', 'failed', 'unsupported', 'expired'].map(
      (s) => `gatecast_commands{state="${s}"}`,
    ),
  },
  gatecast_outbox_acked_seq_sum: {
    type: 'counter',
    series: ['health', 'event', 'pop'].map((s) => `gatecast_outbox_acked_seq_sum{stream="${s}"}`),
  },
  gatecast_outbox_dropped_records: {
    type: 'gauge',
    series: ['health', 'event', 'pop'].map((s) => `gatecast_outbox_dropped_records{stream="${s}"}`),
  },
  gatecast_uptime_seconds: { type: 'gauge', series: ['gatecast_uptime_seconds'] },
};

describe('GET /metrics', () => {
  it('exports the process metrics (CPU, memory, event-loop lag, GC, open fds) beside the gatecast families', async () => {
    const cpuBefore = process.cpuUsage();
    const s = await server();
    const { contentType, m } = await scrape(s.server.url);
    expect(contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(m.types.get('process_cpu_user_seconds_total')).toBe('counter');
    expect(m.types.get('process_cpu_system_seconds_total')).toBe('counter');
    expect(m.types.get('process_resident_memory_bytes')).toBe('gauge');
    expect(m.types.get('process_open_fds')).toBe('gauge');
    expect(m.types.get('nodejs_eventloop_lag_seconds')).toBe('gauge');
    expect(m.types.get('nodejs_heap_size_used_bytes')).toBe('gauge');
    expect(m.types.get('nodejs_gc_duration_seconds')).toBe('histogram');
    // Live values, not placeholders: this process has used CPU, holds memory and open files.
    // The process's CPU time since it started, not since the collectors did.
    expect(m.samples.get('process_cpu_user_seconds_total')).toBeGreaterThanOrEqual(cpuBefore.user / 1e6);
    expect(m.samples.get('process_cpu_system_seconds_total')).toBeGreaterThanOrEqual(cpuBefore.system / 1e6);
    expect(m.samples.get('process_cpu_seconds_total')).toBeGreaterThanOrEqual(
      (cpuBefore.user + cpuBefore.system) / 1e6,
    );
    expect(m.samples.get('process_resident_memory_bytes')).toBeGreaterThan(1024 * 1024);
    expect(m.samples.get('process_open_fds')).toBeGreaterThan(2);
    expect(m.samples.get('nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
  });

  it('keeps every gatecast family with its type and labels, each series shown from the start', async () => {
    const s = await server();
    const { m } = await scrape(s.server.url);
    const gatecast = [...m.types.keys()].filter((n) => n.startsWith('gatecast_')).sort();
    expect(gatecast).toEqual(Object.keys(GATECAST_FAMILIES).sort());
    for (const [name, f] of Object.entries(GATECAST_FAMILIES)) {
      expect(m.types.get(name), name).toBe(f.type);
      const series = [...m.samples.keys()].filter((k) => k === name || k.startsWith(`${name}{`)).sort();
      expect(series, name).toEqual([...f.series].sort());
      // A fresh server: no screens, connections, frames or commands yet.
      if (name !== 'gatecast_uptime_seconds') for (const k of series) expect(m.samples.get(k), k).toBe(0);
    }
  });

  it('gives two servers in one process their own numbers, neither registering its metrics twice', async () => {
    const a = await server();
    const b = await server();
    const sock = await rawSocket(a.server.url);
    cleanups.push(() => sock.ws.terminate());
    const sample = async (url: string, key: string) => (await scrape(url)).m.samples.get(key);
    await until(async () => (await sample(a.server.url, 'gatecast_ws_connections')) === 1);
    expect(await sample(b.server.url, 'gatecast_ws_connections')).toBe(0);
    // An unknown device's hello: a frame received, then the connection refused.
    sock.sendJson({ type: 'hello', v: 1, deviceId: 'no-such-device', appVersion: 'raw' });
    await until(async () => (await sample(a.server.url, 'gatecast_ws_frames_received_total')) === 1);
    const ma = (await scrape(a.server.url)).m;
    const mb = (await scrape(b.server.url)).m;
    expect(mb.samples.get('gatecast_ws_frames_received_total')).toBe(0);
    // Both carry the process metrics (the same process), each family once (parseExposition checks).
    for (const m of [ma, mb]) expect(m.types.get('process_cpu_user_seconds_total')).toBe('counter');

    // A server started after another stopped starts again from its own zero.
    await a.stop();
    const c = await server();
    const mc = (await scrape(c.server.url)).m;
    expect(mc.samples.get('gatecast_ws_frames_received_total')).toBe(0);
    expect(mc.types.get('nodejs_eventloop_lag_seconds')).toBe('gauge');
  });
});
