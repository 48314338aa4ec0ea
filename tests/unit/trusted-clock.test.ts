import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { currentPlan } from '../../device/schedule/plan.js';
import {
  FileLastKnownGoodStore,
  type LastKnownGood,
  MemoryLastKnownGoodStore,
} from '../../device/time/last-known-good.js';
import type { RunResult } from '../../device/display/display-power.js';
import { execRun } from '../../device/display/exec-run.js';
import { MemoryNtpSync, TimedatectlNtpSync, TimesyncdNtpSync } from '../../device/time/ntp-sync.js';
import { isTimeError, TrustedClock } from '../../device/time/trusted-clock.js';
import { fakeClock } from '../../protocol/clock.js';
import { memoryLogger } from '../../platform/log.js';
import { createScheduleEngine } from '../../protocol/schedule-engine.js';
import { HA_TIEN, manifest, t } from '../helpers/schedule-fixtures.js';
import { tempFolder } from '../helpers/temp.js';
import { cleanupsAfterEach } from '../helpers/cleanups.js';

const LKG = Date.parse('2026-06-01T08:00:00Z');
const BOOT = Date.parse('1970-01-01T00:00:30Z'); // a Pi without RTC or saved clock
const MIN = 60_000;

function setup(
  stored?: LastKnownGood,
  opts: { persistIntervalMs?: number; maxUnverifiedAheadMs?: number } = {},
) {
  const system = fakeClock(BOOT);
  const monotonic = fakeClock(1000);
  const store = new MemoryLastKnownGoodStore(stored);
  const ntp = new MemoryNtpSync();
  const log = memoryLogger();
  const clock = new TrustedClock({ system, monotonic, store, ntp, log, ntpRecheckMs: 0, ...opts });
  /** Real time passing: both clocks move, and pending timers fire. */
  const pass = (ms: number) => {
    for (let left = ms; left > 0; left -= 1000) {
      const step = Math.min(1000, left);
      system.advance(step);
      monotonic.advance(step);
      vi.advanceTimersByTime(step);
    }
  };
  return { system, monotonic, store, ntp, log, clock, pass };
}

describe('trusted clock', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('with nothing to go by, the time is unknown, follows the monotonic clock and is never stored', () => {
    const { clock, system, store, pass } = setup();
    clock.start();
    expect(clock.read()).toEqual({ ms: BOOT, status: 'unknown' });
    pass(10 * MIN);
    system.set(BOOT - 3_600_000); // the system clock jumps back: the time line does not
    expect(clock.read()).toEqual({ ms: BOOT + 10 * MIN, status: 'unknown' });
    expect(clock.unknownSince()).toBe(BOOT);
    expect(clock.health()).toMatchObject({ status: 'unknown', unknownSinceMs: BOOT, ntpSynchronized: false });
    clock.stop();
    expect(store.writes).toEqual([]);
  });

  it('an unknown time makes the engine play the default playlist, not nothing', () => {
    const { clock, pass, ntp, system } = setup();
    clock.start();
    pass(25_000);
    const engine = createScheduleEngine(manifest(), HA_TIEN);
    const plan = currentPlan(engine, clock);
    expect(plan.clock).toEqual({ ms: BOOT + 25_000, status: 'unknown' });
    expect(plan.options).toEqual({ timeUnknownSince: BOOT });
    expect(plan.current).toMatchObject({
      source: 'time-unknown',
      playlistId: 'default',
      itemId: 'a',
      language: 'en',
    });
    expect(plan.next).toMatchObject({ source: 'time-unknown', language: 'zh-Hans', startAt: BOOT + 30_000 });
    // Once NTP sets the clock, the schedule takes over.
    system.set(Date.parse('2026-01-02T05:00:00Z'));
    ntp.set(true);
    expect(currentPlan(engine, clock)).toMatchObject({
      clock: { status: 'ntp' },
      options: {},
      segment: { source: 'default' },
    });
    clock.stop();
  });

  it('never schedules before the last-known-good time: stored time + elapsed when the system clock is behind', () => {
    const { clock, system, pass } = setup({ v: 1, ms: LKG, source: 'ntp' });
    clock.start();
    expect(clock.read()).toEqual({ ms: LKG, status: 'last-known-good' });
    pass(90_000);
    expect(clock.now()).toBe(LKG + 90_000);
    // A system clock ahead of it (advanced at boot by timesyncd) is used.
    system.set(LKG + 3_600_000);
    expect(clock.read()).toEqual({ ms: LKG + 3_600_000, status: 'last-known-good' });
    clock.stop();
  });

  it('a system clock far ahead with no NTP or server time is unverified: the schedule runs from the floor', () => {
    // 02:00 in Hà Tiên; the RTC says 2031 at noon.
    const night = t('2026-06-02T02:00:00+07:00');
    const { clock, system, ntp, store, log, pass } = setup(
      { v: 1, ms: night, source: 'ntp' },
      { persistIntervalMs: 5 * MIN },
    );
    system.set(t('2031-03-01T12:00:00+07:00'));
    clock.start();
    expect(clock.read()).toEqual({ ms: night, status: 'unverified' });
    const engine = createScheduleEngine(
      manifest({
        schedule: {
          defaultPlaylistId: 'default',
          entries: [{ id: 'day', playlistId: 'p-b', window: { start: '06:00', end: '22:00' } }],
        },
      }),
      HA_TIEN,
    );
    expect(currentPlan(engine, clock)).toMatchObject({
      clock: { ms: night, status: 'unverified' },
      current: { source: 'default', playlistId: 'default' },
    });
    expect(log.records.some((r) => r.level === 'warn' && /far ahead/.test(r.msg))).toBe(true);
    expect(clock.health()).toMatchObject({ status: 'unverified', systemSkewMs: system.now() - night });
    // What is stored is the floor moved on by elapsed time, never the 2031 clock.
    pass(5 * MIN);
    expect(store.writes).toEqual([{ v: 1, ms: night + 5 * MIN, source: 'last-known-good' }]);
    // Evidence settles it: NTP says the system clock is right.
    ntp.set(true);
    expect(clock.read()).toEqual({ ms: system.now(), status: 'ntp' });
    clock.stop();
  });

  it('a system clock ahead within the bound is used as before; the bound is configurable', () => {
    const near = setup({ v: 1, ms: LKG, source: 'ntp' });
    near.system.set(LKG + 59 * MIN);
    near.clock.start();
    expect(near.clock.read()).toEqual({ ms: LKG + 59 * MIN, status: 'last-known-good' });
    near.clock.stop();
    const tight = setup({ v: 1, ms: LKG, source: 'ntp' }, { maxUnverifiedAheadMs: 10 * MIN });
    tight.system.set(LKG + 11 * MIN);
    tight.clock.start();
    expect(tight.clock.read()).toEqual({ ms: LKG, status: 'unverified' });
    // The server's time is evidence too.
    tight.clock.acceptServerTime(LKG + 11 * MIN, 0);
    expect(tight.clock.read()).toEqual({ ms: LKG + 11 * MIN, status: 'server' });
    tight.clock.stop();
  });

  it('stores stored time + elapsed, never an unverified system clock, at most once per interval', () => {
    const { clock, system, store, pass } = setup(
      { v: 1, ms: LKG, source: 'server' },
      { persistIntervalMs: 5 * MIN },
    );
    clock.start();
    system.set(Date.parse('2031-01-01T00:00:00Z')); // wrong and unverified
    pass(4 * MIN);
    expect(store.writes).toEqual([]);
    pass(1 * MIN);
    expect(store.writes).toEqual([{ v: 1, ms: LKG + 5 * MIN, source: 'last-known-good' }]);
    pass(14 * MIN);
    expect(store.writes.map((w) => w.ms)).toEqual([LKG + 5 * MIN, LKG + 10 * MIN, LKG + 15 * MIN]);
    clock.stop();
  });

  it('takes the server time with half the round trip, carries it on the monotonic clock and stores it', () => {
    const { clock, system, store, pass } = setup({ v: 1, ms: LKG, source: 'ntp' });
    clock.start();
    pass(MIN);
    const serverMs = Date.parse('2026-07-15T03:00:00Z');
    clock.acceptServerTime(serverMs, 400);
    expect(clock.read()).toEqual({ ms: serverMs + 200, status: 'server' });
    expect(store.writes).toEqual([{ v: 1, ms: serverMs + 200, source: 'server' }]);
    pass(30_000);
    system.set(0); // system clock jumps: ignored
    expect(clock.read()).toEqual({ ms: serverMs + 30_200, status: 'server' });
    expect(clock.health()).toMatchObject({
      status: 'server',
      serverUncertaintyMs: 200,
      lastKnownGoodMs: serverMs + 200,
    });
    // A second server time within the interval is used but not written again.
    clock.acceptServerTime(serverMs + 30_000, 0);
    expect(clock.now()).toBe(serverMs + 30_000);
    expect(store.writes).toHaveLength(1);
    // Without the server (forgotten), the floor is the stored server time + elapsed.
    clock.forgetServerTime();
    expect(clock.read()).toEqual({ ms: serverMs + 30_200, status: 'last-known-good' });
    clock.stop();
  });

  it('refuses server times that cannot be right, and changes nothing', () => {
    const { clock, store } = setup({ v: 1, ms: LKG, source: 'ntp' });
    clock.start();
    for (const [ms, rtt] of [
      [Number.NaN, 10],
      [5_000, 10],
      [LKG, -1],
      [LKG, 120_000],
      [LKG, Number.POSITIVE_INFINITY],
    ] as const) {
      let err: unknown;
      try {
        clock.acceptServerTime(ms, rtt);
      } catch (e) {
        err = e;
      }
      expect(isTimeError(err)).toBe(true);
    }
    expect(clock.status()).toBe('last-known-good');
    expect(store.writes).toEqual([]);
    clock.stop();
  });

  it('prefers an NTP-synced system clock, and stores it', () => {
    const { clock, system, ntp, store, log } = setup({ v: 1, ms: LKG, source: 'ntp' });
    clock.start();
    clock.acceptServerTime(LKG + 1000, 0);
    system.set(LKG + 5000);
    ntp.set(true);
    expect(clock.read()).toEqual({ ms: LKG + 5000, status: 'ntp' });
    clock.stop();
    expect(store.writes.at(-1)).toEqual({ v: 1, ms: LKG + 5000, source: 'ntp' });
    expect(log.records.some((r) => r.msg === 'clock source changed' && r.fields['to'] === 'ntp')).toBe(true);
  });

  it('after a restart it goes on from the stored time, not from the earlier system clock', () => {
    const first = setup();
    first.clock.start();
    first.clock.acceptServerTime(LKG, 0);
    first.pass(7 * MIN);
    first.clock.stop();
    const stored = first.store.read()!;
    expect(stored.ms).toBe(LKG + 7 * MIN);
    const second = setup(stored); // rebooted: system clock back at BOOT
    second.clock.start();
    expect(second.clock.read()).toEqual({ ms: LKG + 7 * MIN, status: 'last-known-good' });
    second.clock.stop();
  });
});

describe('last-known-good file and NTP flag adapters', () => {
  const cleanups = cleanupsAfterEach();

  it('round-trips the time through an atomically replaced file, leaving no temp files', () => {
    const dir = tempFolder(cleanups);
    const path = join(dir, 'time.json');
    const store = new FileLastKnownGoodStore(path);
    expect(store.read()).toBeUndefined();
    store.write({ v: 1, ms: LKG, source: 'server' });
    store.write({ v: 1, ms: LKG + 1, source: 'ntp' });
    expect(store.read()).toEqual({ v: 1, ms: LKG + 1, source: 'ntp' });
    expect(readdirSync(dir)).toEqual(['time.json']);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ v: 1, ms: LKG + 1, source: 'ntp' });
  });

  it('ignores a damaged file with a warning instead of failing', () => {
    const dir = tempFolder(cleanups);
    const path = join(dir, 'time.json');
    const log = memoryLogger();
    writeFileSync(path, '{"v":1,"ms":');
    expect(new FileLastKnownGoodStore(path, log).read()).toBeUndefined();
    writeFileSync(path, '{"v":1,"ms":-4,"source":"ntp"}');
    expect(new FileLastKnownGoodStore(path, log).read()).toBeUndefined();
    expect(log.records.filter((r) => r.level === 'warn')).toHaveLength(2);
  });

  it('reads timesyncd sync state from the existence of its flag file', () => {
    const dir = tempFolder(cleanups);
    const flag = join(dir, 'synchronized');
    const ntp = new TimesyncdNtpSync(flag);
    expect(ntp.isSynchronized()).toBe(false);
    writeFileSync(flag, '');
    expect(existsSync(flag)).toBe(true);
    expect(ntp.isSynchronized()).toBe(true);
  });

  it('asks timedatectl for NTP sync (chrony too), in the background, and falls back to the timesyncd file', async () => {
    const calls: string[][] = [];
    let reply: RunResult = { code: 0, stdout: 'yes\n', stderr: '' };
    const file = new MemoryNtpSync(false);
    let now = 0;
    const ntp = new TimedatectlNtpSync(
      async (cmd, args) => {
        calls.push([cmd, ...args]);
        return reply;
      },
      { fallback: file, recheckMs: 10_000, now: () => now },
    );
    // Before timedatectl has answered, the file answers.
    expect(ntp.isSynchronized()).toBe(false);
    await ntp.refresh();
    expect(calls).toEqual([['timedatectl', 'show', '-p', 'NTPSynchronized', '--value']]);
    expect(ntp.isSynchronized()).toBe(true); // no timesyncd file: chrony synced the clock
    // Asked again only after recheckMs.
    reply = { code: 0, stdout: 'no\n', stderr: '' };
    await ntp.refresh();
    expect(calls).toHaveLength(1);
    now = 10_000;
    file.set(true);
    await ntp.refresh();
    expect(ntp.isSynchronized()).toBe(false); // its answer wins over a flag left from earlier in the boot
    // No timedatectl (or no systemd): the file answers again.
    reply = { code: 127, stdout: '', stderr: 'not found' };
    now = 20_000;
    await ntp.refresh();
    expect(ntp.isSynchronized()).toBe(true);
    reply = { code: 0, stdout: 'maybe\n', stderr: '' };
    file.set(false);
    now = 30_000;
    await ntp.refresh();
    expect(ntp.isSynchronized()).toBe(false);
  });

  it('runs the real timedatectl command line, and the trusted clock takes its yes as NTP time', async () => {
    const dir = tempFolder(cleanups);
    // A stand-in timedatectl that prints what a chrony-synced box prints, and records its argv.
    const bin = join(dir, 'timedatectl');
    const argv = join(dir, 'argv');
    writeFileSync(bin, `#!/bin/sh\necho "$@" > ${argv}\necho yes\n`);
    chmodSync(bin, 0o755);
    const ntp = new TimedatectlNtpSync(execRun(5000), {
      command: bin,
      fallback: new TimesyncdNtpSync(join(dir, 'no-such-flag')),
    });
    await ntp.refresh();
    expect(readFileSync(argv, 'utf8').trim()).toBe('show -p NTPSynchronized --value');
    const system = fakeClock(LKG + 5 * MIN);
    const clock = new TrustedClock({
      system,
      monotonic: fakeClock(1000),
      store: new MemoryLastKnownGoodStore({ v: 1, ms: LKG, source: 'ntp' }),
      ntp,
      log: memoryLogger(),
      ntpRecheckMs: 0,
    });
    expect(clock.read()).toEqual({ ms: LKG + 5 * MIN, status: 'ntp' });
  });
});
