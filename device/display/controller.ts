import { scheduleJob } from 'node-schedule';
import type { Clock } from '../../protocol/clock.js';
import type { TimeWindow } from '../../protocol/content.js';
import type { Logger } from '../../platform/log.js';
import {
  type DisplayDecision,
  type DisplayOverride,
  desiredDisplayState,
  pruneOverrides,
} from './desired-state.js';
import { type DisplayPower, DisplayPowerError, type PowerState } from './display-power.js';

/** Runs `fn` once at `at`; returns a cancel function. The real one is node-schedule. */
export type ScheduleAt = (at: Date, fn: () => void) => () => void;

export const nodeScheduleAt: ScheduleAt = (at, fn) => {
  const job = scheduleJob(at, fn);
  // node-schedule returns null for an instant already past: run it now instead
  if (!job) {
    const t = setTimeout(fn, 0);
    return () => clearTimeout(t);
  }
  return () => job.cancel();
};

/** What health reports about the screen. */
export interface DisplayHealth {
  adapter: string;
  desired: PowerState;
  reason: DisplayDecision['reason'];
  /** What the hardware says (or the last state set when it cannot say). */
  actual: PowerState | 'unknown';
  lastError: string | undefined;
  nextCheckAt: string | undefined;
}

export interface DisplayControllerOptions {
  openingHours: readonly TimeWindow[] | undefined;
  timezone: string;
  motionWakeMs: number;
  /** After a failed command, try again this soon even if nothing changes. */
  retryMs?: number;
}

/**
 * Applies `desiredDisplayState` to the screen: at start, at each computed transition instant (not by
 * polling), and whenever an override or motion arrives. Commands are sent only on change, so a
 * CEC bus or compositor is not spammed; a failed command is retried after `retryMs`.
 */
export class DisplayController {
  private overrides: DisplayOverride[] = [];
  private motionUntilMs: number | undefined;
  private cancel: (() => void) | undefined;
  private applied: PowerState | undefined;
  private decision: DisplayDecision | undefined;
  private actual: PowerState | 'unknown' = 'unknown';
  private lastError: string | undefined;
  private running = false;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly power: DisplayPower,
    private readonly opts: DisplayControllerOptions,
    private readonly clock: Clock,
    private readonly scheduleAt: ScheduleAt,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    this.running = true;
    await this.reevaluate();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.cancel?.();
    this.cancel = undefined;
    await this.queue;
  }

  /**
   * An ops command; `untilMs` absent keeps it until cleared. Throws DisplayPowerError when the screen
   * did not take the state (the override stays, and the retry keeps trying), so a command never
   * answers success for a switch that did not happen.
   */
  async override(state: PowerState, untilMs?: number): Promise<void> {
    this.overrides.push({ state, atMs: this.clock.now(), ...(untilMs !== undefined ? { untilMs } : {}) });
    await this.reevaluate();
    const d = this.decision;
    if (d && this.applied !== d.state)
      throw new DisplayPowerError(
        `display ${d.state} failed on ${this.power.name}: ${this.lastError ?? 'not applied'}`,
      );
  }

  /** Back to the schedule. */
  async clearOverrides(): Promise<void> {
    this.overrides = [];
    await this.reevaluate();
  }

  async motion(atMs: number): Promise<void> {
    const until = atMs + this.opts.motionWakeMs;
    if (this.motionUntilMs !== undefined && until <= this.motionUntilMs) return;
    this.motionUntilMs = until;
    await this.reevaluate();
  }

  /**
   * Asks the hardware again (someone may have switched the TV by hand) and returns fresh health; the
   * health reporter calls this at its own pace. It does not switch anything.
   */
  async refresh(): Promise<DisplayHealth> {
    this.queue = this.queue.then(async () => {
      try {
        const s = await this.power.state();
        this.actual = s === 'unknown' ? (this.applied ?? 'unknown') : s;
      } catch (err) {
        this.log.debug('display state query failed', { err });
      }
    });
    await this.queue;
    return this.health();
  }

  health(): DisplayHealth {
    const d = this.decision;
    return {
      adapter: this.power.name,
      desired: d?.state ?? 'on',
      reason: d?.reason ?? 'always-open',
      actual: this.actual,
      lastError: this.lastError,
      nextCheckAt: d?.nextCheckMs !== undefined ? new Date(d.nextCheckMs).toISOString() : undefined,
    };
  }

  /** Serialised so that a schedule tick and an override never race on the hardware. */
  private reevaluate(): Promise<void> {
    this.queue = this.queue.then(() => this.apply());
    return this.queue;
  }

  private async apply(): Promise<void> {
    if (!this.running) return;
    const now = this.clock.now();
    this.overrides = pruneOverrides(this.overrides, now);
    const d = desiredDisplayState({
      openingHours: this.opts.openingHours,
      timezone: this.opts.timezone,
      overrides: this.overrides,
      motionUntilMs: this.motionUntilMs,
      nowMs: now,
    });
    this.decision = d;
    let next = d.nextCheckMs;
    if (this.applied !== d.state) {
      try {
        await this.power.set(d.state);
        this.applied = d.state;
        this.lastError = undefined;
        this.log.info('display power set', { state: d.state, reason: d.reason, adapter: this.power.name });
      } catch (err) {
        this.lastError = (err as Error).message;
        this.log.warn('display power command failed', { state: d.state, adapter: this.power.name, err });
        const retry = now + (this.opts.retryMs ?? 60_000);
        next = next === undefined ? retry : Math.min(next, retry);
      }
    }
    try {
      const s = await this.power.state();
      this.actual = s === 'unknown' ? (this.applied ?? 'unknown') : s;
    } catch (err) {
      this.actual = this.applied ?? 'unknown';
      this.log.debug('display state query failed', { err });
    }
    this.cancel?.();
    this.cancel =
      next === undefined ? undefined : this.scheduleAt(new Date(next), () => void this.reevaluate());
  }
}
