import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GpioError } from '../../../device/gpio/gpio.js';
import { OnoffGpio } from '../../../device/gpio/onoff-gpio.js';
import { pickHeaderChip, readSysfsChips, sysfsNumber } from '../../../device/gpio/sysfs-chip.js';
import { tempDir } from '../../helpers/temp.js';

let dirs: { cleanup(): void }[] = [];
afterEach(() => {
  for (const d of dirs) d.cleanup();
  dirs = [];
});

/** A fake /sys/class/gpio with the given chips, named by base like the kernel does. */
function fakeSysfs(chips: { label: string; base: number; ngpio: number }[]): string {
  const t = tempDir('gatecast-sysfs-');
  dirs.push(t);
  const dir = join(t.path, 'sys/class/gpio');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'export'), '');
  for (const c of chips) {
    mkdirSync(join(dir, `gpiochip${c.base}`));
    for (const [k, v] of Object.entries(c)) writeFileSync(join(dir, `gpiochip${c.base}`, k), `${v}\n`);
  }
  return t.path;
}

describe('BCM line to sysfs number', () => {
  const cases = [
    { name: 'Pi 4 on an old kernel', chips: [{ label: 'pinctrl-bcm2711', base: 0, ngpio: 58 }], base: 0 },
    {
      name: 'Pi 5 on 6.1 (rp1 not first)',
      chips: [
        { label: 'gpio-brcmstb@107d508500', base: 399 + 54, ngpio: 32 },
        { label: 'pinctrl-rp1', base: 399, ngpio: 54 },
      ],
      base: 399,
    },
    {
      name: 'Pi 4 on 6.6',
      chips: [
        { label: 'raspberrypi-exp-gpio', base: 570, ngpio: 8 },
        { label: 'pinctrl-bcm2711', base: 512, ngpio: 58 },
      ],
      base: 512,
    },
    {
      name: 'Pi 5 on 6.6',
      chips: [
        { label: 'gpio-brcmstb@107d517c00', base: 544, ngpio: 17 },
        { label: 'pinctrl-rp1', base: 571, ngpio: 54 },
      ],
      base: 571,
    },
  ];
  for (const c of cases) {
    it(`picks the header chip by label: ${c.name}`, async () => {
      const root = fakeSysfs(c.chips);
      const chip = pickHeaderChip(await readSysfsChips(root));
      expect(chip.base).toBe(c.base);
      expect(sysfsNumber(chip, 17)).toBe(c.base + 17);
      expect(await OnoffGpio.accessible(root)).toBe(true);
    });
  }

  it('names what it found when no header chip is there', async () => {
    const root = fakeSysfs([{ label: 'gpio-mockup-A', base: 100, ngpio: 8 }]);
    const chips = await readSysfsChips(root);
    expect(() => pickHeaderChip(chips)).toThrow(/no Raspberry Pi header GPIO chip found.*gpio-mockup-A@100/);
    expect(await OnoffGpio.accessible(root)).toBe(false);
  });

  it('rejects lines off the header and a missing sysfs', async () => {
    const chip = { label: 'pinctrl-rp1', base: 571, ngpio: 54 };
    expect(() => sysfsNumber(chip, 28)).toThrow(GpioError);
    expect(() => sysfsNumber(chip, -1)).toThrow(GpioError);
    const empty = tempDir();
    dirs.push(empty);
    await expect(readSysfsChips(empty.path)).rejects.toThrow(/has no sysfs GPIO/);
  });
});
