/**
 * The schedule engine as the player sees it. The page switches on the browser's own (system) clock,
 * while the plan is made on the trusted clock (NTP, the server's time, or the last-known-good floor),
 * so planned times are moved by the difference between the two, in whole seconds so that slide ids
 * stay stable between calls.
 */
import type { Clock } from '../../protocol/clock.js';
import { createScheduleEngine } from '../../protocol/schedule-engine.js';
import type { PlannedItem } from '../../protocol/schedule.js';
import type { Planner } from '../daemon.js';
import { type PlanClock, planOptionsFor } from './plan.js';

export function trustedPlanner(trusted: Clock & PlanClock, system: Clock): Planner {
  return (bundle, config) => {
    const engine = createScheduleEngine(bundle.manifest, config.gate);
    return (t) => {
      const offset = clockOffsetMs(trusted, system);
      const plan = engine.now(t + offset, planOptionsFor(trusted));
      const shift = (p: PlannedItem | undefined) => (p ? { ...p, startAt: p.startAt - offset } : undefined);
      const current = shift(plan.current);
      const next = shift(plan.next);
      return { ...(current ? { current } : {}), ...(next ? { next } : {}) };
    };
  };
}

/** Trusted minus system time, in whole seconds. */
export function clockOffsetMs(trusted: Clock, system: Clock): number {
  return Math.round((trusted.now() - system.now()) / 1000) * 1000;
}
