import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { systemTimers } from '../../../device/timers.js';
import { DEFAULT_CRASH_LOOP, recordStartIn } from '../../../device/watchdog/crash-loop.js';
import { MemoryNotifier, watchdogSettings } from '../../../device/watchdog/notifier.js';
import { Watchdog } from '../../../device/watchdog/watchdog.js';
import { memoryLogger } from '../../../platform/log.js';

describe('watchdog settings from the environment', () => {
  it('pings every WATCHDOG_USEC/2 when the watchdog is for us', () => {
    expect(watchdogSettings({ NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: '30000000' }, 42)).toEqual(
      {
        isSupervised: true,
        pingIntervalMs: 15_000,
      },
    );
    expect(
      watchdogSettings({ NOTIFY_SOCKET: '@abstract', WATCHDOG_USEC: '30000000', WATCHDOG_PID: '42' }, 42)
        .pingIntervalMs,
    ).toBe(15_000);
  });
  it('stays quiet when the watchdog is for another PID, off, or there is no systemd', () => {
    expect(
      watchdogSettings({ NOTIFY_SOCKET: '/x', WATCHDOG_USEC: '30000000', WATCHDOG_PID: '7' }, 42)
        .pingIntervalMs,
    ).toBe(undefined);
    expect(watchdogSettings({ NOTIFY_SOCKET: '/x' }, 42)).toEqual({
      isSupervised: true,
      pingIntervalMs: undefined,
    });
    expect(watchdogSettings({ WATCHDOG_USEC: '30000000' }, 42)).toEqual({
      isSupervised: false,
      pingIntervalMs: undefined,
    });
  });
});

describe('watchdog pings only while the loops are healthy', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2026-03-01T00:00:00Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  const clock = { now: () => Date.now() };

  it('sends READY=1, then WATCHDOG=1 each interval while every check passes', async () => {
    const n = new MemoryNotifier();
    const w = new Watchdog(
      n,
      { isSupervised: true, pingIntervalMs: 15_000 },
      clock,
      systemTimers,
      memoryLogger(),
    );
    let playerAlive = true;
    w.register('player', () => playerAlive);
    w.register('store', async () => true);
    await w.start();
    expect(n.sent).toEqual([['READY=1', 'STATUS=running']]);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(n.sent.slice(1)).toEqual([['WATCHDOG=1'], ['WATCHDOG=1']]);
    playerAlive = false;
    await vi.advanceTimersByTimeAsync(15_000);
    expect(n.sent[3]).toEqual(['STATUS=unhealthy: player']);
    expect(w.status().checks).toEqual([
      { name: 'player', ok: false },
      { name: 'store', ok: true },
    ]);
    playerAlive = true;
    await vi.advanceTimersByTimeAsync(15_000);
    expect(n.sent[4]).toEqual(['WATCHDOG=1']);
    await w.stop();
    expect(n.sent.at(-1)).toEqual(['STOPPING=1']);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(n.sent.length).toBe(6);
  });

  it('a throwing check and a stale heartbeat both withhold the ping', async () => {
    const n = new MemoryNotifier();
    const log = memoryLogger();
    const w = new Watchdog(n, { isSupervised: true, pingIntervalMs: 10_000 }, clock, systemTimers, log);
    const beat = w.heartbeat('scheduler-loop', 25_000);
    w.register('store', () => {
      throw new Error('EROFS: read-only file system');
    });
    await w.start();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(n.sent.filter((s) => s[0] === 'WATCHDOG=1')).toEqual([]);
    expect(w.status().checks).toContainEqual({
      name: 'store',
      ok: false,
      detail: 'EROFS: read-only file system',
    });
    expect(log.records.some((r) => r.level === 'error' && r.msg.includes('withholding'))).toBe(true);
    w.register('store', () => true);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(n.sent.at(-1)).toEqual(['WATCHDOG=1']);
    await vi.advanceTimersByTimeAsync(10_000); // 30 s since the last beat
    expect(n.sent.at(-1)).toEqual(['STATUS=unhealthy: scheduler-loop']);
    beat();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(n.sent.at(-1)).toEqual(['WATCHDOG=1']);
    await w.stop();
  });

  it('sends nothing outside systemd', async () => {
    const n = new MemoryNotifier();
    const w = new Watchdog(
      n,
      { isSupervised: false, pingIntervalMs: undefined },
      clock,
      systemTimers,
      memoryLogger(),
    );
    await w.start();
    await vi.advanceTimersByTimeAsync(120_000);
    await w.stop();
    expect(n.sent).toEqual([]);
  });
});

describe('crash-loop rule', () => {
  const o = DEFAULT_CRASH_LOOP;
  const t0 = Date.parse('2026-03-01T00:00:00Z');
  it('counts starts in the window and raises one event per loop', () => {
    let s = { v: 1 as const, starts: [] as number[], pending: [] as never[] };
    let state = recordStartIn(s, t0, o);
    for (let i = 1; i < 4; i++) state = recordStartIn(state, t0 + i * 30_000, o);
    expect(state.pending).toEqual([]);
    state = recordStartIn(state, t0 + 4 * 30_000, o);
    expect(state.pending).toEqual([
      {
        type: 'crash-loop',
        starts: 5,
        windowMs: o.windowMs,
        firstAt: '2026-03-01T00:00:00.000Z',
        lastAt: '2026-03-01T00:02:00.000Z',
      },
    ]);
    state = recordStartIn(state, t0 + 5 * 30_000, o);
    expect(state.pending).toHaveLength(1);
    expect(state.pending[0]).toMatchObject({
      starts: 6,
      firstAt: '2026-03-01T00:00:00.000Z',
      lastAt: '2026-03-01T00:02:30.000Z',
    });
    // a start a day later is a normal start
    s = { ...state, pending: [] } as never;
    state = recordStartIn(s, t0 + 86_400_000, o);
    expect(state.starts).toEqual([t0 + 86_400_000]);
    expect(state.pending).toEqual([]);
  });
});
