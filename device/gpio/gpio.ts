import { coded } from '../../protocol/errors.js';

export type Level = 0 | 1;

/**
 * Digital pins by BCM line number (GPIO17 = 17). Levels are electrical; active-low wiring is handled
 * by the callers (button, relay), not here.
 */
export interface Gpio {
  write(pin: number, value: Level): Promise<void>;
  /** Calls onEdge on each change of an input; returns an unsubscribe function. */
  watch(pin: number, onEdge: (value: Level) => void): () => void;
  /** Releases every pin this instance claimed. */
  close(): Promise<void>;
}

/** GPIO cannot be used: no header chip, no permission, or a pin is claimed twice. */
export class GpioError extends coded('GPIO_UNAVAILABLE') {}
