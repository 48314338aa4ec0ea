import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeClock } from '../../../protocol/clock.js';
import { isConfigError } from '../../../protocol/errors.js';
import { parseServerConfig } from '../../../sync-server/config/config.js';
import { createUsers, apiLogin } from '../../helpers/dashboard.js';
import { enrolTestDevice, makeDevice, startServer, until } from '../../helpers/sync.js';
import { tempDir } from '../../helpers/temp.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';

const SECRET = 'webhook-secret-0123456789';
const cleanups = cleanupsAfterEach();

interface Received {
  signature: string | undefined;
  body: { events: { type: string; key: string; kind: string; acknowledgedBy: string | null }[] };
  raw: string;
}

/** A real webhook receiver on 127.0.0.1:0 that records every POST. */
async function webhookReceiver(
  status = 204,
): Promise<{ url: string; received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const sig = req.headers['x-gatecast-signature'];
      received.push({ raw, signature: typeof sig === 'string' ? sig : undefined, body: JSON.parse(raw) });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

const login = apiLogin;

type Alert = { key: string; kind: string; acknowledgedBy: string | null; resolvedAt: number | null };

async function alertsOf(base: string, cookie: string): Promise<Alert[]> {
  const res = await fetch(`${base}/api/alerts`, { headers: { cookie } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { alerts: Alert[] }).alerts;
}

async function fleetAlerts(base: string, cookie: string, id: string): Promise<number | null> {
  const res = await fetch(`${base}/api/dashboard/fleet`, { headers: { cookie } });
  const { rows } = (await res.json()) as { rows: { id: string; alerts: number | null }[] };
  return rows.find((r) => r.id === id)!.alerts;
}

describe('alerts in the running sync server', () => {
  it('raises an offline alert, delivers it, keeps its acknowledgement across a restart and resolves it', async () => {
    const dir = tempDir('gc-alerts-');
    cleanups.push(dir.cleanup);
    const hook = await webhookReceiver();
    cleanups.push(hook.close);
    await createUsers(join(dir.path, 'server'), [
      { username: 'admin', role: 'admin' },
      { username: 'op', role: 'operator' },
      { username: 'viewer', role: 'viewer' },
    ]);
    const clock = fakeClock(Date.now());
    const over = {
      alerts: { thresholds: { offlineAfterMs: 10 * 60_000 }, webhook: { url: hook.url, secret: SECRET } },
    };
    let s = await startServer(dir.path, over, clock);
    let stopped = false;
    cleanups.push(() => (stopped ? undefined : s.server.stop()));
    let base = s.server.url;

    // A real device connects, then goes away.
    const e = await enrolTestDevice(s.api, base, join(dir.path, 'd'));
    let dev = makeDevice(join(dir.path, 'd'), e.deviceId, base);
    dev.client.start();
    await until(() => s.server.hub.isOnline(e.deviceId), 5000, 'device online');
    expect(s.server.alerts.monitor.evaluate().events).toEqual([]);
    await dev.close();
    await until(() => !s.server.hub.isOnline(e.deviceId), 5000, 'device offline');

    // Not yet past the threshold: nothing.
    clock.advance(9 * 60_000);
    expect(s.server.alerts.monitor.evaluate().events).toEqual([]);
    clock.advance(2 * 60_000);
    const step = s.server.alerts.monitor.evaluate();
    const key = `offline:${e.deviceId}`;
    expect(step.events.map((x) => `${x.type}:${x.alert.key}`)).toEqual([`raised:${key}`]);

    const op = await login(base, 'op');
    const viewer = await login(base, 'viewer');
    expect(await alertsOf(base, viewer.cookie)).toEqual([
      expect.objectContaining({ key, kind: 'offline', acknowledgedBy: null, resolvedAt: null }),
    ]);
    expect(await fleetAlerts(base, viewer.cookie, e.deviceId)).toBe(1);

    // The webhook got it, signed.
    await s.server.alerts.monitor.flush();
    expect(hook.received).toHaveLength(1);
    expect(hook.received[0]!.body.events).toEqual([expect.objectContaining({ type: 'raised', key })]);
    expect(hook.received[0]!.signature).toBe(
      `sha256=${createHmac('sha256', SECRET).update(hook.received[0]!.raw).digest('hex')}`,
    );

    // Acknowledging: a viewer may not, a request without CSRF is refused, the operator may.
    const ack = (who: { cookie: string; csrfToken: string }, body: unknown, csrf = true) =>
      fetch(`${base}/api/alerts/ack`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          cookie: who.cookie,
          ...(csrf ? { 'x-csrf-token': who.csrfToken } : {}),
        },
        body: JSON.stringify(body),
      });
    expect((await ack(viewer, { key })).status).toBe(403);
    expect((await ack(op, { key }, false)).status).toBe(403);
    expect((await ack(op, { key: 'offline:nope' })).status).toBe(404);
    // Without a session the ops bearer token does not reach the alert routes.
    const bearer = await fetch(`${base}/api/alerts`, {
      headers: { authorization: `Bearer ${s.config.opsToken}` },
    });
    expect(bearer.status).toBe(401);
    const acked = await ack(op, { key });
    expect(acked.status).toBe(200);
    expect(((await acked.json()) as { alert: Alert }).alert).toMatchObject({ key, acknowledgedBy: 'op' });
    const admin = await login(base, 'admin');
    const audit = (await (
      await fetch(`${base}/api/audit?action=alert.acknowledge`, { headers: { cookie: admin.cookie } })
    ).json()) as { entries: { actor: string; target: string; outcome: string }[] };
    expect(audit.entries).toEqual([expect.objectContaining({ actor: 'op', target: key, outcome: 'ok' })]);
    await s.server.alerts.monitor.flush();
    expect(hook.received.map((r) => r.body.events[0]!.type)).toEqual(['raised', 'acknowledged']);

    // Restart on the same data directory: the alert and its acknowledgement are still there, and
    // evaluating again raises nothing new.
    await s.server.stop();
    stopped = true;
    s = await startServer(dir.path, over, clock);
    stopped = false;
    base = s.server.url;
    const op2 = await login(base, 'op');
    expect(await alertsOf(base, op2.cookie)).toEqual([
      expect.objectContaining({ key, acknowledgedBy: 'op', resolvedAt: null }),
    ]);
    clock.advance(60_000);
    expect(s.server.alerts.monitor.evaluate().events).toEqual([]);
    expect(await fleetAlerts(base, op2.cookie, e.deviceId)).toBe(1);

    // The device comes back: the alert resolves, the webhook hears it, the fleet count drops.
    dev = makeDevice(join(dir.path, 'd'), e.deviceId, base);
    cleanups.push(() => dev.close());
    dev.client.start();
    await until(() => s.server.hub.isOnline(e.deviceId), 5000, 'device back online');
    const back = s.server.alerts.monitor.evaluate();
    expect(back.events.map((x) => `${x.type}:${x.alert.key}`)).toEqual([`resolved:${key}`]);
    expect(await alertsOf(base, op2.cookie)).toEqual([]);
    expect(await fleetAlerts(base, op2.cookie, e.deviceId)).toBe(0);
    await s.server.alerts.monitor.flush();
    expect(hook.received.map((r) => r.body.events[0]!.type)).toEqual(['raised', 'acknowledged', 'resolved']);
  });

  it('stops without waiting out the retries of a failing webhook', async () => {
    const dir = tempDir('gc-alerts-');
    cleanups.push(dir.cleanup);
    const hook = await webhookReceiver(503);
    cleanups.push(hook.close);
    const clock = fakeClock(Date.now());
    const s = await startServer(dir.path, { alerts: { webhook: { url: hook.url } } }, clock);
    let stopped = false;
    cleanups.push(() => (stopped ? undefined : s.server.stop()));
    // Enrolled but never connected: offline since enrolment.
    const e = await enrolTestDevice(s.api, s.server.url, join(dir.path, 'd'));
    clock.advance(11 * 60_000);
    expect(s.server.alerts.monitor.evaluate().events.map((x) => x.alert.key)).toEqual([
      `offline:${e.deviceId}`,
    ]);
    await until(() => hook.received.length >= 1, 5000, 'first webhook attempt');
    // The sender now waits before its next attempt (0.5–1 s, then longer); stopping cuts that short.
    await s.server.stop();
    stopped = true;
    expect(s.log.records.some((r) => r.msg === 'alert webhook gave up')).toBe(true);
    expect(hook.received.length).toBeLessThan(6);
  });

  it('refuses a bad alerts config section with a ConfigError naming the fields', () => {
    const base = { dataDir: '/tmp/x', opsToken: 'x'.repeat(24), trustedRootFile: '/tmp/root.json' };
    expect(parseServerConfig(base).alerts).toEqual({ evaluateIntervalMs: 60_000, thresholds: {} });
    let err: unknown;
    try {
      parseServerConfig({
        ...base,
        alerts: {
          evaluateIntervalMs: 5,
          thresholds: { offlineMinutes: 3 },
          webhook: { url: 'ftp://x', secret: 's' },
        },
      });
    } catch (e) {
      err = e;
    }
    expect(isConfigError(err)).toBe(true);
    const text = JSON.stringify((err as { problems: unknown }).problems);
    for (const f of ['evaluateIntervalMs', 'offlineMinutes', 'url', 'secret']) expect(text).toContain(f);
  });
});
