/**
 * Login rate limiting: one token bucket per username and one per client address. The bucket maths
 * is a pure function of (bucket, now); `LoginRateLimiter` keeps the buckets in a bounded map.
 */

export interface BucketConfig {
  /** Attempts allowed in a burst. */
  capacity: number;
  /** Time to regain one attempt. */
  refillEveryMs: number;
}

export interface Bucket {
  tokens: number;
  updatedAt: number;
}

export interface TakeResult {
  allowed: boolean;
  bucket: Bucket;
  /** When denied: how long until one attempt is available. */
  retryAfterMs: number;
}

/** Refills `bucket` up to `now` and takes one token if there is one. */
export function takeToken(bucket: Bucket | undefined, now: number, cfg: BucketConfig): TakeResult {
  const prev = bucket ?? { tokens: cfg.capacity, updatedAt: now };
  const elapsed = Math.max(0, now - prev.updatedAt);
  const tokens = Math.min(cfg.capacity, prev.tokens + elapsed / cfg.refillEveryMs);
  if (tokens >= 1) return { allowed: true, bucket: { tokens: tokens - 1, updatedAt: now }, retryAfterMs: 0 };
  return {
    allowed: false,
    bucket: { tokens, updatedAt: now },
    retryAfterMs: Math.ceil((1 - tokens) * cfg.refillEveryMs),
  };
}

export interface LoginLimits {
  perUser: BucketConfig;
  perAddress: BucketConfig;
  /** Buckets kept at most; full ones are forgotten first. */
  maxBuckets: number;
}

/** 5 tries per user then one a minute; 20 per address then one every 6 s. */
export const DEFAULT_LOGIN_LIMITS: Readonly<LoginLimits> = Object.freeze({
  perUser: { capacity: 5, refillEveryMs: 60_000 },
  perAddress: { capacity: 20, refillEveryMs: 6_000 },
  maxBuckets: 50_000,
});

export class LoginRateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(private readonly limits: LoginLimits = DEFAULT_LOGIN_LIMITS) {}

  /**
   * Takes one attempt for `username` from `address` at `now`. Both buckets must allow it; a denied
   * attempt consumes nothing, so a blocked address cannot drain a user's bucket further.
   */
  attempt(username: string, address: string, now: number): { allowed: boolean; retryAfterMs: number } {
    const userKey = `u:${username.toLowerCase()}`;
    const addrKey = `a:${address}`;
    const u = takeToken(this.buckets.get(userKey), now, this.limits.perUser);
    const a = takeToken(this.buckets.get(addrKey), now, this.limits.perAddress);
    if (!u.allowed || !a.allowed) {
      return {
        allowed: false,
        retryAfterMs: Math.max(u.allowed ? 0 : u.retryAfterMs, a.allowed ? 0 : a.retryAfterMs),
      };
    }
    this.set(userKey, u.bucket, now);
    this.set(addrKey, a.bucket, now);
    return { allowed: true, retryAfterMs: 0 };
  }

  get size(): number {
    return this.buckets.size;
  }

  private set(key: string, bucket: Bucket, now: number): void {
    this.buckets.delete(key); // re-insert so the map's order is least recently used first
    this.buckets.set(key, bucket);
    if (this.buckets.size <= this.limits.maxBuckets) return;
    for (const [k, b] of this.buckets) {
      const cfg = k.startsWith('u:') ? this.limits.perUser : this.limits.perAddress;
      if (takeToken(b, now, cfg).bucket.tokens + 1 >= cfg.capacity) this.buckets.delete(k);
      if (this.buckets.size <= this.limits.maxBuckets) return;
    }
    // Every bucket is in use: drop the least recently used.
    const oldest = this.buckets.keys().next();
    if (!oldest.done) this.buckets.delete(oldest.value);
  }
}
