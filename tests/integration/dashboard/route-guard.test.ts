/**
 * Every HTTP route of the running sync server, enumerated at runtime (SyncServer.routes()), is
 * checked against its declared access (web/route-access.ts: every route declares one). A route added
 * later is picked up by this test without any change here; a new PUBLIC route, or a new route for
 * machines (ops token, metrics token), fails it until it is added to the explicit lists below with
 * its reason. Every route is also asked for under spellings of its path (percent-encoded letters,
 * doubled slashes, dot segments, upper case, trailing slash) and with HEAD and OPTIONS: none of them
 * gets past the guard.
 *
 * Session scope: no session → 401; for mutating methods a missing or wrong CSRF token → 403
 * CSRF_INVALID and a cross-site request → 403 ORIGIN_REFUSED; every role the permission table does
 * not allow the route's action → 403 FORBIDDEN, audited as denied; nothing changed afterwards.
 * Outside it: each route asks for its own credential (ops bearer token, enrolment token, metrics
 * token), and the device WebSocket refuses a device that cannot sign.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CloseCode, DEVICE_WS_PATH, ENROL_PATH } from '../../../protocol/messages.js';
import { type Action, isAction, isAllowed, ROLES, type Role } from '../../../sync-server/web/roles.js';
import type { RouteInfo } from '../../../sync-server/main.js';
import { templateStoreOf } from '../../../sync-server/templates/store.js';
import { createUsers, PASSWORD } from '../../helpers/dashboard.js';
import { manifest } from '../../helpers/schedule-fixtures.js';
import { enrolTestDevice, startServer } from '../../helpers/sync.js';
import { tempDir } from '../../helpers/temp.js';
import { startTufRepo } from '../../helpers/tuf-repo.js';

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const METRICS_TOKEN = 'metrics-token-for-tests-0123456789';

/**
 * Session-scope routes declared 'public', each with why. 'open': anyone may call it; 'page': an
 * HTML page that checks the session itself (no session → redirect to the login page, a role
 * without `action` → 403).
 */
type PublicRoute =
  | { kind: 'open'; why: string }
  /** `path`: the URL to ask for as an allowed role (default: `:id` is the enrolled device). */
  | { kind: 'page'; action: Action; path?: () => string };
const PUBLIC_ROUTES: Record<string, PublicRoute> = {
  'POST /api/session': { kind: 'open', why: 'signing in' },
  'GET /dashboard/login': { kind: 'open', why: 'the login page' },
  'GET /dashboard/lang/:lang': { kind: 'open', why: 'language cookie; redirects inside /dashboard only' },
  'GET /dashboard/static/dashboard/browser/*': { kind: 'open', why: 'shell scripts and stylesheet, no data' },
  'GET /dashboard/static/fleet/browser/*': { kind: 'open', why: 'fleet and screen page scripts, no data' },
  'GET /dashboard/static/content/browser/*': { kind: 'open', why: 'content page scripts, no data' },
  'GET /dashboard/static/accounts/browser/*': { kind: 'open', why: 'account page script, no data' },
  'GET /dashboard/static/alerts/browser/*': { kind: 'open', why: 'alerts page script, no data' },
  'GET /dashboard/static/releases/browser/*': { kind: 'open', why: 'releases page script, no data' },
  'GET /dashboard/static/reports/browser/*': { kind: 'open', why: 'reports page script, no data' },
  'GET /dashboard/static/templates/browser/*': {
    kind: 'open',
    why: 'templates page and emergency template picker scripts, no data',
  },
  'GET /dashboard': { kind: 'page', action: 'fleet.view' },
  'GET /dashboard/screen/:id': { kind: 'page', action: 'fleet.view' },
  'GET /dashboard/fleet/manage': { kind: 'page', action: 'fleet.manage' },
  'GET /dashboard/reports': { kind: 'page', action: 'reports.view' },
  'GET /dashboard/alerts': { kind: 'page', action: 'alerts.view' },
  'GET /dashboard/releases': { kind: 'page', action: 'releases.view' },
  'GET /dashboard/content': { kind: 'page', action: 'content.view' },
  'GET /dashboard/drafts': { kind: 'page', action: 'content.view' },
  'GET /dashboard/drafts/:id': {
    kind: 'page',
    action: 'content.view',
    path: () => `/dashboard/drafts/${draftId}`,
  },
  'GET /dashboard/drafts/:id/screen': {
    kind: 'page',
    action: 'content.view',
    path: () => `/dashboard/drafts/${draftId}/screen`,
  },
  'GET /dashboard/emergency': { kind: 'page', action: 'emergency.view' },
  'GET /dashboard/templates': { kind: 'page', action: 'content.view' },
  'GET /dashboard/users': { kind: 'page', action: 'users.manage' },
  'GET /dashboard/account': { kind: 'page', action: 'session.self' },
  'GET /dashboard/audit': { kind: 'page', action: 'audit.view' },
  'GET /dashboard/api': { kind: 'page', action: 'api.docs' },
};

/** Routes for machines and devices (not sessions) and the credential each one asks for. */
type Credential = 'ops-token' | 'enrolment-token' | 'metrics-token' | 'open';
const OUTSIDE_ROUTES: Record<string, { credential: Credential; why?: string }> = {
  'POST /api/enrol': { credential: 'enrolment-token' },
  'GET /api/health': { credential: 'open', why: 'health probe: up/down, version, no fleet data' },
  'GET /metrics': { credential: 'metrics-token' },
  'GET /tuf/metadata/*': { credential: 'open', why: 'signed TUF metadata, verified by every device' },
  'GET /tuf/targets/*': { credential: 'open', why: 'content-addressed targets named in signed metadata' },
  'GET /api/gates': { credential: 'ops-token' },
  'POST /api/gates': { credential: 'ops-token' },
  'GET /api/groups': { credential: 'ops-token' },
  'PUT /api/groups/:group/devices/:id': { credential: 'ops-token' },
  'DELETE /api/groups/:group/devices/:id': { credential: 'ops-token' },
  'POST /api/enrolment-tokens': { credential: 'ops-token' },
  'GET /api/enrolment-tokens': { credential: 'ops-token' },
  'DELETE /api/enrolment-tokens/:id': { credential: 'ops-token' },
  'GET /api/devices': { credential: 'ops-token' },
  'GET /api/devices/:id': { credential: 'ops-token' },
  'POST /api/devices/:id/revoke': { credential: 'ops-token' },
  'GET /api/devices/:id/health': { credential: 'ops-token' },
  'GET /api/devices/:id/events': { credential: 'ops-token' },
  'GET /api/devices/:id/pop': { credential: 'ops-token' },
  'GET /api/devices/:id/quarantine': { credential: 'ops-token' },
  'POST /api/devices/:id/commands': { credential: 'ops-token' },
  'GET /api/devices/:id/commands': { credential: 'ops-token' },
  'GET /api/commands/:id': { credential: 'ops-token' },
  'GET /api/commands/:id/screenshot': { credential: 'ops-token' },
  'POST /api/updates/notify': { credential: 'ops-token' },
  'GET /api/status': { credential: 'ops-token' },
  'GET /api/releases': { credential: 'ops-token' },
  'GET /api/releases/rollouts/:id': { credential: 'ops-token' },
  'POST /api/releases/rollouts': { credential: 'ops-token' },
  'POST /api/releases/rollouts/:id/:action': { credential: 'ops-token' },
};

/** What each machine credential is declared as in the route table. */
const DECLARED: Record<Credential, string> = {
  'ops-token': 'ops-token',
  'metrics-token': 'metrics-token',
  'enrolment-token': 'public',
  open: 'public',
};

/** A session route: its access is an action of the permission table. */
const isSessionRoute = (r: RouteInfo) => isAction(r.access);

/**
 * A request with the path sent exactly as given (fetch would normalise dot segments and case of
 * percent-escapes before sending).
 */
function raw(
  method: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method,
        path,
        headers: {
          connection: 'close',
          ...(MUTATING.has(method) ? { 'content-type': 'application/json', 'content-length': '2' } : {}),
          ...headers,
        },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    if (MUTATING.has(method)) req.end('{}');
    else req.end();
  });
}

/** Spellings of one path that a router may or may not take for it. */
function pathVariants(path: string): string[] {
  const segments = path.split('/').slice(1);
  const first = segments[0] ?? '';
  const encoded = (seg: string) =>
    [...seg].map((ch) => (/[a-z]/i.test(ch) ? `%${ch.charCodeAt(0).toString(16)}` : ch)).join('');
  const rest = segments.slice(1).join('/');
  return [
    `/${encoded(first)}${rest ? `/${rest}` : ''}`,
    `/${encoded(first).toUpperCase()}${rest ? `/${rest}` : ''}`,
    `/${segments.map(encoded).join('/')}`,
    `/${path}`,
    `/.${path}`,
    `/${first}/.${rest ? `/${rest}` : ''}`,
    `/${first}/x/..${rest ? `/${rest}` : ''}`,
    `/${first}%2f${rest}`,
    path.toUpperCase(),
    `${path}/`,
    `${path}?x=1`,
  ];
}

/** HEAD shares its GET route's options: one entry covers both. */
const keyOf = (r: Pick<RouteInfo, 'method' | 'url'>) => `${r.method === 'HEAD' ? 'GET' : r.method} ${r.url}`;

/** The route's URL with every path parameter filled with a dummy value. */
function fill(url: string): string {
  return url.replace(/:(\w+)/g, (_m, name: string) => `dummy-${name}`).replace(/\*/g, 'dummy/file.json');
}

interface Session {
  role: Role;
  username: string;
  cookie: string;
  csrfToken: string;
}

let dir: ReturnType<typeof tempDir>;
let tuf: Awaited<ReturnType<typeof startTufRepo>>;
let s: Awaited<ReturnType<typeof startServer>>;
let base: string;
let deviceId: string;
let draftId: string;
const sessions = new Map<Role, Session>();

async function login(username: string, role: Role): Promise<Session> {
  const res = await fetch(`${base}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORD }),
  });
  expect(res.status).toBe(200);
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  return { role, username, cookie: res.headers.get('set-cookie')!.split(';')[0]!, csrfToken };
}

function call(
  route: Pick<RouteInfo, 'method' | 'url'>,
  headers: Record<string, string> = {},
): Promise<Response> {
  const body = MUTATING.has(route.method) ? '{}' : undefined;
  return fetch(`${base}${fill(route.url)}`, {
    method: route.method,
    redirect: 'manual',
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body ? { body } : {}),
  });
}

async function errorCode(res: Response): Promise<string | undefined> {
  const text = await res.text();
  try {
    const j = JSON.parse(text) as { error?: { code?: string }; code?: string };
    return j.error?.code ?? j.code;
  } catch {
    return undefined;
  }
}

const as = (who: Session, extra: Record<string, string> = {}) => ({
  cookie: who.cookie,
  'x-csrf-token': who.csrfToken,
  ...extra,
});

/** Everything a refused request could have changed, read back through the server. */
async function stateFingerprint(): Promise<string> {
  const admin = sessions.get('admin')!;
  const users = await (await fetch(`${base}/api/users`, { headers: { cookie: admin.cookie } })).json();
  const audit = (await (
    await fetch(`${base}/api/audit?limit=1000`, { headers: { cookie: admin.cookie } })
  ).json()) as { entries: { action: string; outcome: string }[] };
  const r = s.server.registry;
  return JSON.stringify({
    users,
    // Refusals are audited; anything else in the audit log would be an action that went through.
    audit: audit.entries.filter((e) => e.outcome !== 'denied'),
    devices: r.devices.list(),
    gates: r.gates.list(),
    groups: r.gates.listGroups(),
    tokens: r.tokens.list(),
    commands: r.commands.list(deviceId, 1000),
    alerts: s.server.alerts.monitor.active,
    drafts: await s.server.tuf!.drafts.list(),
    templates: templateStoreOf(r).list(),
  });
}

beforeAll(async () => {
  dir = tempDir('gc-route-guard-');
  tuf = await startTufRepo({
    serve: false,
    files: { 'kien-giang/ha-tien/bundle.json': Buffer.from(JSON.stringify(manifest())) },
  });
  await createUsers(
    join(dir.path, 'server'),
    ROLES.map((role) => ({ username: `u-${role}`, role })),
  );
  s = await startServer(dir.path, {
    tuf: { repoDir: tuf.dir },
    metricsToken: METRICS_TOKEN,
  });
  base = s.server.url;
  deviceId = (await enrolTestDevice(s.api, base, join(dir.path, 'd'))).deviceId;
  const m = { ...manifest(), label: 'route guard draft' };
  draftId = (
    await s.server.tuf!.drafts.create({
      siteGroup: 'kien-giang/ha-tien',
      manifest: JSON.stringify(m),
      files: [],
    })
  ).id;
  for (const role of ROLES) sessions.set(role, await login(`u-${role}`, role));
}, 20_000);

afterAll(async () => {
  await s?.server.stop();
  await tuf?.close();
  dir?.cleanup();
});

describe('route guard over every route of the running server', () => {
  it('knows every route: each declares its access; session routes an action, the others are allow-listed with their reason or credential', () => {
    const routes = s.server.routes();
    expect(routes.length).toBeGreaterThan(40);
    const undeclared = routes.filter((r) => r.access === undefined || r.access === null).map(keyOf);
    expect(undeclared, 'routes without a declared access').toEqual([]);
    const unlisted = routes
      .filter((r) => !isSessionRoute(r) && !PUBLIC_ROUTES[keyOf(r)] && !OUTSIDE_ROUTES[keyOf(r)])
      .map(keyOf);
    expect(unlisted, 'non-session routes missing from PUBLIC_ROUTES / OUTSIDE_ROUTES').toEqual([]);
    for (const r of routes.filter((x) => OUTSIDE_ROUTES[keyOf(x)]))
      expect(r.access, keyOf(r)).toBe(DECLARED[OUTSIDE_ROUTES[keyOf(r)]!.credential]);
    // Every allow-listed public route still exists and is still public.
    for (const key of Object.keys(PUBLIC_ROUTES))
      expect(
        routes.some((r) => keyOf(r) === key && r.access === 'public'),
        key,
      ).toBe(true);
  });

  it('refuses mutating session routes without a session, CSRF token or same origin, and for every role not allowed; nothing changes', async () => {
    const before = await stateFingerprint();
    const routes = s.server.routes().filter(isSessionRoute);
    const mutating = routes.filter((r) => MUTATING.has(r.method));
    expect(mutating.length).toBeGreaterThan(5);
    const expectedDenials: { username: string; route: string; action: Action }[] = [];
    for (const r of mutating) {
      const what = `${r.method} ${r.url}`;
      const action = r.access as Action;
      const noSession = await call(r);
      expect(noSession.status, `${what} without a session`).toBe(401);
      expect(await errorCode(noSession)).toBe('AUTH_REQUIRED');
      // A role allowed the action, so only the CSRF/origin check can refuse.
      const allowed = ROLES.find((role) => isAllowed(role, action));
      const who = sessions.get(allowed ?? 'admin')!;
      const noCsrf = await call(r, { cookie: who.cookie });
      expect(noCsrf.status, `${what} without CSRF`).toBe(403);
      expect(await errorCode(noCsrf), what).toBe('CSRF_INVALID');
      const wrongCsrf = await call(r, {
        cookie: who.cookie,
        'x-csrf-token': randomBytes(24).toString('hex'),
      });
      expect(wrongCsrf.status, `${what} with a wrong CSRF token`).toBe(403);
      expect(await errorCode(wrongCsrf), what).toBe('CSRF_INVALID');
      // Another session's token is not this session's.
      const other = sessions.get(who.role === 'viewer' ? 'admin' : 'viewer')!;
      const otherCsrf = await call(r, { cookie: who.cookie, 'x-csrf-token': other.csrfToken });
      expect(await errorCode(otherCsrf), `${what} with another session's CSRF token`).toBe('CSRF_INVALID');
      const crossSite = await call(r, as(who, { origin: 'https://evil.example' }));
      expect(crossSite.status, `${what} cross-site`).toBe(403);
      expect(await errorCode(crossSite), what).toBe('ORIGIN_REFUSED');
      const fetchSite = await call(r, as(who, { 'sec-fetch-site': 'cross-site' }));
      expect(await errorCode(fetchSite), `${what} Sec-Fetch-Site cross-site`).toBe('ORIGIN_REFUSED');
      const nullOrigin = await call(r, as(who, { origin: 'null' }));
      expect(await errorCode(nullOrigin), `${what} Origin null`).toBe('ORIGIN_REFUSED');
      for (const role of ROLES.filter((x) => !isAllowed(x, action))) {
        const res = await call(r, as(sessions.get(role)!));
        expect(res.status, `${what} as ${role}`).toBe(403);
        expect(await errorCode(res), `${what} as ${role}`).toBe('FORBIDDEN');
        expectedDenials.push({ username: `u-${role}`, route: r.url, action });
      }
    }
    expect(expectedDenials.length).toBeGreaterThan(5);

    // Each refusal by role is in the audit log as denied, with the action it needed.
    const admin = sessions.get('admin')!;
    const denied = (await (
      await fetch(`${base}/api/audit?action=access.denied&limit=1000`, { headers: { cookie: admin.cookie } })
    ).json()) as {
      entries: {
        actor: string;
        target: string;
        outcome: string;
        details: { reason?: string; needs?: string };
      }[];
    };
    for (const d of expectedDenials)
      expect(
        denied.entries.some(
          (e) =>
            e.actor === d.username &&
            e.target === d.route &&
            e.outcome === 'denied' &&
            e.details.reason === 'role' &&
            e.details.needs === d.action,
        ),
        `${d.username} ${d.route} audited`,
      ).toBe(true);
    expect(denied.entries.some((e) => e.details.reason === 'csrf')).toBe(true);
    expect(denied.entries.some((e) => e.details.reason === 'cross-site')).toBe(true);

    // Nothing changed, and every session survived (a refused DELETE /api/session logged no one out).
    expect(await stateFingerprint()).toBe(before);
    for (const who of sessions.values()) {
      const me = await fetch(`${base}/api/session`, { headers: { cookie: who.cookie } });
      expect(me.status, who.role).toBe(200);
    }
  }, 90_000);

  it('refuses reading session routes without a session and for every role not allowed', async () => {
    const routes = s.server.routes().filter((r) => isSessionRoute(r) && !MUTATING.has(r.method));
    expect(routes.length).toBeGreaterThan(10);
    for (const r of routes) {
      const what = `${r.method} ${r.url}`;
      const res = await call(r);
      expect(res.status, `${what} without a session`).toBe(401);
      if (r.method !== 'HEAD') expect(await errorCode(res)).toBe('AUTH_REQUIRED');
      else await res.arrayBuffer();
      // The ops token is no session.
      const bearer = await call(r, { authorization: `Bearer ${s.config.opsToken}` });
      expect(bearer.status, `${what} with the ops token`).toBe(401);
      await bearer.arrayBuffer();
      for (const role of ROLES.filter((x) => !isAllowed(x, r.access as Action))) {
        const denied = await call(r, { cookie: sessions.get(role)!.cookie });
        expect(denied.status, `${what} as ${role}`).toBe(403);
        if (r.method !== 'HEAD') expect(await errorCode(denied)).toBe('FORBIDDEN');
        else await denied.arrayBuffer();
      }
    }
  }, 90_000);

  it('sends pages to the login page without a session and refuses roles not allowed; open routes answer without one; public mutating routes refuse cross-site', async () => {
    const routes = s.server.routes().filter((r) => r.access === 'public' && PUBLIC_ROUTES[keyOf(r)]);
    for (const r of routes) {
      const entry = PUBLIC_ROUTES[keyOf(r)]!;
      const what = `${r.method} ${r.url}`;
      if (entry.kind === 'page') {
        const res = await call(r);
        expect(res.status, `${what} without a session`).toBe(303);
        expect(res.headers.get('location')).toBe('/dashboard/login');
        for (const role of ROLES.filter((x) => !isAllowed(x, entry.action))) {
          const denied = await call(r, { cookie: sessions.get(role)!.cookie });
          expect(denied.status, `${what} as ${role}`).toBe(403);
        }
        for (const role of ROLES.filter((x) => isAllowed(x, entry.action))) {
          const url = entry.path?.() ?? r.url.replace(':id', encodeURIComponent(deviceId));
          const ok = await call({ method: r.method, url }, { cookie: sessions.get(role)!.cookie });
          expect(ok.status, `${what} as ${role}`).toBe(200);
          await ok.arrayBuffer();
        }
      } else if (MUTATING.has(r.method)) {
        const res = await call(r, { origin: 'https://evil.example' });
        expect(res.status, `${what} cross-site`).toBe(403);
        expect(await errorCode(res)).toBe('ORIGIN_REFUSED');
      } else {
        const res = await call(r);
        expect(res.status, what).not.toBe(401);
        await res.arrayBuffer();
      }
    }
  });

  it('asks every route outside the session scope for its own credential', async () => {
    const admin = sessions.get('admin')!;
    const present = s.server.routes().filter((r) => OUTSIDE_ROUTES[keyOf(r)]);
    for (const r of present) {
      const entry = OUTSIDE_ROUTES[keyOf(r)]!;
      const what = `${r.method} ${r.url}`;
      switch (entry.credential) {
        case 'ops-token':
        case 'metrics-token': {
          const none = await call(r);
          expect(none.status, `${what} without a token`).toBe(401);
          await none.arrayBuffer();
          const wrong = await call(r, { authorization: `Bearer ${'w'.repeat(36)}` });
          expect(wrong.status, `${what} with a wrong token`).toBe(401);
          await wrong.arrayBuffer();
          // A dashboard session (even an admin's, with its CSRF token) is not the credential.
          const session = await call(r, as(admin));
          expect(session.status, `${what} with an admin session`).toBe(401);
          await session.arrayBuffer();
          // Nor is another part's token.
          const other = entry.credential === 'ops-token' ? METRICS_TOKEN : s.config.opsToken;
          const crossed = await call(r, { authorization: `Bearer ${other}` });
          expect(crossed.status, `${what} with another part's token`).toBe(401);
          await crossed.arrayBuffer();
          break;
        }
        case 'enrolment-token': {
          expect(r.url).toBe(ENROL_PATH);
          const publicKey = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' }).x!;
          const res = await fetch(`${base}${ENROL_PATH}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', cookie: admin.cookie },
            body: JSON.stringify({ v: 1, token: randomBytes(24).toString('base64url'), publicKey }),
          });
          expect(res.status, 'enrolment with an unknown token').toBe(403);
          expect(await errorCode(res)).toBe('ENROL_TOKEN_UNKNOWN');
          break;
        }
        case 'open': {
          const res = await call(r);
          expect(res.status, what).not.toBe(401);
          await res.arrayBuffer();
          break;
        }
      }
    }
    // The right tokens do open them (the lists above are not refusing everything).
    expect(
      (await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status,
    ).toBe(200);
    expect((await s.api('GET', '/api/devices')).status).toBe(200);
    // TUF serving is open, but nothing beside metadata and targets (keys, drafts) is reachable.
    expect((await fetch(`${base}/tuf/metadata/1.root.json`)).status).toBe(200);
    for (const path of ['/tuf/metadata/../keys/root.json', '/tuf/metadata/%2e%2e/keys', '/tuf/drafts/'])
      expect((await fetch(`${base}${path}`)).status, path).toBe(404);
  });

  it('lets no spelling of a guarded path, and no other method, past its guard', async () => {
    const guarded = s.server.routes().filter((r) => r.access !== 'public');
    expect(guarded.length).toBeGreaterThan(30);
    let tried = 0;
    for (const r of guarded) {
      const path = fill(r.url);
      for (const variant of pathVariants(path))
        for (const method of new Set([r.method, 'HEAD', 'OPTIONS'])) {
          const res = await raw(method, variant);
          tried++;
          // Refused (401/403), unknown (404/405) or a page's redirect to the login page: never served.
          expect(
            [401, 403, 404, 405, 303],
            `${method} ${variant} (route ${r.method} ${r.url}): ${res.body}`,
          ).toContain(res.status);
          if (res.status === 303) expect(isSessionRoute(r)).toBe(false);
        }
    }
    expect(tried).toBeGreaterThan(500);
    // The finding itself: the ops API under a percent-encoded prefix, with the fleet's data.
    for (const [method, path] of [
      ['GET', '/%61pi/devices'],
      ['POST', '/%61pi/enrolment-tokens'],
      ['POST', '/%61pi/gates'],
      ['POST', `/%61pi/devices/${deviceId}/commands`],
    ] as const) {
      const res = await raw(method, path, { 'content-type': 'application/json' });
      expect(res.status, `${method} ${path}`).toBe(401);
      expect(res.body).not.toContain(deviceId);
    }
  }, 120_000);

  it('refuses to start with a route that declares no access', async () => {
    const { createHttpApp } = await import('../../../sync-server/web/http-app.js');
    const { installRouteAccess } = await import('../../../sync-server/web/route-access.js');
    const app = createHttpApp();
    installRouteAccess(app, { public: () => undefined });
    app.get('/declared', { config: { access: 'public' } }, async () => 'ok');
    app.get('/forgotten', async () => 'secret');
    await expect(app.ready()).rejects.toMatchObject({ code: 'ROUTE_UNGUARDED' });
    const app2 = createHttpApp();
    // An action with no session guard installed is no declaration this server can check.
    installRouteAccess(app2, { public: () => undefined });
    app2.get('/needs-session', { config: { access: 'fleet.view' } }, async () => 'secret');
    await expect(app2.ready()).rejects.toMatchObject({ code: 'ROUTE_UNGUARDED' });
  });

  it('closes the device WebSocket for a device that cannot sign the challenge', async () => {
    const url = `${base.replace(/^http/, 'ws')}${DEVICE_WS_PATH}`;
    const closed = (ws: WebSocket) =>
      new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    // The enrolled device's id, but a signature made without its key.
    const ws = new WebSocket(url);
    const code = closed(ws);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', v: 1, deviceId, appVersion: '0.0.0' })));
    ws.on('message', (raw) => {
      const msg = JSON.parse(String(raw)) as { type: string; nonce?: string };
      if (msg.type === 'challenge')
        ws.send(
          JSON.stringify({
            type: 'auth',
            v: 1,
            deviceId,
            nonce: msg.nonce,
            signature: randomBytes(64).toString('base64url'),
          }),
        );
    });
    expect(await code).toBe(CloseCode.badSignature);
    expect(s.server.hub.isOnline(deviceId)).toBe(false);
    // Data before authentication is refused outright.
    const early = new WebSocket(url);
    const earlyCode = closed(early);
    early.on('open', () =>
      early.send(
        JSON.stringify({ type: 'batch', v: 1, deviceId, stream: 'health', fromSeq: 1, records: [] }),
      ),
    );
    expect(await earlyCode).toBe(CloseCode.badMessage);
  });
});
