/**
 * Retry delays, one rule for every loop that retries (sync link, update refresh, webhooks, sign-in
 * limiting, browser relaunch): exponential from a base, capped, optionally jittered by an injected
 * random source, never shorter than a server's retry-after. Pure; each caller keeps its own policy.
 */
import { coded } from './errors.js';

/** A policy or a draw that makes no sense (negative attempt, jitter without a random source, ...). */
export class BackoffError extends coded('BACKOFF_INVALID') {}
export const isBackoffError = (e: unknown): e is BackoffError => e instanceof BackoffError;

export interface BackoffPolicy {
  /** The delay before the first retry (attempt 0), ms; it doubles with each further attempt. */
  baseMs: number;
  /** The longest delay the doubling reaches, ms. */
  maxMs: number;
  /**
   * Share of the delay a random draw may take off, 0..1: 0 (default) always waits the whole delay,
   * 1 ("full jitter") waits uniformly in [0, delay), 0.5 waits between half and all of it.
   */
  jitter?: number;
  /** The longest retry-after honoured, ms; a server asking for more gets this. Default: no limit. */
  maxRetryAfterMs?: number;
}

export interface BackoffDraw {
  /** Uniform in [0, 1]; needed when the policy jitters. */
  random?: () => number;
  /** What the server asked for, ms: the delay is never shorter (up to `maxRetryAfterMs`). */
  retryAfterMs?: number;
}

const isMs = (n: number | undefined) => n !== undefined && n >= 0 && !Number.isNaN(n);

/** The delay before retry number `attempt` (0 = the first retry), in ms. */
export function backoffDelayMs(attempt: number, policy: BackoffPolicy, draw: BackoffDraw = {}): number {
  const { baseMs, maxMs, jitter = 0, maxRetryAfterMs = Number.POSITIVE_INFINITY } = policy;
  if (!Number.isInteger(attempt) || attempt < 0)
    throw new BackoffError(`attempt must be a whole number from 0, not ${attempt}`);
  if (!isMs(baseMs) || !Number.isFinite(baseMs))
    throw new BackoffError(`baseMs must be a finite number of ms ≥ 0, not ${baseMs}`);
  if (!isMs(maxMs)) throw new BackoffError(`maxMs must be a number of ms ≥ 0, not ${maxMs}`);
  if (!(jitter >= 0 && jitter <= 1)) throw new BackoffError(`jitter must be within 0..1, not ${jitter}`);
  if (!isMs(maxRetryAfterMs)) throw new BackoffError(`maxRetryAfterMs must be ≥ 0, not ${maxRetryAfterMs}`);
  if (draw.retryAfterMs !== undefined && !isMs(draw.retryAfterMs))
    throw new BackoffError(`retryAfterMs must be ≥ 0, not ${draw.retryAfterMs}`);

  // 2^1023 is the largest finite power of two: past it the product would be Infinity (or NaN for 0).
  const capped = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 1023));
  let delay = capped;
  if (jitter > 0) {
    if (!draw.random) throw new BackoffError('a jittered backoff needs a random source');
    const r = draw.random();
    if (!(r >= 0 && r <= 1)) throw new BackoffError(`random must return a number within 0..1, not ${r}`);
    delay = Math.floor(capped * (1 - jitter + jitter * r));
  }
  return draw.retryAfterMs === undefined
    ? delay
    : Math.max(delay, Math.min(draw.retryAfterMs, maxRetryAfterMs));
}
