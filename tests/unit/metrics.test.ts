import { describe, expect, it } from 'vitest';
import type { ScreenState } from '../../sync-server/fleet/fleet-state.js';
import type { HubStats } from '../../sync-server/ingest/ws-hub.js';
import { createServerMetrics, type MetricSources } from '../../sync-server/metrics/metrics.js';

function sources() {
  const stats: HubStats = {
    connections: 0,
    authenticated: 0,
    batchesStored: 0,
    recordsStored: 0,
    badFrames: 0,
    closedForAbuse: 0,
    quarantined: 0,
    framesReceived: 0,
    refusedUnauthenticated: 0,
    popBadSignatures: 0,
  };
  const acked: Record<string, number> = {};
  const states: ScreenState[] = [];
  const s: MetricSources = {
    fleetStates: () => states,
    hubStats: () => stats,
    commandsByState: () => ({ queued: 2, expired: 1 }),
    streamTotals: () => ({ ackedSeqByStream: acked, gapRecordsByStream: { pop: 4 } }),
    uptimeS: () => 42,
  };
  return { s, stats, acked, states };
}

/** `name{labels} value` lines of the exposition, as a map. */
async function samples(registry: ReturnType<typeof createServerMetrics>): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const line of (await registry.metrics()).split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

describe('server metrics', () => {
  it('reads the live sources at each scrape', async () => {
    const { s, stats, states } = sources();
    const registry = createServerMetrics(s);
    states.push('playing', 'offline', 'offline');
    stats.connections = 3;
    stats.authenticated = 2;
    const m = await samples(registry);
    expect(m.get('gatecast_screens{state="playing"}')).toBe(1);
    expect(m.get('gatecast_screens{state="offline"}')).toBe(2);
    expect(m.get('gatecast_screens{state="error"}')).toBe(0);
    expect(m.get('gatecast_ws_connections')).toBe(3);
    expect(m.get('gatecast_ws_authenticated')).toBe(2);
    expect(m.get('gatecast_commands{state="queued"}')).toBe(2);
    expect(m.get('gatecast_commands{state="expired"}')).toBe(1);
    expect(m.get('gatecast_commands{state="ok"}')).toBe(0);
    expect(m.get('gatecast_outbox_dropped_records{stream="pop"}')).toBe(4);
    expect(m.get('gatecast_outbox_dropped_records{stream="health"}')).toBe(0);
    expect(m.get('gatecast_uptime_seconds')).toBe(42);
    // A gauge goes down with its source.
    stats.connections = 1;
    expect((await samples(registry)).get('gatecast_ws_connections')).toBe(1);
  });

  it('follows a running total with a counter that never goes down', async () => {
    const { s, stats, acked } = sources();
    const registry = createServerMetrics(s);
    const at = async () => {
      const m = await samples(registry);
      return [
        m.get('gatecast_ws_frames_received_total'),
        m.get('gatecast_outbox_acked_seq_sum{stream="pop"}'),
      ];
    };
    expect(await at()).toEqual([0, 0]);
    stats.framesReceived = 5;
    acked['pop'] = 10;
    expect(await at()).toEqual([5, 10]);
    // The same value again adds nothing.
    expect(await at()).toEqual([5, 10]);
    // A source that went down leaves the counter where it was ...
    stats.framesReceived = 2;
    acked['pop'] = 7;
    expect(await at()).toEqual([5, 10]);
    // ... and it moves on once the source passes its highest value.
    stats.framesReceived = 8;
    acked['pop'] = 12;
    expect(await at()).toEqual([8, 12]);
  });

  it('gives each server its own registry and the process metrics to both, without a second registration', async () => {
    const one = sources();
    const two = sources();
    const a = createServerMetrics(one.s);
    const b = createServerMetrics(two.s);
    one.stats.popBadSignatures = 3;
    const [ma, mb] = [await samples(a), await samples(b)];
    expect(ma.get('gatecast_pop_rejected_total')).toBe(3);
    expect(mb.get('gatecast_pop_rejected_total')).toBe(0);
    for (const m of [ma, mb]) {
      expect(m.get('process_cpu_user_seconds_total')).toBeGreaterThan(0);
      expect(m.has('nodejs_eventloop_lag_seconds')).toBe(true);
    }
    expect(a.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
  });
});
