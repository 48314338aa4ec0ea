import type { Clock } from '../../protocol/clock.js';
import type { Logger } from '../../platform/log.js';
import type { Timers } from '../timers.js';
import { Button } from './button.js';
import type { Gpio } from './gpio.js';
import { type LedState, StatusLed } from './status-led.js';

export interface SmokePins {
  led?: number;
  button?: number;
  buttonActiveLow: boolean;
  relay?: number;
  motion?: number;
}

const STATES: LedState[] = ['playing', 'starting', 'offline', 'no-content', 'error', 'identify'];

/**
 * On-device smoke test of real pins (`gatecast gpio-smoke`): shows each LED code for `stepMs`,
 * clicks the relay on and off, and reports button presses and motion meanwhile. Tests run it on the
 * memory twin; on a Pi it is the check that wiring and pin numbers are right [U until run on a board].
 */
export async function runGpioSmoke(
  gpio: Gpio,
  pins: SmokePins,
  stepMs: number,
  out: (line: string) => void,
  clock: Clock,
  timers: Timers,
  log: Logger,
): Promise<string[]> {
  const events: string[] = [];
  const note = (e: string) => {
    events.push(e);
    out(e);
  };
  const wait = (ms: number) => new Promise<void>((r) => timers.setTimeout(r, ms));
  const button =
    pins.button === undefined
      ? undefined
      : new Button(
          gpio,
          pins.button,
          { activeLow: pins.buttonActiveLow, debounceMs: 30, longPressMs: 3000 },
          { onShortPress: () => note('button: short press'), onLongPress: () => note('button: long press') },
          clock,
          timers,
        );
  button?.start();
  const unwatchMotion =
    pins.motion === undefined ? undefined : gpio.watch(pins.motion, (v) => v === 1 && note('motion'));
  try {
    if (pins.led !== undefined) {
      const led = new StatusLed(gpio, pins.led, timers, log);
      for (const s of STATES) {
        out(`LED: ${s}`);
        led.start(s);
        await wait(stepMs);
      }
      await led.stop();
    }
    if (pins.relay !== undefined) {
      for (const v of [1, 0] as const) {
        out(`relay GPIO${pins.relay} = ${v}`);
        await gpio.write(pins.relay, v);
        await wait(stepMs);
      }
    }
    if (pins.led === undefined && pins.relay === undefined) await wait(stepMs * STATES.length);
  } finally {
    button?.stop();
    unwatchMotion?.();
  }
  return events;
}
