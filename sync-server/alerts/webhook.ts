/**
 * Delivers alert events to the configured webhook: POST JSON, retry on network errors, 408, 429
 * and 5xx with capped exponential backoff, wait at least as long as a Retry-After asks, give up
 * on other 4xx at once. `fetch`, the clock and the wait are injected.
 */
import { createHmac } from 'node:crypto';
import { backoffDelayMs } from '../../protocol/backoff.js';
import type { Clock } from '../../protocol/clock.js';
import { coded } from '../../protocol/errors.js';
import type { Logger } from '../../platform/log.js';
import type { AlertEvent } from './types.js';

export class WebhookError extends coded('WEBHOOK_FAILED') {
  constructor(
    message: string,
    readonly attempts: number,
    readonly lastStatus: number | null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
export const isWebhookError = (e: unknown): e is WebhookError => e instanceof WebhookError;

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface WebhookOptions {
  url: string;
  /** When set, each request carries `x-gatecast-signature: sha256=<hex HMAC of the body>`. */
  secret?: string;
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** The longest Retry-After we honour; a longer one is cut to this. */
  maxRetryAfterMs?: number;
  timeoutMs?: number;
}

export interface WebhookDeps {
  fetch: FetchLike;
  clock: Clock;
  /** Waits `ms`; tests pass one that advances a fake clock. */
  sleep: (ms: number) => Promise<void>;
  logger: Logger;
  /** 0..1; jitter takes up to half the backoff off. Tests pass () => 1 for exact delays. */
  random?: () => number;
}

export interface DeliveryResult {
  attempts: number;
  status: number;
  /** The waits between attempts, ms. */
  delaysMs: number[];
}

/** The wait a Retry-After header asks for (delta-seconds or an HTTP-date), or undefined. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

const isRetryableStatus = (s: number) => s === 408 || s === 429 || s >= 500;

/** The JSON body posted for a batch of alert events. */
export function webhookPayload(events: readonly AlertEvent[], sentAt: number): string {
  return JSON.stringify({
    v: 1,
    sentAt: new Date(sentAt).toISOString(),
    events: events.map((e) => ({
      type: e.type,
      key: e.alert.key,
      kind: e.alert.kind,
      severity: e.alert.severity,
      siteGroup: e.alert.siteGroup,
      deviceId: e.alert.deviceId ?? null,
      params: e.alert.params,
      raisedAt: new Date(e.alert.raisedAt).toISOString(),
      resolvedAt: e.alert.resolvedAt === null ? null : new Date(e.alert.resolvedAt).toISOString(),
      acknowledgedBy: e.alert.acknowledgedBy,
    })),
  });
}

export class WebhookSender {
  private readonly opts: Required<Omit<WebhookOptions, 'secret'>> & { secret?: string };

  constructor(
    options: WebhookOptions,
    private readonly deps: WebhookDeps,
  ) {
    this.opts = {
      maxAttempts: 6,
      baseDelayMs: 1000,
      maxDelayMs: 60_000,
      maxRetryAfterMs: 10 * 60_000,
      timeoutMs: 10_000,
      ...options,
    };
  }

  /** Posts `events`; resolves once the receiver answers 2xx, throws WebhookError when it gives up. */
  send(events: readonly AlertEvent[]): Promise<DeliveryResult> {
    return this.post(webhookPayload(events, this.deps.clock.now()));
  }

  /**
   * Posts one JSON body (other events than alerts, e.g. drafts waiting for approval) with the same
   * signing, retries and backoff.
   */
  async post(body: string): Promise<DeliveryResult> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.opts.secret)
      headers['x-gatecast-signature'] =
        `sha256=${createHmac('sha256', this.opts.secret).update(body).digest('hex')}`;
    const delaysMs: number[] = [];
    const random = this.deps.random ?? Math.random;
    let lastStatus: number | null;
    let lastError: unknown;
    for (let attempt = 1; ; attempt++) {
      let retryAfterMs: number | undefined;
      try {
        const res = await this.deps.fetch(this.opts.url, {
          method: 'POST',
          headers,
          body,
          signal: AbortSignal.timeout(this.opts.timeoutMs),
        });
        lastStatus = res.status;
        await res.arrayBuffer().catch(() => undefined); // drain the body so the socket is reused
        if (res.ok) return { attempts: attempt, status: res.status, delaysMs };
        if (!isRetryableStatus(res.status))
          throw new WebhookError(`webhook refused the alert (HTTP ${res.status})`, attempt, res.status);
        retryAfterMs = parseRetryAfter(res.headers.get('retry-after'), this.deps.clock.now());
        lastError = undefined;
      } catch (err) {
        if (isWebhookError(err)) throw err;
        lastError = err;
        lastStatus = null;
      }
      if (attempt >= this.opts.maxAttempts)
        throw new WebhookError(
          `webhook delivery failed after ${attempt} attempts (${lastStatus === null ? 'no response' : `HTTP ${lastStatus}`})`,
          attempt,
          lastStatus,
          { cause: lastError },
        );
      // Half jitter: receivers that failed together do not all come back at the same instant.
      const delay = backoffDelayMs(
        attempt - 1,
        {
          baseMs: this.opts.baseDelayMs,
          maxMs: this.opts.maxDelayMs,
          jitter: 0.5,
          maxRetryAfterMs: this.opts.maxRetryAfterMs,
        },
        { random, retryAfterMs },
      );
      this.deps.logger.warn('webhook attempt failed', {
        attempt,
        delayMs: delay,
        status: lastStatus,
        err: lastError,
      });
      delaysMs.push(delay);
      await this.deps.sleep(delay);
    }
  }
}
