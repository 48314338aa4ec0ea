import type { Clock } from '../../protocol/clock.js';
import type { Timers } from '../timers.js';
import type { Gpio, Level } from './gpio.js';

export interface ButtonOptions {
  activeLow: boolean;
  debounceMs: number;
  longPressMs: number;
}

export interface ButtonHandlers {
  onShortPress(): void;
  /** Fires while the button is still held, once `longPressMs` has passed; the release is then ignored. */
  onLongPress(): void;
}

/**
 * A debounced push button: a level counts only once it has stayed put for `debounceMs`. Contacts
 * bounce for a few ms; 30 ms is the usual figure for tactile switches [U: not measured on our button].
 */
export class Button {
  private stable = false;
  private candidate = false;
  private debounceTimer: unknown;
  private longTimer: unknown;
  private pressedAt = 0;
  private longFired = false;
  private unwatch: (() => void) | undefined;

  constructor(
    private readonly gpio: Gpio,
    private readonly pin: number,
    private readonly opts: ButtonOptions,
    private readonly handlers: ButtonHandlers,
    private readonly clock: Clock,
    private readonly timers: Timers,
  ) {}

  start(): void {
    this.unwatch = this.gpio.watch(this.pin, (v) => this.edge(v));
  }

  stop(): void {
    this.unwatch?.();
    this.unwatch = undefined;
    for (const t of [this.debounceTimer, this.longTimer]) if (t !== undefined) this.timers.clearTimeout(t);
  }

  private edge(value: Level): void {
    this.candidate = this.opts.activeLow ? value === 0 : value === 1;
    if (this.debounceTimer !== undefined) this.timers.clearTimeout(this.debounceTimer);
    this.debounceTimer = this.timers.setTimeout(() => {
      this.debounceTimer = undefined;
      if (this.candidate !== this.stable) this.commit(this.candidate);
    }, this.opts.debounceMs);
  }

  private commit(pressed: boolean): void {
    this.stable = pressed;
    if (pressed) {
      this.pressedAt = this.clock.now();
      this.longFired = false;
      this.longTimer = this.timers.setTimeout(() => {
        this.longTimer = undefined;
        this.longFired = true;
        this.handlers.onLongPress();
      }, this.opts.longPressMs);
      return;
    }
    if (this.longTimer !== undefined) this.timers.clearTimeout(this.longTimer);
    this.longTimer = undefined;
    if (!this.longFired && this.clock.now() - this.pressedAt < this.opts.longPressMs)
      this.handlers.onShortPress();
  }
}
