import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeClock } from '../../../protocol/clock.js';
import { memoryLogger } from '../../../platform/log.js';
import { CSRF_HEADER, installAccessControl } from '../../../sync-server/accounts/access-control.js';
import { LoginRateLimiter } from '../../../sync-server/accounts/rate-limit.js';
import { AccountService } from '../../../sync-server/accounts/service.js';
import {
  openSqliteAccountStore,
  type SqliteAccountStore,
} from '../../../sync-server/accounts/sqlite-accounts.js';
import { AlertMonitor } from '../../../sync-server/alerts/monitor.js';
import { alertRoutes } from '../../../sync-server/alerts/routes.js';
import { DASHBOARD_CSP, installSecurityHeaders } from '../../../sync-server/web/security-headers.js';
import { installHttpConventions } from '../../../sync-server/web/http-app.js';
import { tempDir } from '../../helpers/temp.js';

const PW = 'correct horse battery';
const T0 = Date.parse('2026-03-10T03:00:00Z');

describe('alert routes', () => {
  let dir: ReturnType<typeof tempDir>;
  let app: FastifyInstance;
  let store: SqliteAccountStore;
  let base: string;
  let service: AccountService;
  let monitor: AlertMonitor;

  beforeAll(async () => {
    dir = tempDir();
    store = openSqliteAccountStore(join(dir.path, 'accounts.db'));
    const clock = fakeClock(T0);
    service = new AccountService(store, clock, new LoginRateLimiter(), memoryLogger(), {
      scrypt: { N: 1024, r: 8, p: 1 },
    });
    for (const role of ['operator', 'viewer'] as const)
      await service.createUser(null, { username: role, displayName: role, role, password: PW });
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
    app = Fastify();
    installHttpConventions(app, { log: memoryLogger('http') });
    installSecurityHeaders(app);
    installAccessControl(app, { service, logger: memoryLogger(), secureCookies: false });
    await app.register(alertRoutes, { monitor, accounts: service });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  });

  afterAll(async () => {
    await app.close();
    store.close();
    dir.cleanup();
  });

  async function session(username: string) {
    const r = await service.login(username, PW, { ip: '127.0.0.1', userAgent: 't' });
    return { cookie: `gatecast_session=${r.token}`, csrf: r.csrfToken };
  }

  it('lists active alerts to a viewer, with the security headers', async () => {
    const v = await session('viewer');
    const res = await fetch(`${base}/api/alerts`, { headers: { cookie: v.cookie } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toBe(DASHBOARD_CSP);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const body = (await res.json()) as { alerts: { key: string }[] };
    expect(body.alerts.map((a) => a.key)).toEqual(['offline:ht-1']);
  });

  it('lets an operator acknowledge with the CSRF token, not a viewer, and audits it', async () => {
    const ack = (s: { cookie: string; csrf: string }, key: string, csrf = true) =>
      fetch(`${base}/api/alerts/ack`, {
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
    expect(service.listAudit({ action: 'alert.acknowledge', limit: 5 })).toEqual([
      expect.objectContaining({ actor: 'operator', target: 'offline:ht-1', outcome: 'ok' }),
    ]);
  });
});
