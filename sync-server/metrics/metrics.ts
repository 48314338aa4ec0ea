/**
 * Operations endpoints: Prometheus metrics at GET /metrics (prom-client, text exposition format
 * 0.0.4) and GET /api/health (no auth: database ok, uptime, version; the provisioning selftest
 * calls it).
 *
 * Each server has its own metric registry (tests run several servers in one process, and the
 * global default registry would mix their numbers or refuse a second registration). The process's
 * own metrics (CPU, memory, event-loop lag, GC, open fds) are collected once per process and
 * registered in each server's registry: they describe the process, whichever server is asked (the
 * event-loop delay figures cover the time since the last scrape of any of them).
 */
import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Counter, Gauge, type Metric, Registry as MetricRegistry } from 'prom-client';
import { packageVersion } from '../../platform/package-version.js';
import type { Clock } from '../../protocol/clock.js';
import type { Logger } from '../../platform/log.js';
import { type ScreenState, SCREEN_STATES } from '../fleet/fleet-state.js';
import type { Registry } from '../registry/registry.js';
import type { DeviceHub, HubStats } from '../ingest/ws-hub.js';

const COMMAND_STATES = ['queued', 'sent', 'acked', 'ok', 'failed', 'unsupported', 'expired'] as const;
const STREAMS = ['health', 'event', 'pop'] as const;

/** Where the gatecast metrics read their values, at each scrape. */
export interface MetricSources {
  fleetStates: () => Iterable<ScreenState>;
  hubStats: () => Readonly<HubStats>;
  commandsByState: () => Record<string, number>;
  /** Per stream, over all devices: acknowledged outbox watermarks and records declared dropped. */
  streamTotals: () => {
    ackedSeqByStream: Record<string, number>;
    gapRecordsByStream: Record<string, number>;
  };
  uptimeS: () => number;
}

let processMetrics: MetricRegistry | undefined;

/**
 * The process metrics, collected once: prom-client's default collectors start an event-loop delay
 * monitor and a GC observer that nothing can stop, so collecting them per server would leave one of
 * each running for every server a test process ever started.
 */
function processMetricList(): Metric[] {
  if (!processMetrics) {
    processMetrics = new MetricRegistry();
    const before = process.cpuUsage();
    collectDefaultMetrics({ register: processMetrics });
    // prom-client counts CPU time from its collector's creation; the process's total includes what
    // it spent before (loading, migrations). `before` is read first: the sum can only fall short by
    // the microseconds between the two reads, never exceed the truth.
    const seed: Record<string, number> = {
      process_cpu_user_seconds_total: before.user,
      process_cpu_system_seconds_total: before.system,
      process_cpu_seconds_total: before.user + before.system,
    };
    for (const [name, micros] of Object.entries(seed)) {
      const counter = processMetrics.getSingleMetric(name);
      if (!(counter instanceof Counter)) throw new Error(`prom-client has no counter ${name}`);
      counter.inc(micros / 1e6);
    }
  }
  const from = processMetrics;
  return from.getMetricsAsArray().map(({ name }) => from.getSingleMetric(name)!);
}

interface Series<L extends string> {
  labels: Record<L, string>;
  value: number;
}

/**
 * A counter over a running total kept elsewhere (the hub's stats, the registry's watermarks): each
 * scrape adds what the total gained since the highest value seen, so the counter never goes down,
 * even if its source did.
 */
function totalCounter<L extends string>(
  registry: MetricRegistry,
  name: string,
  help: string,
  labelNames: readonly L[],
  read: () => Series<L>[],
): void {
  const highest = new Map<string, number>();
  new Counter<L>({
    name,
    help,
    labelNames,
    registers: [registry],
    collect() {
      for (const { labels, value } of read()) {
        const key = JSON.stringify(labels);
        const before = highest.get(key) ?? 0;
        // inc by 0 too: the series shows from the first scrape.
        this.inc(labels, Math.max(0, value - before));
        highest.set(key, Math.max(before, value));
      }
    },
  });
}

function hubCounter(
  registry: MetricRegistry,
  s: MetricSources,
  name: string,
  help: string,
  stat: keyof HubStats,
): void {
  totalCounter(registry, name, help, [], () => [{ labels: {}, value: s.hubStats()[stat] }]);
}

/** The server's metric registry: the process metrics and the gatecast families over `s`. */
export function createServerMetrics(s: MetricSources): MetricRegistry {
  const registry = new MetricRegistry();
  for (const metric of processMetricList()) registry.registerMetric(metric);
  new Gauge({
    name: 'gatecast_screens',
    help: 'Screens by state (playing, offline, displayOff, error).',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const counts: Record<ScreenState, number> = { playing: 0, offline: 0, displayOff: 0, error: 0 };
      for (const state of s.fleetStates()) counts[state]++;
      for (const state of SCREEN_STATES) this.set({ state }, counts[state]);
    },
  });
  new Gauge({
    name: 'gatecast_ws_connections',
    help: 'Open device WebSocket connections.',
    registers: [registry],
    collect() {
      this.set(s.hubStats().connections);
    },
  });
  new Gauge({
    name: 'gatecast_ws_authenticated',
    help: 'Authenticated device connections.',
    registers: [registry],
    collect() {
      this.set(s.hubStats().authenticated);
    },
  });
  hubCounter(
    registry,
    s,
    'gatecast_ws_frames_received_total',
    'Frames received from devices.',
    'framesReceived',
  );
  hubCounter(registry, s, 'gatecast_ingest_batches_total', 'Outbox batches stored.', 'batchesStored');
  hubCounter(registry, s, 'gatecast_ingest_records_total', 'Outbox records stored.', 'recordsStored');
  hubCounter(
    registry,
    s,
    'gatecast_pop_rejected_total',
    'Proof-of-play records that failed their signature check at ingest (stored, marked, not counted).',
    'popBadSignatures',
  );
  hubCounter(registry, s, 'gatecast_ws_bad_frames_total', 'Malformed frames received.', 'badFrames');
  hubCounter(
    registry,
    s,
    'gatecast_ws_closed_for_abuse_total',
    'Connections closed for abuse.',
    'closedForAbuse',
  );
  new Gauge({
    name: 'gatecast_commands',
    help: 'Commands by state; queued and sent are the pending queue.',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const byState = s.commandsByState();
      for (const state of COMMAND_STATES) this.set({ state }, byState[state] ?? 0);
    },
  });
  // Read from the database, yet a counter: a device's watermark only moves up and no stream_state row
  // is ever deleted (a restore goes into a fresh data directory), so the sum only grows.
  totalCounter(
    registry,
    'gatecast_outbox_acked_seq_sum',
    'Sum over devices of the acknowledged outbox watermark, per stream.',
    ['stream'],
    () => {
      const acked = s.streamTotals().ackedSeqByStream;
      return STREAMS.map((stream) => ({ labels: { stream }, value: acked[stream] ?? 0 }));
    },
  );
  new Gauge({
    name: 'gatecast_outbox_dropped_records',
    help: 'Records devices declared dropped before sending, per stream.',
    labelNames: ['stream'],
    registers: [registry],
    collect() {
      const gaps = s.streamTotals().gapRecordsByStream;
      for (const stream of STREAMS) this.set({ stream }, gaps[stream] ?? 0);
    },
  });
  new Gauge({
    name: 'gatecast_uptime_seconds',
    help: 'Seconds since the server started.',
    registers: [registry],
    collect() {
      this.set(s.uptimeS());
    },
  });
  return registry;
}

export interface OpsRoutesOptions {
  registry: Registry;
  hub: DeviceHub;
  clock: Clock;
  log: Logger;
  startedAtMs: number;
  /** States of the fleet (the dashboard's live view). */
  fleetStates: () => Iterable<ScreenState>;
  /** When set, /metrics needs `Authorization: Bearer <token>`. */
  metricsToken?: string | undefined;
}

const METRICS_ROUTE = {
  config: { access: 'metrics-token' },
  schema: { summary: 'Prometheus metrics' },
} as const;
const HEALTH_ROUTE = {
  config: { access: 'public' },
  schema: { summary: 'Liveness: database, uptime, version' },
} as const;

/** Registers /metrics and /api/health on the root app (outside the session-guarded scope). */
export function registerOpsRoutes(app: FastifyInstance, o: OpsRoutesOptions): void {
  const version = packageVersion() ?? '0.0.0';
  const uptimeS = () => Math.floor((o.clock.now() - o.startedAtMs) / 1000);
  const metrics = createServerMetrics({
    fleetStates: o.fleetStates,
    hubStats: () => o.hub.stats,
    commandsByState: () => o.registry.commands.countByState(),
    streamTotals: () => o.registry.ingest.streamTotals(),
    uptimeS,
  });
  // 'metrics-token': the server's guard asks for the token (the server refuses to listen beyond
  // loopback without one, so an open /metrics is only ever reachable from this machine).
  app.get('/metrics', METRICS_ROUTE, async (_request, reply) => {
    return reply.type(metrics.contentType).send(await metrics.metrics());
  });
  app.get('/api/health', HEALTH_ROUTE, async (_request, reply) => {
    let dbOk = false;
    try {
      dbOk = o.registry.ping();
    } catch (err) {
      o.log.error('health check: registry unreadable', { err });
    }
    return reply.code(dbOk ? 200 : 503).send({
      // `ok` is what the provisioning selftest reads.
      ok: dbOk,
      status: dbOk ? 'ok' : 'degraded',
      db: dbOk ? 'ok' : 'error',
      uptimeS: uptimeS(),
      version,
      serverTimeMs: o.clock.now(),
    });
  });
}
