import type { Clock } from '../../protocol/clock.js';
import type { Gpio } from './gpio.js';

/**
 * A PIR motion sensor (active high output, e.g. HC-SR501). Each rising edge reports motion; the
 * display controller decides what to do with it. The sensor holds its output high for its own
 * re-trigger time, so no debounce is needed here [U: not tried with a real sensor].
 */
export class MotionSensor {
  private unwatch: (() => void) | undefined;

  constructor(
    private readonly gpio: Gpio,
    private readonly pin: number,
    private readonly onMotion: (atMs: number) => void,
    private readonly clock: Clock,
  ) {}

  start(): void {
    this.unwatch = this.gpio.watch(this.pin, (v) => {
      if (v === 1) this.onMotion(this.clock.now());
    });
  }

  stop(): void {
    this.unwatch?.();
    this.unwatch = undefined;
  }
}
