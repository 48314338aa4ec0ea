/**
 * Operations endpoints: Prometheus metrics at GET /metrics (text exposition format 0.0.4, written
 * here: a dozen gauges and counters need no library) and GET /api/health (no auth: database ok,
 * uptime, version; the provisioning selftest calls it).
 */
import type { FastifyInstance } from 'fastify';
import { packageVersion } from '../../platform/package-version.js';
import type { Clock } from '../../protocol/clock.js';
import type { Logger } from '../../platform/log.js';
import { type ScreenState, SCREEN_STATES } from '../fleet/fleet-state.js';
import type { Registry } from '../registry/registry.js';
import type { DeviceHub } from '../ingest/ws-hub.js';

export interface MetricSample {
  name: string;
  help: string;
  type: 'gauge' | 'counter';
  values: { labels?: Record<string, string>; value: number }[];
}

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

/** Renders metric families in the Prometheus text format. */
export function renderMetrics(families: readonly MetricSample[]): string {
  const out: string[] = [];
  for (const f of families) {
    out.push(`# HELP ${f.name} ${f.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
    out.push(`# TYPE ${f.name} ${f.type}`);
    for (const v of f.values) {
      const labels = v.labels
        ? `{${Object.entries(v.labels)
            .map(([k, x]) => `${k}="${escapeLabel(x)}"`)
            .join(',')}}`
        : '';
      out.push(`${f.name}${labels} ${Number.isFinite(v.value) ? v.value : 'NaN'}`);
    }
  }
  return `${out.join('\n')}\n`;
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

export function collectMetrics(o: OpsRoutesOptions): MetricSample[] {
  const counts: Record<ScreenState, number> = { playing: 0, offline: 0, displayOff: 0, error: 0 };
  for (const s of o.fleetStates()) counts[s]++;
  const q = { commandsByState: o.registry.commands.countByState(), ...o.registry.ingest.streamTotals() };
  const st = o.hub.stats;
  return [
    {
      name: 'gatecast_screens',
      help: 'Screens by state (playing, offline, displayOff, error).',
      type: 'gauge',
      values: SCREEN_STATES.map((s) => ({ labels: { state: s }, value: counts[s] })),
    },
    {
      name: 'gatecast_ws_connections',
      help: 'Open device WebSocket connections.',
      type: 'gauge',
      values: [{ value: st.connections }],
    },
    {
      name: 'gatecast_ws_authenticated',
      help: 'Authenticated device connections.',
      type: 'gauge',
      values: [{ value: st.authenticated }],
    },
    {
      name: 'gatecast_ws_frames_received_total',
      help: 'Frames received from devices.',
      type: 'counter',
      values: [{ value: st.framesReceived }],
    },
    {
      name: 'gatecast_ingest_batches_total',
      help: 'Outbox batches stored.',
      type: 'counter',
      values: [{ value: st.batchesStored }],
    },
    {
      name: 'gatecast_ingest_records_total',
      help: 'Outbox records stored.',
      type: 'counter',
      values: [{ value: st.recordsStored }],
    },
    {
      name: 'gatecast_pop_rejected_total',
      help: 'Proof-of-play records that failed their signature check at ingest (stored, marked, not counted).',
      type: 'counter',
      values: [{ value: st.popBadSignatures }],
    },
    {
      name: 'gatecast_ws_bad_frames_total',
      help: 'Malformed frames received.',
      type: 'counter',
      values: [{ value: st.badFrames }],
    },
    {
      name: 'gatecast_ws_closed_for_abuse_total',
      help: 'Connections closed for abuse.',
      type: 'counter',
      values: [{ value: st.closedForAbuse }],
    },
    {
      name: 'gatecast_commands',
      help: 'Commands by state; queued and sent are the pending queue.',
      type: 'gauge',
      values: ['queued', 'sent', 'acked', 'ok', 'failed', 'unsupported', 'expired'].map((s) => ({
        labels: { state: s },
        value: q.commandsByState[s] ?? 0,
      })),
    },
    {
      name: 'gatecast_outbox_acked_seq_sum',
      help: 'Sum over devices of the acknowledged outbox watermark, per stream.',
      type: 'counter',
      values: ['health', 'event', 'pop'].map((s) => ({
        labels: { stream: s },
        value: q.ackedSeqByStream[s] ?? 0,
      })),
    },
    {
      name: 'gatecast_outbox_dropped_records',
      help: 'Records devices declared dropped before sending, per stream.',
      type: 'gauge',
      values: ['health', 'event', 'pop'].map((s) => ({
        labels: { stream: s },
        value: q.gapRecordsByStream[s] ?? 0,
      })),
    },
    {
      name: 'gatecast_uptime_seconds',
      help: 'Seconds since the server started.',
      type: 'gauge',
      values: [{ value: Math.floor((o.clock.now() - o.startedAtMs) / 1000) }],
    },
  ];
}

/** Registers /metrics and /api/health on the root app (outside the session-guarded scope). */
export function registerOpsRoutes(app: FastifyInstance, o: OpsRoutesOptions): void {
  const version = packageVersion() ?? '0.0.0';
  // 'metrics-token': the server's guard asks for the token (the server refuses to listen beyond
  // loopback without one, so an open /metrics is only ever reachable from this machine).
  app.get('/metrics', { config: { access: 'metrics-token' } }, async (_request, reply) => {
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(renderMetrics(collectMetrics(o)));
  });
  app.get('/api/health', { config: { access: 'public' } }, async (_request, reply) => {
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
      uptimeS: Math.floor((o.clock.now() - o.startedAtMs) / 1000),
      version,
      serverTimeMs: o.clock.now(),
    });
  });
}
