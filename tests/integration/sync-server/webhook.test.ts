import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { reduceAlerts } from '../../../sync-server/alerts/lifecycle.js';
import type { AlertEvent } from '../../../sync-server/alerts/types.js';
import {
  isWebhookError,
  parseRetryAfter,
  WebhookSender,
  type WebhookDeps,
} from '../../../sync-server/alerts/webhook.js';
import { fakeClock } from '../../../protocol/clock.js';
import { memoryLogger } from '../../../platform/log.js';

interface Received {
  headers: IncomingMessage['headers'];
  body: string;
}

type Reply = (res: ServerResponse) => void;

/** A real HTTP server on 127.0.0.1:0 that answers each request with the next scripted reply. */
async function webhookServer(
  replies: Reply[],
): Promise<{ url: string; received: Received[]; server: Server }> {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      const reply = replies.shift() ?? ((r: ServerResponse) => r.writeHead(204).end());
      reply(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, received, server };
}

const T0 = Date.parse('2026-03-10T03:00:00Z');

function events(): AlertEvent[] {
  return reduceAlerts(
    [],
    [
      {
        key: 'offline:dev-1',
        kind: 'offline',
        severity: 'critical',
        siteGroup: 'kien-giang/ha-tien',
        deviceId: 'dev-1',
        params: { minutes: 10, offlineMinutes: 12 },
      },
    ],
    T0,
  ).events;
}

function deps(): WebhookDeps & { clock: ReturnType<typeof fakeClock>; slept: number[] } {
  const clock = fakeClock(T0);
  const slept: number[] = [];
  return {
    fetch: (url, init) => fetch(url, init),
    clock,
    // No real waiting: record the wait and move the fake clock.
    sleep: async (ms) => {
      slept.push(ms);
      clock.advance(ms);
    },
    logger: memoryLogger('webhook'),
    random: () => 1,
    slept,
  };
}

describe('webhook delivery', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = undefined;
  });

  it('retries with capped exponential backoff until the receiver accepts', async () => {
    const fail: Reply = (r) => r.writeHead(503).end('busy');
    const hook = await webhookServer([fail, fail, fail, fail, (r) => r.writeHead(200).end('ok')]);
    server = hook.server;
    const d = deps();
    const sender = new WebhookSender(
      { url: hook.url, baseDelayMs: 1000, maxDelayMs: 5000, secret: 's3cret' },
      d,
    );
    const result = await sender.send(events());
    expect(result).toEqual({ attempts: 5, status: 200, delaysMs: [1000, 2000, 4000, 5000] });
    expect(d.slept).toEqual([1000, 2000, 4000, 5000]);
    expect(hook.received).toHaveLength(5);
    const last = hook.received[4]!;
    expect(last.headers['content-type']).toBe('application/json');
    expect(last.headers['x-gatecast-signature']).toBe(
      `sha256=${createHmac('sha256', 's3cret').update(last.body).digest('hex')}`,
    );
    const payload = JSON.parse(last.body) as {
      v: number;
      events: { type: string; key: string; deviceId: string }[];
    };
    expect(payload.v).toBe(1);
    expect(payload.events).toEqual([
      expect.objectContaining({
        type: 'raised',
        key: 'offline:dev-1',
        deviceId: 'dev-1',
        severity: 'critical',
      }),
    ]);
    // The same body every time: receivers can dedupe.
    expect(new Set(hook.received.map((r) => r.body)).size).toBe(1);
  });

  it('waits as long as Retry-After asks (seconds and HTTP-date)', async () => {
    const hook = await webhookServer([
      (r) => r.writeHead(429, { 'retry-after': '30' }).end(),
      (r) => r.writeHead(503, { 'retry-after': new Date(T0 + 30_000 + 90_000).toUTCString() }).end(),
      (r) => r.writeHead(204).end(),
    ]);
    server = hook.server;
    const d = deps();
    const result = await new WebhookSender({ url: hook.url, baseDelayMs: 1000 }, d).send(events());
    expect(result.attempts).toBe(3);
    expect(d.slept).toEqual([30_000, 90_000]);
  });

  it('gives up at once on a 4xx refusal', async () => {
    const hook = await webhookServer([(r) => r.writeHead(400).end('bad')]);
    server = hook.server;
    const d = deps();
    const err = await new WebhookSender({ url: hook.url }, d).send(events()).catch((e: unknown) => e);
    expect(isWebhookError(err)).toBe(true);
    expect(err).toMatchObject({ code: 'WEBHOOK_FAILED', attempts: 1, lastStatus: 400 });
    expect(d.slept).toEqual([]);
  });

  it('retries a refused connection and gives up after maxAttempts', async () => {
    const hook = await webhookServer([]);
    const url = hook.url;
    await new Promise<void>((r) => hook.server.close(() => r())); // nothing listens there now
    const d = deps();
    const err = await new WebhookSender({ url, maxAttempts: 3, baseDelayMs: 500 }, d)
      .send(events())
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'WEBHOOK_FAILED', attempts: 3, lastStatus: null });
    expect(d.slept).toEqual([500, 1000]);
    expect(
      (d.logger as ReturnType<typeof memoryLogger>).records.filter((r) => r.msg === 'webhook attempt failed'),
    ).toHaveLength(2);
  });

  it('parses Retry-After (seconds or an HTTP date)', () => {
    expect(parseRetryAfter('120', T0)).toBe(120_000);
    expect(parseRetryAfter(new Date(T0 + 5000).toUTCString(), T0)).toBe(5000);
    expect(parseRetryAfter(new Date(T0 - 5000).toUTCString(), T0)).toBe(0);
    expect(parseRetryAfter('soon', T0)).toBeUndefined();
    expect(parseRetryAfter(null, T0)).toBeUndefined();
  });
});
