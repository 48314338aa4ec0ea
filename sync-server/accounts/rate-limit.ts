/**
 * Password-check limiting (login and change of the own password). Only failures count, so an
 * approver who signs in again and again is never slowed by their own work. Three failure counters,
 * each with a progressive delay (after `freeFailures`, each further attempt waits base·2^k, capped):
 *
 * - pair (username, address): the tight one; a success clears it.
 * - user (username from any address): looser; slows a guess spread over many addresses. It does not
 *   apply to a pair that has succeeded before, so a guesser elsewhere cannot keep the real user out.
 * - address (any username): slows one address trying many usernames.
 *
 * An attempt counts as a failure when it starts (parallel guesses cannot slip past the check) and a
 * success takes its own count back. A refused attempt counts nothing. Every decision is a pure
 * function of the counters and `now` (the caller's injected clock); the class only keeps the maps.
 */
import { backoffDelayMs } from '../../protocol/backoff.js';

export interface DelayPolicy {
  /** Failures allowed without any wait. */
  freeFailures: number;
  /** Wait after the first failure beyond the free ones; doubles with each further failure. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A counter with no failure for this long is forgotten. */
  forgetAfterMs: number;
}

export interface FailureCounter {
  failures: number;
  lastFailureAt: number;
}

/** The counter as it stands at `now` (undefined once forgotten). */
export function liveCounter(
  c: FailureCounter | undefined,
  now: number,
  p: DelayPolicy,
): FailureCounter | undefined {
  if (!c || c.failures <= 0 || now - c.lastFailureAt >= p.forgetAfterMs) return undefined;
  return c;
}

/** The wait that `failures` past failures impose after the last one. */
export function delayAfter(failures: number, p: DelayPolicy): number {
  if (failures < p.freeFailures) return 0;
  return backoffDelayMs(failures - p.freeFailures, { baseMs: p.baseDelayMs, maxMs: p.maxDelayMs });
}

/** How long from `now` until the counter lets one more attempt through (0: now). */
export function waitMs(c: FailureCounter | undefined, now: number, p: DelayPolicy): number {
  const live = liveCounter(c, now, p);
  if (!live) return 0;
  return Math.max(0, live.lastFailureAt + delayAfter(live.failures, p) - now);
}

/** The counter after one more (provisional) failure at `now`. */
export function countFailure(c: FailureCounter | undefined, now: number, p: DelayPolicy): FailureCounter {
  const live = liveCounter(c, now, p);
  return { failures: (live?.failures ?? 0) + 1, lastFailureAt: now };
}

export interface LoginLimits {
  pair: DelayPolicy;
  user: DelayPolicy;
  address: DelayPolicy;
  /** A pair that succeeded is exempt from the user ceiling for this long after its last success. */
  trustPairForMs: number;
  /** Entries kept at most (counters and trusted pairs); forgotten ones go first, then the oldest. */
  maxEntries: number;
}

const MINUTE = 60_000;

/**
 * Pair: 3 free, then 1 s, 2 s, 4 s … up to 5 min. User: 10 free, then up to 1 min. Address: 20 free,
 * then up to 5 min. Counters are forgotten after an hour (the user's after 15 min) without failures.
 */
export const DEFAULT_LOGIN_LIMITS: Readonly<LoginLimits> = Object.freeze({
  pair: { freeFailures: 3, baseDelayMs: 1000, maxDelayMs: 5 * MINUTE, forgetAfterMs: 60 * MINUTE },
  user: { freeFailures: 10, baseDelayMs: 1000, maxDelayMs: MINUTE, forgetAfterMs: 15 * MINUTE },
  address: { freeFailures: 20, baseDelayMs: 1000, maxDelayMs: 5 * MINUTE, forgetAfterMs: 60 * MINUTE },
  trustPairForMs: 30 * 24 * 60 * MINUTE,
  maxEntries: 50_000,
});

/** One attempt let through: hand it back to `succeeded` when the password was right. */
export interface AttemptTicket {
  readonly pairKey: string;
  readonly userKey: string | null;
  readonly addressKey: string;
}

export type AttemptDecision =
  { allowed: true; retryAfterMs: 0; ticket: AttemptTicket } | { allowed: false; retryAfterMs: number };

type Kind = 'pair' | 'user' | 'address';

export class LoginRateLimiter {
  private readonly counters = new Map<string, FailureCounter>();
  private readonly trusted = new Map<string, number>();

  constructor(private readonly limits: LoginLimits = DEFAULT_LOGIN_LIMITS) {}

  /** Decides one attempt for `username` from `address` at `now`; a let-through attempt counts as a failure until `succeeded`. */
  attempt(username: string, address: string, now: number): AttemptDecision {
    const user = username.trim().toLowerCase();
    const pairKey = `p:${user}\n${address}`;
    const userKey = this.isTrusted(pairKey, now) ? null : `u:${user}`;
    const addressKey = `a:${address}`;
    const keys: [string, Kind][] = [
      [pairKey, 'pair'],
      [addressKey, 'address'],
    ];
    if (userKey) keys.push([userKey, 'user']);
    const wait = Math.max(...keys.map(([k, kind]) => waitMs(this.counters.get(k), now, this.limits[kind])));
    if (wait > 0) return { allowed: false, retryAfterMs: wait };
    for (const [k, kind] of keys)
      this.put(this.counters, k, countFailure(this.counters.get(k), now, this.limits[kind]), now);
    return { allowed: true, retryAfterMs: 0, ticket: { pairKey, userKey, addressKey } };
  }

  /** The attempt's password was right: its pair is cleared and trusted, its own count taken back elsewhere. */
  succeeded(ticket: AttemptTicket, now: number): void {
    this.counters.delete(ticket.pairKey);
    for (const k of [ticket.userKey, ticket.addressKey]) {
      const c = k === null ? undefined : this.counters.get(k);
      if (!c) continue;
      if (c.failures <= 1) this.counters.delete(k!);
      else this.counters.set(k!, { ...c, failures: c.failures - 1 });
    }
    this.put(this.trusted, ticket.pairKey, now, now);
  }

  /** Entries held (counters and trusted pairs). */
  get size(): number {
    return this.counters.size + this.trusted.size;
  }

  private isTrusted(pairKey: string, now: number): boolean {
    const at = this.trusted.get(pairKey);
    return at !== undefined && now - at < this.limits.trustPairForMs;
  }

  private put<V>(map: Map<string, V>, key: string, value: V, now: number): void {
    map.delete(key); // re-insert so each map's order is least recently written first
    map.set(key, value);
    if (this.size <= this.limits.maxEntries) return;
    for (const [k, c] of this.counters) {
      const kind: Kind = k.startsWith('p:') ? 'pair' : k.startsWith('u:') ? 'user' : 'address';
      if (!liveCounter(c, now, this.limits[kind])) this.counters.delete(k);
    }
    for (const [k, at] of this.trusted) if (now - at >= this.limits.trustPairForMs) this.trusted.delete(k);
    // Everything is live: drop the least recently written counter (trust is kept while counters remain).
    while (this.size > this.limits.maxEntries) {
      const from = this.counters.size > 0 ? this.counters : this.trusted;
      const oldest = from.keys().next();
      if (oldest.done) return;
      from.delete(oldest.value);
    }
  }
}
