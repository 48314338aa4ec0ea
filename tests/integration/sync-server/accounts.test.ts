import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { installHttpConventions } from '../../../sync-server/web/http-app.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fakeClock, type FakeClock } from '../../../protocol/clock.js';
import { memoryLogger } from '../../../platform/log.js';
import {
  CSRF_HEADER,
  installAccessControl,
  isUnguardedRouteError,
} from '../../../sync-server/accounts/access-control.js';
import { LoginRateLimiter } from '../../../sync-server/accounts/rate-limit.js';
import { ACTIONS, type Action, isAllowed, ROLES, type Role } from '../../../sync-server/web/roles.js';
import { accountRoutes } from '../../../sync-server/accounts/routes.js';
import { AccountService } from '../../../sync-server/accounts/service.js';
import {
  openSqliteAccountStore,
  type SqliteAccountStore,
} from '../../../sync-server/accounts/sqlite-accounts.js';
import type { AuditEntry } from '../../../sync-server/accounts/store.js';
import { UTF8_BOM } from '../../../sync-server/web/csv.js';
import { tempDir } from '../../helpers/temp.js';

const T0 = Date.parse('2026-03-10T03:00:00Z');
const PW = 'correct horse battery';
const FAST = { N: 1024, r: 8, p: 1 };

interface Harness {
  app: FastifyInstance;
  base: string;
  store: SqliteAccountStore;
  service: AccountService;
  clock: FakeClock;
  routes: { method: string; url: string; access: string }[];
}

interface Client {
  cookie: string;
  csrf: string;
}

async function startServer(dir: string, limiter = new LoginRateLimiter()): Promise<Harness> {
  const store = openSqliteAccountStore(join(dir, 'accounts.db'));
  const clock = fakeClock(T0);
  const service = new AccountService(store, clock, limiter, memoryLogger('accounts'), {
    scrypt: FAST,
    sessionTtlMs: 8 * 3_600_000,
    idleTimeoutMs: 30 * 60_000,
  });
  const app = Fastify({ trustProxy: true });
  installHttpConventions(app, { log: memoryLogger('http') });
  const routes: Harness['routes'] = [];
  app.addHook('onRoute', (r) => {
    for (const m of [r.method].flat())
      if (m !== 'HEAD') routes.push({ method: m, url: r.url, access: String(r.config?.access) });
  });
  installAccessControl(app, { service, logger: memoryLogger('access'), secureCookies: 'auto' });
  await app.register(accountRoutes, { service, secureCookies: 'auto' });
  // Routes another part of the server would add: each declares its action and gets the same guard.
  app.post('/api/alerts/:key/ack', { config: { access: 'alerts.acknowledge' } }, async () => ({ ok: true }));
  app.post('/api/devices/:id/commands', { config: { access: 'device.command' } }, async () => ({ ok: true }));
  app.post('/api/drafts/:id/approve', { config: { access: 'draft.approve' } }, async () => ({ ok: true }));
  app.get('/api/reports', { config: { access: 'reports.view' } }, async () => ({ ok: true }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address() as { port: number };
  return { app, base: `http://127.0.0.1:${addr.port}`, store, service, clock, routes };
}

async function call(
  h: Harness,
  method: string,
  path: string,
  opts: { client?: Client; body?: unknown; csrf?: string | null; headers?: Record<string, string> } = {},
) {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (opts.client) headers['cookie'] = opts.client.cookie;
  const csrf = opts.csrf === undefined ? opts.client?.csrf : opts.csrf;
  if (csrf) headers[CSRF_HEADER] = csrf;
  const res = await fetch(h.base + path, {
    method,
    headers,
    ...(opts.body !== undefined && { body: JSON.stringify(opts.body) }),
  });
  // Keep a byte-order mark visible (res.text() would strip it).
  const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(await res.arrayBuffer());
  let json: Record<string, unknown>;
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    json = {}; // CSV and empty bodies
  }
  return { status: res.status, headers: res.headers, text, json };
}

async function login(h: Harness, username: string, password = PW, ip = '10.1.1.1'): Promise<Client> {
  const r = await call(h, 'POST', '/api/session', {
    body: { username, password },
    headers: { 'x-forwarded-for': ip },
  });
  expect(r.status, r.text).toBe(200);
  const cookie = r.headers.get('set-cookie')!.split(';')[0]!;
  return { cookie, csrf: r.json['csrfToken'] as string };
}

const errorCode = (r: { json: Record<string, unknown> }) =>
  (r.json['error'] as { code?: string } | undefined)?.code;

describe('accounts over HTTP', () => {
  let dir: ReturnType<typeof tempDir>;
  let h: Harness;

  beforeEach(async () => {
    dir = tempDir();
    h = await startServer(dir.path);
    await h.service.createFirstAdmin({ username: 'admin', displayName: 'Quản trị viên', password: PW });
    for (const role of ROLES.filter((r) => r !== 'admin'))
      await h.service.createUser(null, { username: role, displayName: `Người ${role}`, role, password: PW });
  });

  afterEach(async () => {
    await h.app.close();
    h.store.close();
    dir.cleanup();
  });

  it('logs in with an HttpOnly SameSite=Strict cookie and says who is signed in', async () => {
    const r = await call(h, 'POST', '/api/session', { body: { username: 'Operator', password: PW } });
    expect(r.status).toBe(200);
    const setCookie = r.headers.get('set-cookie')!;
    expect(setCookie).toMatch(
      /^gatecast_session=[\w-]{43}; Path=\/; Max-Age=28800; HttpOnly; SameSite=Strict$/,
    );
    expect(r.json['user']).toMatchObject({ username: 'operator', role: 'operator' });
    expect(JSON.stringify(r.json)).not.toContain('scrypt');
    const client = { cookie: setCookie.split(';')[0]!, csrf: r.json['csrfToken'] as string };
    const me = await call(h, 'GET', '/api/session', { client });
    expect(me.status).toBe(200);
    expect(me.json).toMatchObject({ user: { username: 'operator' }, csrfToken: client.csrf });
    expect(me.headers.get('cache-control')).toBe('no-store');
    // The stored session id is a hash, not the cookie token.
    const token = client.cookie.split('=')[1]!;
    const db = (h.store as unknown as { db: import('better-sqlite3').Database }).db;
    const ids = (db.prepare('SELECT id_hash FROM account_sessions').all() as { id_hash: string }[]).map(
      (x) => x.id_hash,
    );
    expect(ids).toHaveLength(1);
    expect(ids[0]).not.toBe(token);
    expect(ids[0]).toMatch(/^[0-9a-f]{64}$/);
  });

  it('sets a Secure __Host- cookie when served over TLS', async () => {
    const r = await call(h, 'POST', '/api/session', {
      body: { username: 'viewer', password: PW },
      headers: { 'x-forwarded-proto': 'https' },
    });
    expect(r.headers.get('set-cookie')).toMatch(
      /^__Host-gatecast_session=.*; HttpOnly; SameSite=Strict; Secure$/,
    );
  });

  it('refuses a wrong password or unknown user alike and audits both', async () => {
    const wrong = await call(h, 'POST', '/api/session', {
      body: { username: 'admin', password: 'nope nope nope' },
    });
    const unknown = await call(h, 'POST', '/api/session', { body: { username: 'ghost', password: PW } });
    expect([wrong.status, unknown.status]).toEqual([401, 401]);
    expect(errorCode(wrong)).toBe('AUTH_FAILED');
    expect(wrong.json['error']).toEqual(unknown.json['error']);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    const failed = h.service
      .listAudit({ action: 'session.login', limit: 10 })
      .filter((e) => e.outcome === 'failed');
    expect(failed.map((e) => [e.target, e.details['reason'], e.actor, e.ip])).toEqual([
      ['ghost', 'unknown-user', null, '127.0.0.1'],
      ['admin', 'wrong-password', null, '127.0.0.1'],
    ]);
  });

  it('slows wrong passwords for a user at one address, not the same user elsewhere', async () => {
    for (let i = 0; i < 3; i++)
      expect(
        (await call(h, 'POST', '/api/session', { body: { username: 'admin', password: `wrong ${i}` } }))
          .status,
      ).toBe(401);
    const limited = await call(h, 'POST', '/api/session', { body: { username: 'admin', password: PW } });
    expect(limited.status).toBe(429);
    expect(errorCode(limited)).toBe('AUTH_RATE_LIMITED');
    expect(limited.headers.get('retry-after')).toBe('1');
    // The same user from another address is not held back.
    expect(
      (
        await call(h, 'POST', '/api/session', {
          body: { username: 'admin', password: PW },
          headers: { 'x-forwarded-for': '10.9.9.9' },
        })
      ).status,
    ).toBe(200);
    h.clock.advance(1000);
    expect(
      (await call(h, 'POST', '/api/session', { body: { username: 'admin', password: PW } })).status,
    ).toBe(200);
    expect(
      h.service
        .listAudit({ action: 'session.login', limit: 50 })
        .some((e) => e.details['reason'] === 'rate-limited'),
    ).toBe(true);
  });

  it('slows one address trying many usernames', async () => {
    await h.app.close();
    h.store.close();
    const policy = { baseDelayMs: 10_000, maxDelayMs: 60_000, forgetAfterMs: 3_600_000 };
    h = await startServer(
      dir.path,
      new LoginRateLimiter({
        pair: { ...policy, freeFailures: 3 },
        user: { ...policy, freeFailures: 10 },
        address: { ...policy, freeFailures: 3 },
        trustPairForMs: 3_600_000,
        maxEntries: 1000,
      }),
    );
    const from = (ip: string, username: string) =>
      call(h, 'POST', '/api/session', {
        body: { username, password: 'wrong wrong' },
        headers: { 'x-forwarded-for': ip },
      });
    for (const u of ['a1', 'a2', 'a3']) expect((await from('203.0.113.5', u)).status).toBe(401);
    const r = await from('203.0.113.5', 'a4');
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('10');
    expect((await from('203.0.113.6', 'a4')).status).toBe(401);
  });

  it('refuses every mutating route without the CSRF token, or with a wrong one', async () => {
    const admin = await login(h, 'admin');
    const mutating = h.routes.filter(
      (r) => ['POST', 'PUT', 'PATCH', 'DELETE'].includes(r.method) && r.access !== 'public',
    );
    expect(mutating.length).toBeGreaterThanOrEqual(8);
    for (const r of mutating) {
      const path = r.url.replace(':username', 'viewer').replace(/:\w+/g, 'x');
      const none = await call(h, r.method, path, { client: admin, csrf: null, body: {} });
      expect([r.method, r.url, none.status, errorCode(none)]).toEqual([r.method, r.url, 403, 'CSRF_INVALID']);
      const wrong = await call(h, r.method, path, {
        client: admin,
        csrf: `${admin.csrf.slice(0, -1)}${admin.csrf.endsWith('A') ? 'B' : 'A'}`,
        body: {},
      });
      expect(wrong.status, `${r.method} ${r.url}`).toBe(403);
    }
    // Nothing changed: the viewer still exists and the admin is still signed in.
    expect(h.store.getUserByName('viewer')).toBeDefined();
    expect((await call(h, 'GET', '/api/session', { client: admin })).status).toBe(200);
    const denied = h.service.listAudit({ action: 'access.denied', limit: 100 });
    expect(denied.length).toBe(mutating.length * 2);
    expect(denied.every((e) => e.details['reason'] === 'csrf' && e.actor === 'admin')).toBe(true);
  });

  it('refuses a cross-site mutating request even with the token', async () => {
    const admin = await login(h, 'admin');
    const r = await call(h, 'POST', '/api/users', {
      client: admin,
      body: { username: 'mallory', displayName: 'M', role: 'admin', password: PW },
      headers: { origin: 'https://evil.example' },
    });
    expect([r.status, errorCode(r)]).toEqual([403, 'ORIGIN_REFUSED']);
    expect(h.store.getUserByName('mallory')).toBeUndefined();
    const cross = await call(h, 'POST', '/api/session', {
      body: { username: 'admin', password: PW },
      headers: { 'sec-fetch-site': 'cross-site' },
    });
    expect(cross.status).toBe(403);
  });

  it('refuses a login posted as a form (what a cross-site page could send without a preflight)', async () => {
    const res = await fetch(`${h.base}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `username=admin&password=${encodeURIComponent(PW)}`,
    });
    expect(res.status).toBe(415);
    expect(res.headers.get('set-cookie')).toBeNull();
  });

  it('answers each route for each role exactly as the permission table says', async () => {
    const clients = Object.fromEntries(
      await Promise.all(
        ROLES.map(async (r) => [r, await login(h, r, PW, `10.2.0.${ROLES.indexOf(r)}`)] as const),
      ),
    ) as Record<Role, Client>;
    const guarded = h.routes.filter((r) => r.access !== 'public' && r.access !== 'session.self');
    for (const role of ROLES) {
      for (const r of guarded) {
        const path = r.url.replace(':username', 'nobody-here').replace(/:\w+/g, 'x');
        const res = await call(h, r.method, path, {
          client: clients[role],
          body: r.method === 'GET' ? undefined : {},
        });
        const allowed = isAllowed(role, r.access as Action);
        if (allowed) expect(res.status, `${role} ${r.method} ${r.url}`).not.toBe(403);
        else
          expect([role, r.method, r.url, res.status, errorCode(res)]).toEqual([
            role,
            r.method,
            r.url,
            403,
            'FORBIDDEN',
          ]);
      }
    }
    const denied = h.service.listAudit({ action: 'access.denied', limit: 500 });
    expect(denied.some((e) => e.actor === 'viewer' && e.details['needs'] === 'users.manage')).toBe(true);
    expect(denied.some((e) => e.actor === 'admin' && e.details['needs'] === 'draft.approve')).toBe(true);
  });

  it('answers 401 without a session, with an unknown cookie, and after logout', async () => {
    expect((await call(h, 'GET', '/api/users')).status).toBe(401);
    expect(
      (await call(h, 'GET', '/api/users', { client: { cookie: 'gatecast_session=forged', csrf: 'x' } }))
        .status,
    ).toBe(401);
    const admin = await login(h, 'admin');
    const out = await call(h, 'DELETE', '/api/session', { client: admin });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^gatecast_session=; Path=\/; Max-Age=0/);
    expect((await call(h, 'GET', '/api/session', { client: admin })).status).toBe(401);
  });

  it('ends sessions after the idle timeout and after the absolute lifetime', async () => {
    const a = await login(h, 'admin');
    h.clock.advance(29 * 60_000);
    expect((await call(h, 'GET', '/api/session', { client: a })).status).toBe(200);
    h.clock.advance(29 * 60_000);
    expect((await call(h, 'GET', '/api/session', { client: a })).status).toBe(200);
    h.clock.advance(31 * 60_000);
    expect((await call(h, 'GET', '/api/session', { client: a })).status).toBe(401);
    const b = await login(h, 'admin');
    for (let i = 0; i < 17; i++) {
      h.clock.advance(29 * 60_000);
      await call(h, 'GET', '/api/session', { client: b });
    }
    // 8 h 13 min after login, though never idle for 30 min.
    expect((await call(h, 'GET', '/api/session', { client: b })).status).toBe(401);
  });

  it('lets an admin create, change and delete users, with clear errors and audit entries', async () => {
    const admin = await login(h, 'admin');
    const created = await call(h, 'POST', '/api/users', {
      client: admin,
      body: { username: 'Nguyen.Lan', displayName: 'Nguyễn Thị Lan', role: 'author', password: PW },
    });
    expect(created.status).toBe(201);
    expect(created.json['user']).toMatchObject({
      username: 'nguyen.lan',
      displayName: 'Nguyễn Thị Lan',
      role: 'author',
    });
    const dup = await call(h, 'POST', '/api/users', {
      client: admin,
      body: { username: 'nguyen.lan', displayName: 'x', role: 'viewer', password: PW },
    });
    expect([dup.status, errorCode(dup)]).toEqual([409, 'USER_EXISTS']);
    const bad = await call(h, 'POST', '/api/users', {
      client: admin,
      body: { username: 'x', displayName: '', role: 'root', password: 'short' },
    });
    expect([bad.status, errorCode(bad)]).toEqual([400, 'ACCOUNT_INVALID']);
    const problems = (bad.json['error'] as { problems: { path: string }[] }).problems
      .map((p) => p.path)
      .sort();
    expect(problems).toEqual(['displayName', 'password', 'role', 'username']);

    const lan = await login(h, 'nguyen.lan', PW, '10.3.3.3');
    const promoted = await call(h, 'PATCH', '/api/users/nguyen.lan', {
      client: admin,
      body: { role: 'approver' },
    });
    expect(promoted.json['user']).toMatchObject({ role: 'approver' });
    // A role change ends the user's sessions.
    expect((await call(h, 'GET', '/api/session', { client: lan })).status).toBe(401);
    expect(
      (await call(h, 'PATCH', '/api/users/nobody', { client: admin, body: { role: 'viewer' } })).status,
    ).toBe(404);
    expect(
      (await call(h, 'PATCH', '/api/users/viewer', { client: admin, body: { password: 'x', extra: 1 } }))
        .status,
    ).toBe(400);

    const lastAdmin = await call(h, 'PATCH', '/api/users/admin', { client: admin, body: { role: 'viewer' } });
    expect([lastAdmin.status, errorCode(lastAdmin)]).toEqual([409, 'LAST_ADMIN']);
    expect((await call(h, 'DELETE', '/api/users/admin', { client: admin })).status).toBe(409);
    expect(h.store.getUserByName('admin')!.role).toBe('admin');

    expect((await call(h, 'DELETE', '/api/users/nguyen.lan', { client: admin })).status).toBe(204);
    expect(h.store.getUserByName('nguyen.lan')).toBeUndefined();
    const list = await call(h, 'GET', '/api/users', { client: admin });
    expect((list.json['users'] as { username: string }[]).map((u) => u.username)).toEqual([
      'admin',
      'approver',
      'author',
      'operator',
      'viewer',
    ]);
    const actions = h.service
      .listAudit({ actor: 'admin', limit: 50 })
      .filter((e) => e.action.startsWith('user.'))
      .map((e) => `${e.action} ${e.target}`);
    expect(actions).toEqual(['user.delete nguyen.lan', 'user.update nguyen.lan', 'user.create nguyen.lan']);
  });

  it('disabling a user ends their session and refuses their login', async () => {
    const admin = await login(h, 'admin');
    const op = await login(h, 'operator', PW, '10.4.4.4');
    expect(
      (await call(h, 'PATCH', '/api/users/operator', { client: admin, body: { disabled: true } })).status,
    ).toBe(200);
    expect((await call(h, 'GET', '/api/session', { client: op })).status).toBe(401);
    const again = await call(h, 'POST', '/api/session', { body: { username: 'operator', password: PW } });
    expect(again.status).toBe(401);
  });

  it('changes the own password only with the current one, and ends other sessions', async () => {
    const first = await login(h, 'author', PW, '10.5.5.1');
    const second = await login(h, 'author', PW, '10.5.5.2');
    const wrong = await call(h, 'POST', '/api/session/password', {
      client: first,
      body: { currentPassword: 'not it at all', newPassword: 'a new long password' },
    });
    expect([wrong.status, errorCode(wrong)]).toEqual([401, 'AUTH_FAILED']);
    const weak = await call(h, 'POST', '/api/session/password', {
      client: first,
      body: { currentPassword: PW, newPassword: 'short' },
    });
    expect(weak.status).toBe(400);
    const ok = await call(h, 'POST', '/api/session/password', {
      client: first,
      body: { currentPassword: PW, newPassword: 'a new long password' },
    });
    expect(ok.status).toBe(204);
    expect((await call(h, 'GET', '/api/session', { client: first })).status).toBe(200);
    expect((await call(h, 'GET', '/api/session', { client: second })).status).toBe(401);
    expect(
      (await call(h, 'POST', '/api/session', { body: { username: 'author', password: PW } })).status,
    ).toBe(401);
    await login(h, 'author', 'a new long password', '10.5.5.3');
  });

  it('lets admins read and export the audit log as CSV, and nobody else', async () => {
    const admin = await login(h, 'admin');
    await call(h, 'POST', '/api/users', {
      client: admin,
      body: { username: 'tran.minh', displayName: 'Trần Văn Minh, "Tổ 1"', role: 'viewer', password: PW },
    });
    const page = await call(h, 'GET', '/api/audit?limit=2', { client: admin });
    const entries = page.json['entries'] as AuditEntry[];
    expect(entries).toHaveLength(2);
    expect(entries[0]).toMatchObject({
      actor: 'admin',
      action: 'user.create',
      target: 'tran.minh',
      ip: '127.0.0.1',
      outcome: 'ok',
    });
    const older = await call(h, 'GET', `/api/audit?limit=2&before=${page.json['nextBefore']}`, {
      client: admin,
    });
    expect((older.json['entries'] as AuditEntry[])[0]!.id).toBeLessThan(entries[1]!.id);
    expect((await call(h, 'GET', '/api/audit?from=yesterday', { client: admin })).status).toBe(400);
    // By outcome: only those, and all of those.
    expect(
      (await call(h, 'POST', '/api/session', { body: { username: 'admin', password: 'not the password' } }))
        .status,
    ).toBe(401);
    const failed = (await call(h, 'GET', '/api/audit?outcome=failed&limit=1000', { client: admin })).json[
      'entries'
    ] as AuditEntry[];
    const stored = h.service.listAudit({ limit: 1000 });
    expect(failed.map((e) => e.id)).toEqual(stored.filter((e) => e.outcome === 'failed').map((e) => e.id));
    expect(failed.length).toBeGreaterThan(0);
    expect((await call(h, 'GET', '/api/audit?outcome=maybe', { client: admin })).status).toBe(400);

    const csv = await call(h, 'GET', '/api/audit.csv', { client: admin });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csv.text.startsWith(UTF8_BOM)).toBe(true);
    const lines = csv.text.slice(1).trimEnd().split('\r\n');
    expect(lines[0]).toBe('id,at,actor,action,target,ip,outcome,details');
    const row = lines.find((l) => l.includes('user.create,tran.minh'))!;
    expect(row).toContain('"{""role"":""viewer"",""displayName"":""Trần Văn Minh, \\""Tổ 1\\""""}"');
    expect(lines.length - 1).toBe(h.service.listAudit({ limit: 1000 }).length - 1); // the export itself is logged after

    const viewer = await login(h, 'viewer', PW, '10.6.6.6');
    expect((await call(h, 'GET', '/api/audit.csv', { client: viewer })).status).toBe(403);
    expect((await call(h, 'GET', '/api/audit', { client: viewer })).status).toBe(403);
    expect(h.service.listAudit({ action: 'audit.export', limit: 5 })).toHaveLength(1);
  });

  it('refuses to start with a route that declares no access', async () => {
    const app = Fastify();
    installAccessControl(app, { service: h.service, logger: memoryLogger(), secureCookies: false });
    app.get('/api/secret', async () => 'x');
    let err: unknown;
    try {
      await app.ready();
    } catch (e) {
      err = e;
    }
    expect(isUnguardedRouteError(err)).toBe(true);
    expect((err as Error).message).toContain('/api/secret');
    await app.close();
  });

  it('lists every action it guards in the permission table', () => {
    for (const r of h.routes)
      expect(r.access === 'public' || (ACTIONS as readonly string[]).includes(r.access)).toBe(true);
  });
});
