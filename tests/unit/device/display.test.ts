import { describe, expect, it, vi } from 'vitest';
import {
  CecDisplayPower,
  VcgencmdDisplayPower,
  WlopmDisplayPower,
  XsetDisplayPower,
} from '../../../device/display/command-adapters.js';
import { DisplayController, nodeScheduleAt, type ScheduleAt } from '../../../device/display/controller.js';
import { desiredDisplayState, inWindow } from '../../../device/display/desired-state.js';
import { type DisplayFacts, pickDisplayAdapter } from '../../../device/display/detect.js';
import { DisplayPowerError, type Run, type RunResult } from '../../../device/display/display-power.js';
import { MemoryDisplayPower } from '../../../device/display/memory-display-power.js';
import { RelayDisplayPower } from '../../../device/display/relay-display-power.js';
import { MemoryGpio } from '../../../device/gpio/memory-gpio.js';
import { fakeClock } from '../../../protocol/clock.js';
import { memoryLogger } from '../../../platform/log.js';

/** A Run that records argv and answers from a table keyed by "cmd arg arg". */
function recordingRun(answers: Record<string, Partial<RunResult>> = {}) {
  const calls: string[][] = [];
  const run: Run = async (cmd, args) => {
    calls.push([cmd, ...args]);
    const a = answers[[cmd, ...args].join(' ')] ?? {};
    return { code: 0, stdout: '', stderr: '', ...a };
  };
  return { run, calls };
}

describe('display power adapters send the exact commands', () => {
  it('CEC claims a playback address once, then standby / image-view-on', async () => {
    const { run, calls } = recordingRun({
      'cec-ctl -d1 --to 0 --give-device-power-status': { stdout: '\tpwr-state: standby (0x01)\n' },
    });
    const cec = new CecDisplayPower(run, 1);
    await cec.set('off');
    await cec.set('on');
    expect(await cec.state()).toBe('off');
    expect(calls).toEqual([
      ['cec-ctl', '-d1', '--playback'],
      ['cec-ctl', '-d1', '--to', '0', '--standby'],
      ['cec-ctl', '-d1', '--to', '0', '--image-view-on'],
      ['cec-ctl', '-d1', '--to', '0', '--give-device-power-status'],
    ]);
  });

  it('Wayland uses wlopm with a literal *, and reads the output states', async () => {
    const { run, calls } = recordingRun({ wlopm: { stdout: 'HDMI-A-1 off\nHDMI-A-2 on\n' } });
    const w = new WlopmDisplayPower(run);
    await w.set('off');
    await w.set('on');
    expect(await w.state()).toBe('on');
    expect(calls).toEqual([['wlopm', '--off', '*'], ['wlopm', '--on', '*'], ['wlopm']]);
  });

  it('X11 forces DPMS on the given display', async () => {
    const { run, calls } = recordingRun({
      'xset -display :0 q': { stdout: 'DPMS is Enabled\n  Monitor is Off\n' },
    });
    const x = new XsetDisplayPower(run);
    await x.set('off');
    expect(await x.state()).toBe('off');
    expect(calls).toEqual([
      ['xset', '-display', ':0', 'dpms', 'force', 'off'],
      ['xset', '-display', ':0', 'q'],
    ]);
  });

  it('vcgencmd says plainly that it does not work under KMS', async () => {
    const { run } = recordingRun({
      'vcgencmd display_power 0': {
        code: 255,
        stdout: '',
        stderr: 'Command "display_power" not registered\n',
      },
      'vcgencmd display_power': { stdout: 'display_power=1\n' },
    });
    const v = new VcgencmdDisplayPower(run);
    await expect(v.set('off')).rejects.toThrow(/not available under KMS/);
    expect(await v.state()).toBe('on');
  });

  it('a failing command becomes a DisplayPowerError with the argv and stderr', async () => {
    const { run } = recordingRun({
      'wlopm --off *': { code: 1, stderr: 'compositor has no output power manager' },
    });
    const err = await new WlopmDisplayPower(run).set('off').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DisplayPowerError);
    expect((err as DisplayPowerError).code).toBe('DISPLAY_POWER_FAILED');
    expect((err as Error).message).toContain(
      'wlopm --off * exited 1: compositor has no output power manager',
    );
  });

  it('a relay writes the pin, honouring active-low wiring', async () => {
    const gpio = new MemoryGpio();
    const r = new RelayDisplayPower(gpio, 26, true);
    expect(await r.state()).toBe('unknown');
    await r.set('on');
    await r.set('off');
    expect(gpio.writes).toEqual([
      { pin: 26, value: 0 },
      { pin: 26, value: 1 },
    ]);
    expect(await r.state()).toBe('off');
  });
});

describe('adapter auto-detection', () => {
  const none: DisplayFacts = {
    hasCecCtl: false,
    hasCecDevice: false,
    hasWlopm: false,
    hasXset: false,
    hasVcgencmd: false,
    isKms: true,
    waylandDisplay: undefined,
    x11Display: undefined,
    hasRelay: false,
  };
  it('prefers relay, then Wayland, X11, CEC, and vcgencmd only without KMS', () => {
    expect(
      pickDisplayAdapter('auto', { ...none, hasRelay: true, waylandDisplay: 'wayland-0', hasWlopm: true })
        .kind,
    ).toBe('relay');
    expect(
      pickDisplayAdapter('auto', { ...none, waylandDisplay: 'wayland-0', hasWlopm: true, hasCecCtl: true })
        .kind,
    ).toBe('wayland');
    expect(pickDisplayAdapter('auto', { ...none, x11Display: ':0', hasXset: true }).kind).toBe('x11');
    expect(pickDisplayAdapter('auto', { ...none, hasCecDevice: true, hasCecCtl: true }).kind).toBe('cec');
    expect(pickDisplayAdapter('auto', { ...none, hasVcgencmd: true }).kind).toBe('none');
    expect(pickDisplayAdapter('auto', { ...none, hasVcgencmd: true, isKms: false }).kind).toBe('vcgencmd');
  });
  it('names the missing tool, and honours an override', () => {
    expect(pickDisplayAdapter('auto', { ...none, waylandDisplay: 'wayland-0' }).why).toContain('wlopm');
    expect(pickDisplayAdapter('cec', none)).toEqual({ kind: 'cec', why: 'display.powerAdapter is "cec"' });
    expect(pickDisplayAdapter('none', { ...none, hasRelay: true }).kind).toBe('none');
  });
});

// Hà Tiên is UTC+7 with no DST: 22:00 local = 15:00Z, 06:00 local = 23:00Z the day before.
const tz = 'Asia/Ho_Chi_Minh';
const night = [{ start: '06:00', end: '22:00' }];
const acrossMidnight = [{ start: '18:00', end: '02:00' }];

describe('desired display state', () => {
  const at = (iso: string) => Date.parse(iso);
  const base = { timezone: tz, overrides: [], motionUntilMs: undefined };

  it('windows may cross midnight', () => {
    expect(inWindow(acrossMidnight[0]!, 23 * 60)).toBe(true);
    expect(inWindow(acrossMidnight[0]!, 60)).toBe(true);
    expect(inWindow(acrossMidnight[0]!, 2 * 60)).toBe(false);
    expect(inWindow({ start: '08:00', end: '24:00' }, 23 * 60 + 59)).toBe(true);
  });

  it('follows opening hours in the gate time zone and names the next transition', () => {
    const open = desiredDisplayState({ ...base, openingHours: night, nowMs: at('2026-03-01T14:59:00Z') });
    expect(open).toMatchObject({ state: 'on', reason: 'opening-hours' });
    expect(new Date(open.nextCheckMs!).toISOString()).toBe('2026-03-01T15:00:00.000Z');
    const closed = desiredDisplayState({ ...base, openingHours: night, nowMs: at('2026-03-01T15:00:00Z') });
    expect(closed).toMatchObject({ state: 'off', reason: 'closed' });
    expect(new Date(closed.nextCheckMs!).toISOString()).toBe('2026-03-01T23:00:00.000Z');
  });

  it('is on across midnight until 02:00 local', () => {
    const s = (iso: string) =>
      desiredDisplayState({ ...base, openingHours: acrossMidnight, nowMs: at(iso) }).state;
    expect(s('2026-03-01T10:59:00Z')).toBe('off'); // 17:59 local
    expect(s('2026-03-01T11:00:00Z')).toBe('on'); // 18:00
    expect(s('2026-03-01T18:30:00Z')).toBe('on'); // 01:30 next day
    expect(s('2026-03-01T19:00:00Z')).toBe('off'); // 02:00
  });

  it('computes transition instants across a DST change (zones other than Vietnam)', () => {
    const d = desiredDisplayState({
      ...base,
      timezone: 'Europe/Berlin',
      openingHours: night,
      nowMs: at('2026-03-28T21:30:00Z'), // 22:30 CET, closed; clocks go forward that night
    });
    expect(d.state).toBe('off');
    expect(new Date(d.nextCheckMs!).toISOString()).toBe('2026-03-29T04:00:00.000Z'); // 06:00 CEST
  });

  it('is always on without opening hours', () => {
    expect(desiredDisplayState({ ...base, openingHours: undefined, nowMs: 0 })).toEqual({
      state: 'on',
      reason: 'always-open',
      nextCheckMs: undefined,
    });
  });

  it('an ops override beats the schedule and motion, until it expires', () => {
    const nowMs = at('2026-03-01T16:00:00Z'); // 23:00 local, closed
    const d = desiredDisplayState({
      ...base,
      openingHours: night,
      overrides: [{ state: 'on', atMs: nowMs - 1000, untilMs: nowMs + 3_600_000 }],
      nowMs,
    });
    expect(d).toMatchObject({ state: 'on', reason: 'override', nextCheckMs: nowMs + 3_600_000 });
    const off = desiredDisplayState({
      ...base,
      openingHours: night,
      overrides: [{ state: 'off', atMs: nowMs - 10 }],
      motionUntilMs: nowMs + 60_000,
      nowMs,
    });
    expect(off).toMatchObject({ state: 'off', reason: 'override' });
  });

  it('motion wakes a closed screen for a while', () => {
    const nowMs = at('2026-03-01T16:00:00Z');
    const d = desiredDisplayState({ ...base, openingHours: night, motionUntilMs: nowMs + 300_000, nowMs });
    expect(d).toMatchObject({ state: 'on', reason: 'motion', nextCheckMs: nowMs + 300_000 });
  });
});

/** A ScheduleAt the test fires by hand, with the fake clock. */
function manualScheduler() {
  let pending: { at: Date; fn: () => void } | undefined;
  const scheduleAt: ScheduleAt = (at, fn) => {
    const job = { at, fn };
    pending = job;
    return () => {
      if (pending === job) pending = undefined;
    };
  };
  return {
    scheduleAt,
    next: () => pending?.at.toISOString(),
    fire: () => {
      const p = pending;
      pending = undefined;
      p?.fn();
    },
  };
}

describe('display controller', () => {
  async function setup(startIso: string) {
    const clock = fakeClock(startIso);
    const power = new MemoryDisplayPower();
    const sched = manualScheduler();
    const c = new DisplayController(
      power,
      { openingHours: night, timezone: tz, motionWakeMs: 300_000, retryMs: 60_000 },
      clock,
      sched.scheduleAt,
      memoryLogger(),
    );
    await c.start();
    return { clock, power, sched, c };
  }
  const settle = () => new Promise((r) => setImmediate(r));

  it('switches at the computed transition instants, not by polling', async () => {
    const { clock, power, sched, c } = await setup('2026-03-01T14:00:00Z');
    expect(power.calls).toEqual(['on']);
    expect(sched.next()).toBe('2026-03-01T15:00:00.000Z');
    clock.set('2026-03-01T15:00:00Z');
    sched.fire();
    await settle();
    expect(power.calls).toEqual(['on', 'off']);
    expect(sched.next()).toBe('2026-03-01T23:00:00.000Z');
    expect(c.health()).toMatchObject({ adapter: 'memory', desired: 'off', actual: 'off', reason: 'closed' });
    await c.stop();
    expect(sched.next()).toBeUndefined();
  });

  it('applies an override at once and returns to the schedule when it expires', async () => {
    const { clock, power, sched, c } = await setup('2026-03-01T16:00:00Z');
    expect(power.calls).toEqual(['off']);
    await c.override('on', clock.now() + 30 * 60_000);
    expect(power.calls).toEqual(['off', 'on']);
    expect(sched.next()).toBe('2026-03-01T16:30:00.000Z');
    clock.set('2026-03-01T16:30:00Z');
    sched.fire();
    await settle();
    expect(power.calls).toEqual(['off', 'on', 'off']);
    expect(c.health().reason).toBe('closed');
  });

  it('an off command during opening hours holds until cleared', async () => {
    const { clock, power, c } = await setup('2026-03-01T03:00:00Z');
    await c.override('off');
    clock.advance(3_600_000);
    await c.motion(clock.now());
    expect(power.calls).toEqual(['on', 'off']);
    await c.clearOverrides();
    expect(power.calls).toEqual(['on', 'off', 'on']);
  });

  it('motion wakes the screen, and it sleeps again after motionWakeMs', async () => {
    const { clock, power, sched, c } = await setup('2026-03-01T16:00:00Z');
    await c.motion(clock.now());
    expect(power.calls).toEqual(['off', 'on']);
    expect(sched.next()).toBe('2026-03-01T16:05:00.000Z');
    clock.set('2026-03-01T16:05:00Z');
    sched.fire();
    await settle();
    expect(power.calls).toEqual(['off', 'on', 'off']);
  });

  it('refresh reports a state changed by hand without switching anything', async () => {
    const { power, c } = await setup('2026-03-01T03:00:00Z');
    expect(c.health().actual).toBe('on');
    await power.set('off'); // a technician pressed the TV's own button
    expect((await c.refresh()).actual).toBe('off');
    expect(power.calls).toEqual(['on', 'off']);
  });

  it('retries a failed command and reports the error in health', async () => {
    const clock = fakeClock('2026-03-01T16:00:00Z');
    const power = new MemoryDisplayPower();
    power.failNext(1);
    const sched = manualScheduler();
    const c = new DisplayController(
      power,
      { openingHours: night, timezone: tz, motionWakeMs: 1, retryMs: 60_000 },
      clock,
      sched.scheduleAt,
      memoryLogger(),
    );
    await c.start();
    expect(c.health().lastError).toContain('set failed');
    expect(sched.next()).toBe('2026-03-01T16:01:00.000Z');
    clock.advance(60_000);
    sched.fire();
    await settle();
    expect(power.calls).toEqual(['off']);
    expect(c.health().lastError).toBeUndefined();
  });
});

describe('node-schedule adapter', () => {
  it('runs the job at the instant, can be cancelled, and runs a past instant at once', async () => {
    vi.useFakeTimers({ now: new Date('2026-03-01T00:00:00Z') });
    try {
      const fired: string[] = [];
      nodeScheduleAt(new Date('2026-03-01T06:00:00Z'), () => fired.push('a'));
      const cancel = nodeScheduleAt(new Date('2026-03-01T07:00:00Z'), () => fired.push('b'));
      cancel();
      nodeScheduleAt(new Date('2026-02-01T00:00:00Z'), () => fired.push('past'));
      await vi.advanceTimersByTimeAsync(10);
      expect(fired).toEqual(['past']);
      await vi.advanceTimersByTimeAsync(6 * 3_600_000);
      expect(fired).toEqual(['past', 'a']);
      await vi.advanceTimersByTimeAsync(3_600_000);
      expect(fired).toEqual(['past', 'a']);
    } finally {
      vi.useRealTimers();
    }
  });
});
