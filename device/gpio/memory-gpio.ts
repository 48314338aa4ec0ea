import type { Gpio, Level } from './gpio.js';
import { GpioError } from './gpio.js';

/** In-memory twin of the GPIO port: records writes; `press`/`release`/`setInput` fire edges. */
export class MemoryGpio implements Gpio {
  readonly writes: { pin: number; value: Level }[] = [];
  private readonly outputs = new Map<number, Level>();
  private readonly inputs = new Map<number, Level>();
  private readonly watchers = new Map<number, Set<(v: Level) => void>>();
  private closed = false;

  async write(pin: number, value: Level): Promise<void> {
    if (this.closed) throw new GpioError('MemoryGpio is closed');
    if (this.watchers.has(pin)) throw new GpioError(`GPIO${pin} is an input`);
    this.outputs.set(pin, value);
    this.writes.push({ pin, value });
  }

  watch(pin: number, onEdge: (value: Level) => void): () => void {
    if (this.outputs.has(pin)) throw new GpioError(`GPIO${pin} is an output`);
    const set = this.watchers.get(pin) ?? new Set<(v: Level) => void>();
    this.watchers.set(pin, set);
    set.add(onEdge);
    return () => set.delete(onEdge);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.watchers.clear();
  }

  /** The last level written to an output pin. */
  level(pin: number): Level | undefined {
    return this.outputs.get(pin);
  }

  /** Drives an input to `value` and fires an edge if it changed (bounces: call it repeatedly). */
  setInput(pin: number, value: Level): void {
    if (this.inputs.get(pin) === value) return;
    this.inputs.set(pin, value);
    for (const fn of this.watchers.get(pin) ?? []) fn(value);
  }

  /** A button wired to ground (active low) going down; pass 1 for an active-high button. */
  press(pin: number, activeLevel: Level = 0): void {
    this.setInput(pin, activeLevel);
  }

  release(pin: number, activeLevel: Level = 0): void {
    this.setInput(pin, activeLevel === 0 ? 1 : 0);
  }

  isWatched(pin: number): boolean {
    return (this.watchers.get(pin)?.size ?? 0) > 0;
  }
}
