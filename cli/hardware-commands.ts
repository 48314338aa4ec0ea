import { type Command, InvalidArgumentError } from 'commander';
import { GpioError } from '../device/gpio/gpio.js';
import { MemoryGpio } from '../device/gpio/memory-gpio.js';
import { OnoffGpio } from '../device/gpio/onoff-gpio.js';
import { runGpioSmoke } from '../device/gpio/smoke.js';
import { systemTimers } from '../device/timers.js';
import { systemClock } from '../protocol/clock.js';
import { createLogger } from '../platform/log.js';

const pin = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 27)
    throw new InvalidArgumentError(`"${v}" is not a BCM GPIO line (0–27)`);
  return n;
};

export function registerHardwareCommands(program: Command): void {
  program
    .command('gpio-smoke')
    .description('On the Pi: show every LED code, click the relay, and report button presses and motion')
    .option('--led <bcm>', 'status LED pin', pin)
    .option('--button <bcm>', 'technician button pin', pin)
    .option('--button-active-high', 'the button pulls the pin high when pressed')
    .option('--relay <bcm>', 'screen relay pin', pin)
    .option('--motion <bcm>', 'motion sensor pin', pin)
    .option('--step-ms <ms>', 'how long each LED code shows', '3000')
    .option('--memory', 'use the in-memory twin (no hardware; for trying the command)')
    .action(
      async (f: {
        led?: number;
        button?: number;
        buttonActiveHigh?: boolean;
        relay?: number;
        motion?: number;
        stepMs: string;
        memory?: boolean;
      }) => {
        const log = createLogger('cli:gpio-smoke');
        if (!f.memory && !(await OnoffGpio.accessible()))
          throw new GpioError(
            'sysfs GPIO is not accessible here (not a Pi, or not in group gpio); --memory tries without',
          );
        const gpio = f.memory ? new MemoryGpio() : await OnoffGpio.open();
        try {
          await runGpioSmoke(
            gpio,
            { ...f, buttonActiveLow: !f.buttonActiveHigh },
            Number(f.stepMs),
            (l) => process.stdout.write(`${l}\n`),
            systemClock,
            systemTimers,
            log,
          );
        } finally {
          await gpio.close();
        }
      },
    );
}
