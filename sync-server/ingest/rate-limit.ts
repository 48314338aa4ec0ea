/**
 * Token bucket: `capacity` frames at once, refilled at `perSecond`. Pure state + clock passed in,
 * so the decision is testable without timers.
 */
export interface TokenBucketOptions {
  perSecond: number;
  capacity: number;
}

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly options: TokenBucketOptions,
    nowMs: number,
  ) {
    this.tokens = options.capacity;
    this.last = nowMs;
  }

  /** Takes one token; false when the bucket is empty (the caller refuses the frame). */
  take(nowMs: number, cost = 1): boolean {
    const elapsed = Math.max(0, nowMs - this.last);
    this.last = nowMs;
    this.tokens = Math.min(this.options.capacity, this.tokens + (elapsed / 1000) * this.options.perSecond);
    if (this.tokens < cost) return false;
    this.tokens -= cost;
    return true;
  }

  /** How long until `cost` tokens are available again. */
  retryAfterMs(cost = 1): number {
    return Math.ceil((Math.max(0, cost - this.tokens) / this.options.perSecond) * 1000);
  }
}
