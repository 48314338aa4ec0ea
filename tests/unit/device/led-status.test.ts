import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LedStatus, PLAYING_WINDOW_MS } from '../../../device/gpio/led-status.js';
import type { LedState } from '../../../device/gpio/status-led.js';
import { systemTimers } from '../../../device/timers.js';
import { systemClock } from '../../../protocol/clock.js';

describe('status LED facts', () => {
  beforeEach(() => vi.useFakeTimers({ now: new Date('2026-03-01T08:00:00Z') }));
  afterEach(() => vi.useRealTimers());

  function setup() {
    const led = new LedStatus({ clock: systemClock, timers: systemTimers });
    const shown: LedState[] = [];
    led.onChange((s) => shown.push(s));
    return { led, shown };
  }

  it('follows what it is told, most urgent first, and passes on only changes', () => {
    const { led, shown } = setup();
    led.contentChanged(false);
    expect(shown).toEqual([]); // not started: remembered only
    led.start();
    expect(shown).toEqual(['no-content']);
    led.contentChanged(true);
    led.contentChanged(true);
    expect(shown).toEqual(['no-content', 'offline']);
    led.linkChanged(true);
    led.played();
    led.playerFailed();
    led.played();
    expect(shown).toEqual(['no-content', 'offline', 'starting', 'playing', 'error', 'playing']);
    led.stop();
  });

  it('falls back from playing to starting a minute after the last item, with no timer in between', () => {
    const { led, shown } = setup();
    led.contentChanged(true);
    led.linkChanged(true);
    led.start();
    led.played();
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(PLAYING_WINDOW_MS - 1);
    expect(shown).toEqual(['starting', 'playing']);
    vi.advanceTimersByTime(1);
    expect(shown).toEqual(['starting', 'playing', 'starting']);
    expect(vi.getTimerCount()).toBe(0);
    led.stop();
  });

  it('identifies until the deadline, then shows the state underneath again', () => {
    const { led, shown } = setup();
    led.contentChanged(true);
    led.linkChanged(true);
    led.start();
    led.played();
    led.identifyUntil(systemClock.now() + 30_000);
    expect(shown).toEqual(['starting', 'playing', 'identify']);
    vi.advanceTimersByTime(30_000);
    expect(shown).toEqual(['starting', 'playing', 'identify', 'playing']);
    led.stop();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('still lets a play told before start expire on time', () => {
    const { led, shown } = setup();
    led.contentChanged(true);
    led.linkChanged(true);
    led.played();
    vi.advanceTimersByTime(20_000);
    led.start();
    expect(shown).toEqual(['playing']);
    vi.advanceTimersByTime(PLAYING_WINDOW_MS - 20_000);
    expect(shown).toEqual(['playing', 'starting']);
    led.stop();
  });
});
