import { access, constants } from 'node:fs/promises';
import { join } from 'node:path';
import { Gpio as OnoffPin } from 'onoff';
import type { Gpio, Level } from './gpio.js';
import { GpioError } from './gpio.js';
import { pickHeaderChip, readSysfsChips, type SysfsChip, sysfsNumber } from './sysfs-chip.js';

/**
 * GPIO through onoff (sysfs). onoff takes the sysfs number, which on kernels ≥ 6.6 is the chip's
 * dynamic base + BCM line (docs/field-notes.md §4), so the chip is looked up by label at start.
 * Not run on a real Pi here [U]: onoff's epoll edges on Pi 5 (onoff#197), and sysfs GPIO may be
 * dropped from future Pi kernels (deprecated since 4.8); the gpiod CLI is the fallback then.
 * onoff has no pull-up/down control: buttons need the pull set in config.txt (`gpio=17=ip,pu`).
 */
export class OnoffGpio implements Gpio {
  private readonly pins = new Map<number, OnoffPin>();

  constructor(
    private readonly chip: SysfsChip,
    private readonly debounceMs = 0,
  ) {}

  /** Finds the header chip under `root` and builds the adapter; throws GpioError when there is none. */
  static async open(root = '/', debounceMs = 0): Promise<OnoffGpio> {
    return new OnoffGpio(pickHeaderChip(await readSysfsChips(root)), debounceMs);
  }

  /**
   * True when sysfs GPIO can be used here: onoff's own check (export file writable) and a header chip.
   * main.ts calls this once to choose between OnoffGpio and MemoryGpio.
   */
  static async accessible(root = '/'): Promise<boolean> {
    // onoff's own flag looks at the real /sys; under a test root the export file check below stands in
    if (root === '/' && !OnoffPin.accessible) return false;
    try {
      pickHeaderChip(await readSysfsChips(root));
      await access(join(root, 'sys/class/gpio/export'), constants.W_OK);
      return true;
    } catch {
      return false;
    }
  }

  async write(pin: number, value: Level): Promise<void> {
    let p = this.pins.get(pin);
    if (!p) {
      p = this.claim(pin, 'out');
    }
    if (p.direction() !== 'out') throw new GpioError(`GPIO${pin} is an input`);
    await p.write(value);
  }

  watch(pin: number, onEdge: (value: Level) => void): () => void {
    const p = this.pins.get(pin) ?? this.claim(pin, 'in');
    if (p.direction() !== 'in') throw new GpioError(`GPIO${pin} is an output`);
    const cb = (err: Error | null | undefined, value: Level) => {
      if (!err) onEdge(value);
    };
    p.watch(cb);
    return () => p.unwatch(cb);
  }

  async close(): Promise<void> {
    for (const p of this.pins.values()) {
      p.unwatchAll();
      p.unexport();
    }
    this.pins.clear();
  }

  private claim(pin: number, direction: 'in' | 'out'): OnoffPin {
    const n = sysfsNumber(this.chip, pin);
    let p: OnoffPin;
    try {
      p =
        direction === 'out'
          ? new OnoffPin(n, 'out')
          : new OnoffPin(n, 'in', 'both', { debounceTimeout: this.debounceMs });
    } catch (err) {
      throw new GpioError(`cannot export GPIO${pin} (sysfs ${n}): ${(err as Error).message}`, { cause: err });
    }
    this.pins.set(pin, p);
    return p;
  }
}
