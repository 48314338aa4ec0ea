import type { DisplayPower, PowerState } from './display-power.js';
import { DisplayPowerError } from './display-power.js';

/** In-memory twin: records every set; `failNext(n)` makes the next n sets throw. */
export class MemoryDisplayPower implements DisplayPower {
  readonly name = 'memory';
  readonly calls: PowerState[] = [];
  private current: PowerState | 'unknown' = 'unknown';
  private failures = 0;

  async set(state: PowerState): Promise<void> {
    if (this.failures > 0) {
      this.failures--;
      throw new DisplayPowerError('memory display: set failed (as asked)');
    }
    this.calls.push(state);
    this.current = state;
  }

  async state(): Promise<PowerState | 'unknown'> {
    return this.current;
  }

  failNext(n = 1): void {
    this.failures = n;
  }
}
