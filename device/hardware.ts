import type { Clock } from '../protocol/clock.js';
import type { DeviceConfig } from '../protocol/config.js';
import type { Logger } from '../platform/log.js';
import { buildDisplayPower } from './display/build.js';
import { DisplayController, type DisplayHealth, type ScheduleAt } from './display/controller.js';
import { gatherDisplayFacts, pickDisplayAdapter } from './display/detect.js';
import {
  type DisplayPower,
  DisplayUnsupportedError,
  type PowerState,
  type Run,
} from './display/display-power.js';
import { Button } from './gpio/button.js';
import type { Gpio } from './gpio/gpio.js';
import { MemoryGpio } from './gpio/memory-gpio.js';
import { MotionSensor } from './gpio/motion.js';
import { type LedInputs, type LedState, ledStateFor, StatusLed } from './gpio/status-led.js';
import { type TechnicianActions, technicianHandlers } from './gpio/technician.js';
import type { Timers } from './timers.js';

export interface HardwareDeps {
  config: DeviceConfig;
  /** process.env, passed by main.ts (display session detection). */
  env: Record<string, string | undefined>;
  log: Logger;
  clock: Clock;
  timers: Timers;
  run: Run;
  scheduleAt: ScheduleAt;
  technician: Omit<TechnicianActions, 'onError'>;
  /**
   * Opens the real GPIO; main.ts passes `async () => (await OnoffGpio.accessible()) ? OnoffGpio.open() : undefined`
   * so this file never loads onoff. Undefined → the memory twin, with a warning.
   */
  openGpio(): Promise<Gpio | undefined>;
  /** Filesystem root for /dev probes ('/' on a device). */
  sysRoot?: string;
}

export interface HardwareHealth {
  gpio: 'real' | 'memory' | 'off';
  display: DisplayHealth | { adapter: 'none'; why: string };
  led: string | undefined;
}

/**
 * Everything on the box's hardware side, chosen once at start: the GPIO implementation, the status
 * LED, the technician button, the motion sensor and display power with its schedule. main.ts creates
 * one, calls start(), feeds `showLed` and `displayOverride`, and reads `health()`.
 */
export class Hardware {
  private gpio: Gpio | undefined;
  private gpioKind: HardwareHealth['gpio'] = 'off';
  private led: StatusLed | undefined;
  private button: Button | undefined;
  private motion: MotionSensor | undefined;
  private controller: DisplayController | undefined;
  private noDisplayWhy = '';

  constructor(private readonly d: HardwareDeps) {}

  async start(): Promise<void> {
    const { config: c, log } = this.d;
    const g = c.gpio;
    if (g.enabled) {
      this.gpio = await this.d.openGpio().catch((err: unknown) => {
        log.warn('GPIO failed to open', { err });
        return undefined;
      });
      this.gpioKind = this.gpio ? 'real' : 'memory';
      if (!this.gpio) {
        log.warn('GPIO not accessible; using the in-memory twin (LED, button and relay do nothing)');
        this.gpio = new MemoryGpio();
      }
      if (g.statusLedPin !== undefined) {
        this.led = new StatusLed(this.gpio, g.statusLedPin, this.d.timers, log.child('led'));
        this.led.start('starting');
      }
      if (g.buttonPin !== undefined) {
        const handlers = technicianHandlers({
          ...this.d.technician,
          onError: (err) => log.warn('technician action failed', { err }),
        });
        this.button = new Button(
          this.gpio,
          g.buttonPin,
          { activeLow: g.buttonActiveLow, debounceMs: g.debounceMs, longPressMs: g.longPressMs },
          handlers,
          this.d.clock,
          this.d.timers,
        );
        this.button.start();
      }
    }

    const facts = await gatherDisplayFacts(
      this.d.env,
      !!this.gpio && g.relayPin !== undefined,
      this.d.sysRoot,
    );
    const choice = pickDisplayAdapter(c.display.powerAdapter, facts);
    if (choice.kind === 'none') {
      this.noDisplayWhy = choice.why;
      log.warn('no display power control; the screen stays as it is', { why: choice.why });
    } else {
      const power: DisplayPower = buildDisplayPower(choice.kind, {
        run: this.d.run,
        cecDevice: c.display.cecDevice,
        ...(facts.x11Display ? { x11Display: facts.x11Display } : {}),
        ...(this.gpio && g.relayPin !== undefined
          ? { relay: { gpio: this.gpio, pin: g.relayPin, activeLow: g.relayActiveLow } }
          : {}),
      });
      log.info('display power adapter', { adapter: choice.kind, why: choice.why });
      this.controller = new DisplayController(
        power,
        { openingHours: c.gate.openingHours, timezone: c.gate.timezone, motionWakeMs: g.motionWakeMs },
        this.d.clock,
        this.d.scheduleAt,
        log.child('display'),
      );
      await this.controller.start();
    }

    if (this.gpio && g.motionPin !== undefined && this.controller) {
      const controller = this.controller;
      this.motion = new MotionSensor(
        this.gpio,
        g.motionPin,
        (at) => void controller.motion(at),
        this.d.clock,
      );
      this.motion.start();
    }
  }

  setLed(inputs: LedInputs): void {
    this.showLed(ledStateFor(inputs));
  }

  /** Shows `state` on the status LED (nothing without one). */
  showLed(state: LedState): void {
    this.led?.set(state);
  }

  /** An ops command from the server: on/off until `untilMs`, or back to the schedule with 'schedule'. */
  async displayOverride(state: PowerState | 'schedule', untilMs?: number): Promise<void> {
    if (!this.controller)
      throw new DisplayUnsupportedError(
        `no display control adapter detected${this.noDisplayWhy ? ` (${this.noDisplayWhy})` : ''}`,
      );
    if (state === 'schedule') await this.controller.clearOverrides();
    else await this.controller.override(state, untilMs);
  }

  health(): HardwareHealth {
    return {
      gpio: this.gpioKind,
      display: this.controller?.health() ?? { adapter: 'none', why: this.noDisplayWhy },
      led: this.led?.current(),
    };
  }

  async stop(): Promise<void> {
    this.motion?.stop();
    this.button?.stop();
    await this.controller?.stop();
    await this.led?.stop();
    await this.gpio?.close();
  }
}
