import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeClock } from '../../../protocol/clock.js';
import { memoryLogger } from '../../../platform/log.js';
import { CSRF_HEADER } from '../../../sync-server/accounts/access-control.js';
import { AlertMonitor } from '../../../sync-server/alerts/monitor.js';
import { alertRoutes } from '../../../sync-server/alerts/routes.js';
import { DASHBOARD_CSP } from '../../../sync-server/web/security-headers.js';
import { type AccountsApp, startAccountsApp } from '../../helpers/accounts-app.js';

const T0 = Date.parse('2026-03-10T03:00:00Z');

describe('alert routes', () => {
  let web: AccountsApp;
  let monitor: AlertMonitor;

  beforeAll(async () => {
    const clock = fakeClock(T0);
    monitor = new AlertMonitor({
      clock,
      logger: memoryLogger(),
      source: {
        read: (now) => ({
          now,
          devices: [
            {
              deviceId: 'ht-1',
              name: 'Sảnh',
              siteGroup: 'kien-giang/ha-tien',
              timezone: 'Asia/Ho_Chi_Minh',
              online: false,
              lastSeenAt: now - 3_600_000,
              enrolledAt: now - 1e9,
              installedBundleVersion: '1',
            },
          ],
          latestHealth: new Map(),
          recentHealth: new Map(),
          latestBundles: new Map(),
          contentGaps: new Map(),
        }),
      },
    });
    monitor.evaluate();
    web = await startAccountsApp({
      clock,
      users: { operator: 'operator', viewer: 'viewer' },
      securityHeaders: true,
      routes: (app, service) => app.register(alertRoutes, { monitor, accounts: service }),
    });
  });

  afterAll(() => web.close());

  const session = (username: string) => web.session(username);

  it('lists active alerts to a viewer, with the security headers', async () => {
    const v = await session('viewer');
    const res = await fetch(`${web.base}/api/alerts`, { headers: { cookie: v.cookie } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toBe(DASHBOARD_CSP);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const body = (await res.json()) as { alerts: { key: string }[] };
    expect(body.alerts.map((a) => a.key)).toEqual(['offline:ht-1']);
  });

  it('lets an operator acknowledge with the CSRF token, not a viewer, and audits it', async () => {
    const ack = (s: { cookie: string; csrf: string }, key: string, csrf = true) =>
      fetch(`${web.base}/api/alerts/ack`, {
        method: 'POST',
        headers: {
          cookie: s.cookie,
          'content-type': 'application/json',
          ...(csrf && { [CSRF_HEADER]: s.csrf }),
        },
        body: JSON.stringify({ key }),
      });
    const v = await session('viewer');
    const op = await session('operator');
    expect((await ack(v, 'offline:ht-1')).status).toBe(403);
    expect((await ack(op, 'offline:ht-1', false)).status).toBe(403);
    expect(monitor.active[0]!.acknowledgedBy).toBeNull();
    expect((await ack(op, 'offline:nope')).status).toBe(404);
    const ok = await ack(op, 'offline:ht-1');
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { alert: { acknowledgedBy: string } }).alert.acknowledgedBy).toBe(
      'operator',
    );
    expect(web.service.listAudit({ action: 'alert.acknowledge', limit: 5 })).toEqual([
      expect.objectContaining({ actor: 'operator', target: 'offline:ht-1', outcome: 'ok' }),
    ]);
  });
});
