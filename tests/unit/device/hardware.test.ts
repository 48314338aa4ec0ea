import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ScheduleAt } from '../../../device/display/controller.js';
import { MemoryGpio } from '../../../device/gpio/memory-gpio.js';
import { Hardware } from '../../../device/hardware.js';
import { systemTimers } from '../../../device/timers.js';
import { parseDeviceConfig } from '../../../protocol/config.js';
import { memoryLogger } from '../../../platform/log.js';

const config = parseDeviceConfig({
  gate: {
    siteGroup: 'kien-giang/ha-tien',
    name: 'Hà Tiên',
    languages: ['vi', 'km'],
    openingHours: [{ start: '06:00', end: '22:00' }],
  },
  gpio: { enabled: true, statusLedPin: 17, buttonPin: 27, relayPin: 26, motionPin: 22, motionWakeMs: 60_000 },
  display: { powerAdapter: 'auto' },
});

describe('hardware wiring', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2026-03-01T16:00:00Z') }); // 23:00 in Hà Tiên: closed
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('drives LED, relay from the schedule and motion, and the technician button', async () => {
    const gpio = new MemoryGpio();
    const shown: string[] = [];
    const jobs: { at: Date; fn: () => void }[] = [];
    const scheduleAt: ScheduleAt = (at, fn) => {
      const j = { at, fn };
      jobs.push(j);
      return () => jobs.splice(jobs.indexOf(j), 1);
    };
    const log = memoryLogger();
    const hw = new Hardware({
      config,
      env: { PATH: '/nonexistent' },
      log,
      clock: { now: () => Date.now() },
      timers: systemTimers,
      run: async () => ({ code: 127, stdout: '', stderr: 'not found' }),
      scheduleAt,
      technician: {
        info: () => ({ deviceId: 'd1', ips: [], state: 'playing' }),
        show: (i) => shown.push(i.deviceId),
        identify: async () => undefined,
      },
      openGpio: async () => gpio,
    });
    gpio.release(27);
    await hw.start();
    expect(hw.health()).toMatchObject({
      gpio: 'real',
      display: { adapter: 'relay', desired: 'off', actual: 'off' },
      led: 'starting',
    });
    expect(gpio.level(26)).toBe(0);
    expect(jobs.map((j) => j.at.toISOString())).toEqual(['2026-03-01T23:00:00.000Z']);

    gpio.setInput(22, 1); // motion
    await vi.advanceTimersByTimeAsync(0);
    expect(gpio.level(26)).toBe(1);
    expect(hw.health().display).toMatchObject({ reason: 'motion' });

    hw.setLed({ identifying: false, hasError: false, hasContent: true, isOnline: true, isPlaying: true });
    expect(hw.health().led).toBe('playing');
    expect(gpio.level(17)).toBe(1);

    gpio.press(27);
    await vi.advanceTimersByTimeAsync(200);
    gpio.release(27);
    await vi.advanceTimersByTimeAsync(100);
    expect(shown).toEqual(['d1']);

    await hw.displayOverride('off');
    expect(gpio.level(26)).toBe(0);
    await hw.stop();
    expect(gpio.isWatched(27)).toBe(false);
  });

  it('falls back to the memory twin with a warning when GPIO cannot be opened', async () => {
    const log = memoryLogger();
    const hw = new Hardware({
      config: parseDeviceConfig({
        ...config,
        gpio: { enabled: true, statusLedPin: 17 },
        display: { powerAdapter: 'none' },
      }),
      env: {},
      log,
      clock: { now: () => Date.now() },
      timers: systemTimers,
      run: async () => ({ code: 0, stdout: '', stderr: '' }),
      scheduleAt: () => () => undefined,
      technician: {
        info: () => ({ deviceId: '', ips: [], state: '' }),
        show: () => undefined,
        identify: async () => undefined,
      },
      openGpio: async () => undefined,
    });
    await hw.start();
    expect(hw.health()).toEqual({
      gpio: 'memory',
      display: { adapter: 'none', why: 'display.powerAdapter is "none"' },
      led: 'starting',
    });
    expect(log.records.map((r) => r.msg)).toContain(
      'GPIO not accessible; using the in-memory twin (LED, button and relay do nothing)',
    );
    await hw.stop();
  });
});
