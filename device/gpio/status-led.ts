import type { Logger } from '../../platform/log.js';
import type { Timers } from '../timers.js';
import type { Gpio, Level } from './gpio.js';

/** What the LED tells a technician, most urgent first. */
export type LedState =
  'identify' | 'technician' | 'error' | 'no-content' | 'offline' | 'playing' | 'starting';

/** The facts the LED is derived from; main.ts fills them from the daemon's loops. */
export interface LedInputs {
  identifying: boolean;
  /**
   * Something only a site visit can fix (the device key of an enrolled screen is lost). Optional:
   * absent means false.
   */
  needsTechnician?: boolean;
  /** A loop is unhealthy (player crashed, store not writable…). */
  hasError: boolean;
  hasContent: boolean;
  isOnline: boolean;
  isPlaying: boolean;
}

/** Picks the one state to show: what the technician must act on wins over what is merely degraded. */
export function ledStateFor(i: LedInputs): LedState {
  if (i.identifying) return 'identify';
  if (i.needsTechnician) return 'technician';
  if (i.hasError) return 'error';
  if (!i.hasContent) return 'no-content';
  if (!i.isOnline) return 'offline';
  return i.isPlaying ? 'playing' : 'starting';
}

/** One step of a blink code: hold `level` for `ms`. A one-step pattern is held for ever. */
export interface LedStep {
  level: Level;
  ms: number;
}

/**
 * Blink codes, chosen to be told apart by eye without counting fast:
 * playing = steady on; starting = slow breathing (1 s on, 1 s off); offline = one short blink every
 * 2 s (playing cached content, no server); no content = two short blinks then a pause; error = fast
 * even blinking (5 Hz); identify = very fast flicker (10 Hz), so it stands out across a hall;
 * technician (a site visit is needed) = three long blinks then a pause, the technician code.
 */
export function ledPattern(state: LedState): readonly LedStep[] {
  return PATTERNS[state];
}

/** The LED on and off in turn, starting on, for these durations (ms). */
const blink = (...ms: number[]): readonly LedStep[] =>
  Object.freeze(ms.map((d, i): LedStep => ({ level: i % 2 === 0 ? 1 : 0, ms: d })));

const PATTERNS: Readonly<Record<LedState, readonly LedStep[]>> = {
  playing: blink(0),
  starting: blink(1000, 1000),
  offline: blink(200, 1800),
  'no-content': blink(200, 200, 200, 1400),
  technician: blink(600, 300, 600, 300, 600, 1600),
  error: blink(100, 100),
  identify: blink(50, 50),
};

/** Plays the pattern of the current state on one pin through injected timers. */
export class StatusLed {
  private state: LedState = 'starting';
  private step = 0;
  private timer: unknown;
  private running = false;
  private isFailing = false;

  constructor(
    private readonly gpio: Gpio,
    private readonly pin: number,
    private readonly timers: Timers,
    private readonly log: Logger,
  ) {}

  start(state: LedState = this.state): void {
    this.running = true;
    this.state = state;
    this.restart();
  }

  set(state: LedState): void {
    if (state === this.state) return;
    this.state = state;
    if (this.running) this.restart();
  }

  current(): LedState {
    return this.state;
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    await this.write(0);
  }

  private restart(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.step = 0;
    this.tick();
  }

  private tick(): void {
    const pattern = ledPattern(this.state);
    const s = pattern[this.step % pattern.length]!;
    void this.write(s.level);
    if (pattern.length === 1) return;
    this.step = (this.step + 1) % pattern.length;
    this.timer = this.timers.setTimeout(() => this.tick(), s.ms);
  }

  private async write(level: Level): Promise<void> {
    try {
      await this.gpio.write(this.pin, level);
      if (this.isFailing) this.log.info('status LED writes work again', { pin: this.pin });
      this.isFailing = false;
    } catch (err) {
      // the LED is a last-resort signal: a failed write must not take anything else down, and one log
      // line per failure streak (not per blink) keeps journald off the SD card
      if (!this.isFailing) this.log.warn('status LED write failed', { pin: this.pin, err });
      this.isFailing = true;
    }
  }
}
