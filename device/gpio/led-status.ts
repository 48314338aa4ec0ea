/**
 * The status LED's facts, kept up to date by what the daemon's parts report (a play, a browser
 * restart, new content, the link going up or down, an identify request) instead of being polled.
 * Each change recomputes the state and passes it on only when it differs. The two facts that expire
 * by themselves (identifying, recently playing) arm one timeout each, for when they expire.
 */
import type { Clock } from '../../protocol/clock.js';
import type { Timers } from '../timers.js';
import { type LedInputs, type LedState, ledStateFor } from './status-led.js';

/** An item shown within this window counts as playing; longer silence falls back to 'starting'. */
export const PLAYING_WINDOW_MS = 60_000;

export interface LedStatusDeps {
  clock: Clock;
  timers: Timers;
}

export class LedStatus {
  private identifyUntilMs = 0;
  private lastPlayedAtMs: number | undefined;
  private hasError = false;
  private needsTechnician = false;
  private hasContent = false;
  private isOnline = false;
  private shown: LedState | undefined;
  private running = false;
  private identifyTimer: unknown;
  private playingTimer: unknown;
  private readonly listeners = new Set<(state: LedState) => void>();

  constructor(private readonly d: LedStatusDeps) {}

  /** Shows the current state now; until then changes are only remembered. */
  start(): void {
    this.running = true;
    this.shown = undefined;
    // Facts told before start still expire on time.
    const now = this.d.clock.now();
    this.arm('identifyTimer', this.identifyUntilMs - now);
    if (this.lastPlayedAtMs !== undefined)
      this.arm('playingTimer', this.lastPlayedAtMs + PLAYING_WINDOW_MS - now);
    this.update();
  }

  /** Told each new state (Hardware.showLed); returns an unsubscribe function. */
  onChange(listener: (state: LedState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  stop(): void {
    this.running = false;
    this.clear('identifyTimer');
    this.clear('playingTimer');
  }

  inputs(): LedInputs {
    const now = this.d.clock.now();
    return {
      identifying: now < this.identifyUntilMs,
      needsTechnician: this.needsTechnician,
      hasError: this.hasError,
      hasContent: this.hasContent,
      isOnline: this.isOnline,
      isPlaying: this.lastPlayedAtMs !== undefined && now - this.lastPlayedAtMs < PLAYING_WINDOW_MS,
    };
  }

  /** An item went on air: the player works again. */
  played(): void {
    this.lastPlayedAtMs = this.d.clock.now();
    this.hasError = false;
    this.arm('playingTimer', PLAYING_WINDOW_MS);
    this.update();
  }

  /** The browser had to be restarted: an error until the next item plays. */
  playerFailed(): void {
    this.hasError = true;
    this.update();
  }

  /** Something only a site visit can fix (a lost device key): the technician code until restart. */
  technicianNeeded(): void {
    this.needsTechnician = true;
    this.update();
  }

  contentChanged(hasContent: boolean): void {
    this.hasContent = hasContent;
    this.update();
  }

  linkChanged(isOnline: boolean): void {
    this.isOnline = isOnline;
    this.update();
  }

  /** Flicker until `untilMs` (the clock's epoch ms). */
  identifyUntil(untilMs: number): void {
    this.identifyUntilMs = untilMs;
    this.arm('identifyTimer', untilMs - this.d.clock.now());
    this.update();
  }

  private arm(which: 'identifyTimer' | 'playingTimer', ms: number): void {
    this.clear(which);
    if (!this.running || ms <= 0) return;
    this[which] = this.d.timers.setTimeout(() => {
      this[which] = undefined;
      this.update();
    }, ms);
  }

  private clear(which: 'identifyTimer' | 'playingTimer'): void {
    if (this[which] !== undefined) this.d.timers.clearTimeout(this[which]);
    this[which] = undefined;
  }

  private update(): void {
    if (!this.running) return;
    const state = ledStateFor(this.inputs());
    if (state === this.shown) return;
    this.shown = state;
    for (const l of this.listeners) l(state);
  }
}
