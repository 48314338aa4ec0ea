/** Wall-clock time, injected everywhere a decision depends on "now". */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock tests move by hand. */
export interface FakeClock extends Clock {
  set(ms: number | string | Date): void;
  advance(ms: number): void;
}

export function fakeClock(start: number | string | Date = '2026-01-01T00:00:00Z'): FakeClock {
  let t = new Date(start).getTime();
  return {
    now: () => t,
    set: (ms) => {
      t = new Date(ms).getTime();
    },
    advance: (ms) => {
      t += ms;
    },
  };
}
