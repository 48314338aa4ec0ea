import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GpioError } from './gpio.js';

/** One `/sys/class/gpio/gpiochipN` directory: N is the base, not the /dev/gpiochipN index. */
export interface SysfsChip {
  label: string;
  base: number;
  ngpio: number;
}

/**
 * Labels of the chip that drives the 40-pin header, best first. Pi 5: pinctrl-rp1; Pi 4:
 * pinctrl-bcm2711 (docs/field-notes.md §4 [V]). pinctrl-bcm2835 (Pi 3, Zero 2) is a guess from the kernel's
 * driver name, not checked on a board [U].
 */
export const HEADER_CHIP_LABELS = ['pinctrl-rp1', 'pinctrl-bcm2711', 'pinctrl-bcm2835'] as const;

/** BCM lines on the 40-pin header. */
export const HEADER_LINES = 28;

/** Reads every gpiochip under `<root>/sys/class/gpio`; root is "/" on a device, a fake tree in tests. */
export async function readSysfsChips(root = '/'): Promise<SysfsChip[]> {
  const dir = join(root, 'sys/class/gpio');
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    throw new GpioError(`${dir} is missing: this kernel has no sysfs GPIO`, { cause: err });
  }
  const chips: SysfsChip[] = [];
  for (const name of names.filter((n) => n.startsWith('gpiochip')).sort()) {
    const read = (f: string) => readFile(join(dir, name, f), 'utf8').then((s) => s.trim());
    try {
      const [label, base, ngpio] = await Promise.all([read('label'), read('base'), read('ngpio')]);
      chips.push({ label, base: Number(base), ngpio: Number(ngpio) });
    } catch {
      // a chip directory without these files is not a GPIO chip we can use; skip it
    }
  }
  return chips;
}

/** Picks the header chip by label, never by index or directory name (the Pi 5 chip moved: rl#6144). */
export function pickHeaderChip(chips: readonly SysfsChip[]): SysfsChip {
  for (const label of HEADER_CHIP_LABELS) {
    const chip = chips.find((c) => c.label === label);
    if (chip) return chip;
  }
  throw new GpioError(
    `no Raspberry Pi header GPIO chip found (looked for ${HEADER_CHIP_LABELS.join(', ')}; found ${
      chips.map((c) => `${c.label}@${c.base}`).join(', ') || 'none'
    })`,
  );
}

/** Sysfs number of a BCM line: chip base + line. Bases seen: 0 (old kernels), 399, 512, 571. */
export function sysfsNumber(chip: SysfsChip, line: number): number {
  if (!Number.isInteger(line) || line < 0 || line >= Math.min(chip.ngpio, HEADER_LINES))
    throw new GpioError(`GPIO${line} is not a header line of ${chip.label} (0–${HEADER_LINES - 1})`);
  return chip.base + line;
}
