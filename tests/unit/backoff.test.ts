import { describe, expect, it } from 'vitest';
import { backoffDelayMs, isBackoffError } from '../../protocol/backoff.js';

describe('backoffDelayMs', () => {
  it('doubles from the base with each attempt and stops at the cap', () => {
    const p = { baseMs: 500, maxMs: 30_000 };
    expect([0, 1, 2, 3, 4, 5, 6, 7, 100].map((a) => backoffDelayMs(a, p))).toEqual([
      500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000,
    ]);
  });

  it('stays at the cap for attempts far past any float range, also with a zero base', () => {
    expect(backoffDelayMs(5000, { baseMs: 1000, maxMs: 60_000 })).toBe(60_000);
    expect(backoffDelayMs(5000, { baseMs: 0, maxMs: 60_000 })).toBe(0);
    // A cap beyond 2^30 bases is still reached by doubling, not stopped short of it.
    expect(backoffDelayMs(40, { baseMs: 1, maxMs: 2 ** 40 })).toBe(2 ** 40);
  });

  it('full jitter draws uniformly below the delay (floored to whole ms)', () => {
    const p = { baseMs: 1000, maxMs: 60_000, jitter: 1 };
    expect(backoffDelayMs(0, p, { random: () => 0.999 })).toBe(999);
    expect(backoffDelayMs(3, p, { random: () => 0.5 })).toBe(4000);
    expect(backoffDelayMs(20, p, { random: () => 0.999 })).toBe(59_940);
    expect(backoffDelayMs(5, p, { random: () => 0 })).toBe(0);
  });

  it('half jitter keeps the delay between half and all of it', () => {
    const p = { baseMs: 1000, maxMs: 60_000, jitter: 0.5 };
    expect(backoffDelayMs(0, p, { random: () => 1 })).toBe(1000);
    expect(backoffDelayMs(9, p, { random: () => 1 })).toBe(60_000);
    expect(backoffDelayMs(2, p, { random: () => 0 })).toBe(2000);
    for (const r of [0, 0.1, 0.33, 0.5, 0.77, 0.999_999]) {
      const d = backoffDelayMs(4, p, { random: () => r });
      expect(d).toBeGreaterThanOrEqual(8000);
      expect(d).toBeLessThanOrEqual(16_000);
    }
  });

  it('honours a retry-after as a floor, up to the policy limit', () => {
    const p = { baseMs: 1000, maxMs: 60_000, jitter: 1 };
    expect(backoffDelayMs(0, p, { random: () => 0.5, retryAfterMs: 30_000 })).toBe(30_000);
    // A retry-after shorter than the backoff does not shorten it.
    expect(backoffDelayMs(5, p, { random: () => 0.5, retryAfterMs: 1 })).toBe(16_000);
    // No limit by default: the server's word wins even past the cap.
    expect(backoffDelayMs(0, p, { random: () => 0, retryAfterMs: 600_000 })).toBe(600_000);
    const capped = { ...p, maxRetryAfterMs: 120_000 };
    expect(backoffDelayMs(0, capped, { random: () => 0, retryAfterMs: 600_000 })).toBe(120_000);
    // The limit bounds only the server's ask; the backoff itself still counts.
    expect(backoffDelayMs(9, { ...capped, maxRetryAfterMs: 1 }, { random: () => 1, retryAfterMs: 5 })).toBe(
      60_000,
    );
  });

  it('refuses a jittered policy without a random source, and nonsense inputs, by name', () => {
    const refuses = (f: () => unknown, what: RegExp) => {
      let caught: unknown;
      try {
        f();
      } catch (err) {
        caught = err;
      }
      expect(isBackoffError(caught)).toBe(true);
      expect((caught as Error).message).toMatch(what);
    };
    refuses(() => backoffDelayMs(0, { baseMs: 1, maxMs: 2, jitter: 1 }), /random/);
    refuses(() => backoffDelayMs(-1, { baseMs: 1, maxMs: 2 }), /attempt/);
    refuses(() => backoffDelayMs(1.5, { baseMs: 1, maxMs: 2 }), /attempt/);
    refuses(() => backoffDelayMs(0, { baseMs: -1, maxMs: 2 }), /baseMs/);
    refuses(() => backoffDelayMs(0, { baseMs: 1, maxMs: Number.NaN }), /maxMs/);
    refuses(() => backoffDelayMs(0, { baseMs: 1, maxMs: 2, jitter: 2 }), /jitter/);
    refuses(() => backoffDelayMs(0, { baseMs: 1, maxMs: 2, jitter: 1 }, { random: () => 1.5 }), /random/);
    refuses(() => backoffDelayMs(0, { baseMs: 1, maxMs: 2 }, { retryAfterMs: -5 }), /retryAfterMs/);
  });
});
