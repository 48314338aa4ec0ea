import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Button } from '../../../device/gpio/button.js';
import { MemoryGpio } from '../../../device/gpio/memory-gpio.js';
import { MotionSensor } from '../../../device/gpio/motion.js';
import { runGpioSmoke } from '../../../device/gpio/smoke.js';
import { ledPattern, ledStateFor, StatusLed } from '../../../device/gpio/status-led.js';
import { technicianAddresses, technicianHandlers } from '../../../device/gpio/technician.js';
import { systemTimers } from '../../../device/timers.js';
import { fakeClock } from '../../../protocol/clock.js';
import { memoryLogger } from '../../../platform/log.js';

const ok = { identifying: false, hasError: false, hasContent: true, isOnline: true, isPlaying: true };

describe('status LED', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('derives the most urgent state', () => {
    expect(ledStateFor(ok)).toBe('playing');
    expect(ledStateFor({ ...ok, isOnline: false })).toBe('offline');
    expect(ledStateFor({ ...ok, isOnline: false, hasContent: false })).toBe('no-content');
    expect(ledStateFor({ ...ok, hasContent: false, hasError: true })).toBe('error');
    expect(ledStateFor({ ...ok, hasError: true, identifying: true })).toBe('identify');
    expect(ledStateFor({ ...ok, isPlaying: false })).toBe('starting');
  });

  it('gives every state a distinct pattern', () => {
    const states = ['identify', 'error', 'no-content', 'offline', 'playing', 'starting'] as const;
    const shapes = new Set(states.map((s) => JSON.stringify(ledPattern(s))));
    expect(shapes.size).toBe(states.length);
  });

  it('blinks the offline code on the pin and holds steady when playing', async () => {
    const gpio = new MemoryGpio();
    const led = new StatusLed(gpio, 17, systemTimers, memoryLogger());
    led.start('offline');
    await vi.advanceTimersByTimeAsync(4000);
    // two periods of 200 ms on / 1800 ms off, plus the first step of the third
    expect(gpio.writes.map((w) => w.value)).toEqual([1, 0, 1, 0, 1]);
    gpio.writes.length = 0;
    led.set('playing');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(gpio.writes).toEqual([{ pin: 17, value: 1 }]);
    await led.stop();
    expect(gpio.level(17)).toBe(0);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(gpio.writes.length).toBe(2);
  });

  it('keeps going when a write fails, and logs it once per failure streak', async () => {
    const log = memoryLogger();
    const gpio = new MemoryGpio();
    gpio.watch(5, () => undefined); // pin 5 is an input: writes throw
    const led = new StatusLed(gpio, 5, systemTimers, log);
    led.start('error');
    await vi.advanceTimersByTimeAsync(250);
    expect(log.records.filter((r) => r.msg === 'status LED write failed').length).toBe(1);
    await led.stop();
  });
});

describe('technician button', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2026-03-01T08:00:00Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function setup(activeLow = true) {
    const gpio = new MemoryGpio();
    const events: string[] = [];
    const clock = { now: () => Date.now() };
    const b = new Button(
      gpio,
      27,
      { activeLow, debounceMs: 30, longPressMs: 3000 },
      { onShortPress: () => events.push('short'), onLongPress: () => events.push('long') },
      clock,
      systemTimers,
    );
    gpio.release(27, activeLow ? 0 : 1);
    b.start();
    return { gpio, events, b };
  }

  it('reports a short press once, despite contact bounce', async () => {
    const { gpio, events } = setup();
    for (let i = 0; i < 5; i++) {
      gpio.press(27);
      await vi.advanceTimersByTimeAsync(2);
      gpio.release(27);
      await vi.advanceTimersByTimeAsync(2);
    }
    gpio.press(27);
    await vi.advanceTimersByTimeAsync(400);
    gpio.release(27);
    gpio.press(27);
    gpio.release(27);
    await vi.advanceTimersByTimeAsync(100);
    expect(events).toEqual(['short']);
  });

  it('ignores a glitch shorter than the debounce time', async () => {
    const { gpio, events } = setup();
    gpio.press(27);
    await vi.advanceTimersByTimeAsync(10);
    gpio.release(27);
    await vi.advanceTimersByTimeAsync(1000);
    expect(events).toEqual([]);
  });

  it('fires the long press while held, and not a short press on release', async () => {
    const { gpio, events } = setup();
    gpio.press(27);
    await vi.advanceTimersByTimeAsync(2999 + 30);
    expect(events).toEqual([]);
    await vi.advanceTimersByTimeAsync(2);
    expect(events).toEqual(['long']);
    gpio.release(27);
    await vi.advanceTimersByTimeAsync(100);
    expect(events).toEqual(['long']);
  });

  it('works with an active-high button and stops listening after stop()', async () => {
    const { gpio, events, b } = setup(false);
    gpio.press(27, 1);
    await vi.advanceTimersByTimeAsync(100);
    gpio.release(27, 1);
    await vi.advanceTimersByTimeAsync(100);
    expect(events).toEqual(['short']);
    b.stop();
    expect(gpio.isWatched(27)).toBe(false);
  });
});

describe('motion sensor and technician info', () => {
  it('reports rising edges with the clock time', () => {
    const gpio = new MemoryGpio();
    const clock = fakeClock('2026-03-01T20:00:00Z');
    const seen: number[] = [];
    const m = new MotionSensor(gpio, 22, (at) => seen.push(at), clock);
    m.start();
    gpio.setInput(22, 1);
    gpio.setInput(22, 0);
    clock.advance(60_000);
    gpio.setInput(22, 1);
    expect(seen).toEqual([Date.parse('2026-03-01T20:00:00Z'), Date.parse('2026-03-01T20:01:00Z')]);
    m.stop();
    expect(gpio.isWatched(22)).toBe(false);
  });

  it('lists IPv4 addresses first without loopback or link-local', () => {
    const a = (address: string, family: 'IPv4' | 'IPv6', internal = false) => ({
      address,
      family,
      internal,
      netmask: '',
      mac: '',
      cidr: null,
      ...(family === 'IPv6' ? { scopeid: 0 } : {}),
    });
    const ips = technicianAddresses({
      lo: [a('127.0.0.1', 'IPv4', true)],
      wlan0: [a('fe80::1', 'IPv6'), a('2001:db8::5', 'IPv6'), a('10.1.2.3', 'IPv4')],
      eth0: [a('169.254.3.3', 'IPv4'), a('192.168.1.20', 'IPv4')],
    } as never);
    expect(ips).toEqual(['192.168.1.20 (eth0)', '10.1.2.3 (wlan0)', '2001:db8::5 (wlan0)']);
  });
});

describe('technician button actions', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('short press shows id, addresses and state; long press identifies; failures are reported', async () => {
    const gpio = new MemoryGpio();
    const shown: unknown[] = [];
    const errors: unknown[] = [];
    let identifyCalls = 0;
    const handlers = technicianHandlers({
      info: () => ({ deviceId: 'ha-tien-001', ips: ['10.0.0.5 (eth0)'], state: 'offline' }),
      show: (i) => shown.push(i),
      identify: async () => {
        identifyCalls++;
        if (identifyCalls === 2) throw new Error('no link');
      },
      onError: (e) => errors.push(e),
    });
    const b = new Button(
      gpio,
      4,
      { activeLow: true, debounceMs: 20, longPressMs: 2000 },
      handlers,
      { now: () => Date.now() },
      systemTimers,
    );
    gpio.release(4);
    b.start();
    const hold = async (ms: number) => {
      gpio.press(4);
      await vi.advanceTimersByTimeAsync(ms);
      gpio.release(4);
      await vi.advanceTimersByTimeAsync(50);
    };
    await hold(300);
    expect(shown).toEqual([{ deviceId: 'ha-tien-001', ips: ['10.0.0.5 (eth0)'], state: 'offline' }]);
    await hold(2500);
    await hold(2500);
    expect(identifyCalls).toBe(2);
    expect(errors.map((e) => (e as Error).message)).toEqual(['no link']);
    expect(shown).toHaveLength(1);
  });
});

describe('gpio smoke routine', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('shows every LED code, clicks the relay, and reports presses and motion', async () => {
    const gpio = new MemoryGpio();
    gpio.release(27);
    const lines: string[] = [];
    const done = runGpioSmoke(
      gpio,
      { led: 17, button: 27, buttonActiveLow: true, relay: 26, motion: 22 },
      1000,
      (l) => lines.push(l),
      { now: () => Date.now() },
      systemTimers,
      memoryLogger(),
    );
    await vi.advanceTimersByTimeAsync(500);
    gpio.press(27);
    await vi.advanceTimersByTimeAsync(200);
    gpio.release(27);
    gpio.setInput(22, 1);
    await vi.advanceTimersByTimeAsync(10_000);
    const events = await done;
    // motion is reported at once; the release counts after the 30 ms debounce
    expect(events).toEqual(['motion', 'button: short press']);
    expect(lines.filter((l) => l.startsWith('LED: '))).toEqual([
      'LED: playing',
      'LED: starting',
      'LED: offline',
      'LED: no-content',
      'LED: error',
      'LED: identify',
    ]);
    expect(gpio.writes.filter((w) => w.pin === 26).map((w) => w.value)).toEqual([1, 0]);
    expect(gpio.level(17)).toBe(0);
    expect(gpio.isWatched(27)).toBe(false);
    expect(gpio.isWatched(22)).toBe(false);
  });
});
