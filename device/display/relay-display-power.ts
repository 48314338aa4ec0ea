import type { Gpio } from '../gpio/gpio.js';
import type { DisplayPower, PowerState } from './display-power.js';

/**
 * A relay on a GPIO pin that switches the screen's mains. The state is what we last set: a relay has
 * no read-back, and before the first set it is 'unknown'.
 */
export class RelayDisplayPower implements DisplayPower {
  readonly name = 'relay';
  private last: PowerState | undefined;

  constructor(
    private readonly gpio: Gpio,
    private readonly pin: number,
    private readonly activeLow = false,
  ) {}

  async set(state: PowerState): Promise<void> {
    const on = state === 'on';
    await this.gpio.write(this.pin, on !== this.activeLow ? 1 : 0);
    this.last = state;
  }

  async state(): Promise<PowerState | 'unknown'> {
    return this.last ?? 'unknown';
  }
}
