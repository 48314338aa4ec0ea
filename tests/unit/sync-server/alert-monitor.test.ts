import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeClock } from '../../../protocol/clock.js';
import { memoryLogger } from '../../../platform/log.js';
import { AlertMonitor } from '../../../sync-server/alerts/monitor.js';
import type { AlertEvent, AlertInput, DeviceSnapshot } from '../../../sync-server/alerts/types.js';

const T0 = Date.parse('2026-03-10T03:00:00Z');
const MIN = 60_000;

function source(state: { online: boolean; lastSeenAt: number }) {
  return {
    read: (now: number): AlertInput => {
      const d: DeviceSnapshot = {
        deviceId: 'dev-1',
        name: 'Sảnh',
        siteGroup: 'kien-giang/ha-tien',
        timezone: 'Asia/Ho_Chi_Minh',
        online: state.online,
        lastSeenAt: state.lastSeenAt,
        enrolledAt: now - 1e9,
        installedBundleVersion: '1',
      };
      return {
        now,
        devices: [d],
        latestHealth: new Map(),
        recentHealth: new Map(),
        latestBundles: new Map(),
        contentGaps: new Map(),
      };
    },
  };
}

describe('alert monitor', () => {
  afterEach(() => vi.useRealTimers());

  it('raises, acknowledges and resolves over time, telling storage and the webhook in order', async () => {
    const clock = fakeClock(T0);
    const state = { online: false, lastSeenAt: T0 };
    const sent: string[][] = [];
    const changes: AlertEvent['type'][][] = [];
    const m = new AlertMonitor({
      source: source(state),
      clock,
      logger: memoryLogger(),
      onChange: (s) => changes.push(s.events.map((e) => e.type)),
      webhook: {
        send: async (events) => (
          sent.push(events.map((e) => `${e.type}:${e.alert.key}`)),
          { attempts: 1, status: 200, delaysMs: [] }
        ),
      },
    });
    expect(m.evaluate().events).toEqual([]);
    clock.advance(11 * MIN);
    expect(m.evaluate().events.map((e) => e.type)).toEqual(['raised']);
    expect(m.evaluate().events).toEqual([]); // still held: nothing new
    m.acknowledge('offline:dev-1', 'op-lan');
    expect(m.active[0]).toMatchObject({ acknowledgedBy: 'op-lan' });
    expect(() => m.acknowledge('offline:dev-9', 'op-lan')).toThrow(
      expect.objectContaining({ code: 'ALERT_NOT_FOUND' }),
    );
    state.online = true;
    state.lastSeenAt = clock.now();
    expect(m.evaluate().events.map((e) => e.type)).toEqual(['resolved']);
    await m.flush();
    expect(changes).toEqual([['raised'], ['acknowledged'], ['resolved']]);
    expect(sent).toEqual([
      ['raised:offline:dev-1'],
      ['acknowledged:offline:dev-1'],
      ['resolved:offline:dev-1'],
    ]);
  });

  it('keeps evaluating on its timer, logs a webhook that gives up, and stops', async () => {
    vi.useFakeTimers();
    const clock = fakeClock(T0);
    const log = memoryLogger();
    const m = new AlertMonitor({
      source: source({ online: false, lastSeenAt: T0 - 20 * MIN }),
      clock,
      logger: log,
      intervalMs: 30_000,
      webhook: { send: async () => Promise.reject(new Error('receiver down')) },
    });
    m.start();
    expect(m.active).toEqual([]);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(m.active.map((a) => a.key)).toEqual(['offline:dev-1']);
    await m.stop();
    expect(log.records.filter((r) => r.msg === 'alert webhook gave up')).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(log.records.filter((r) => r.level === 'error')).toHaveLength(1);
  });

  it('starts from stored alerts without raising them again', () => {
    const clock = fakeClock(T0);
    const first = new AlertMonitor({
      source: source({ online: false, lastSeenAt: T0 - 20 * MIN }),
      clock,
      logger: memoryLogger(),
    });
    first.evaluate();
    const second = new AlertMonitor({
      source: source({ online: false, lastSeenAt: T0 - 20 * MIN }),
      clock,
      logger: memoryLogger(),
      initial: first.active,
    });
    expect(second.evaluate().events).toEqual([]);
    expect(second.active[0]!.raisedAt).toBe(T0);
  });
});
