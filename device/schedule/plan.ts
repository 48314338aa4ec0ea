/**
 * What the player loop asks the schedule: the plan at the trusted clock's "now", switching to the
 * time-unknown mode (default playlist) when the clock cannot be trusted.
 */
import type { NowPlaying, PlanOptions, ScheduleEngine } from '../../protocol/schedule-engine.js';
import type { ClockReading } from '../time/trusted-clock.js';

/** The part of TrustedClock the plan needs. */
export interface PlanClock {
  read(): ClockReading;
  unknownSince(): number | undefined;
}

export interface CurrentPlan extends NowPlaying {
  /** The time the plan was made for, and how far it is trusted (for proof of play and health). */
  clock: ClockReading;
  options: PlanOptions;
}

export function planOptionsFor(clock: PlanClock): PlanOptions {
  const since = clock.unknownSince();
  return since === undefined ? {} : { timeUnknownSince: since };
}

/** The plan at the clock's now: current item, next item and segment. */
export function currentPlan(engine: ScheduleEngine, clock: PlanClock): CurrentPlan {
  const reading = clock.read();
  const options = planOptionsFor(clock);
  return { ...engine.now(reading.ms, options), clock: reading, options };
}
