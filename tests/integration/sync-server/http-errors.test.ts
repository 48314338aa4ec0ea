/**
 * One error handler for every route of the server (sync-server/web/errors.ts), and the OpenAPI
 * document generated from the routes (web/openapi.ts, fleet/api-docs.ts), through the real server
 * on 127.0.0.1:0 with real SQLite files and a real TUF repository.
 */
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatecastError } from '../../../protocol/errors.js';
import { memoryLogger } from '../../../platform/log.js';
import { createHttpApp } from '../../../sync-server/web/http-app.js';
import { apiLogin, createUsers } from '../../helpers/dashboard.js';
import { manifest } from '../../helpers/schedule-fixtures.js';
import { enrolTestDevice, OPS_TOKEN, startServer } from '../../helpers/sync.js';
import { tempDir } from '../../helpers/temp.js';
import { startTufRepo } from '../../helpers/tuf-repo.js';

let dir: ReturnType<typeof tempDir>;
let tuf: Awaited<ReturnType<typeof startTufRepo>>;
let s: Awaited<ReturnType<typeof startServer>>;
let base: string;
let deviceId: string;
const who: Record<string, { cookie: string; csrfToken: string }> = {};

beforeAll(async () => {
  dir = tempDir('gc-http-errors-');
  tuf = await startTufRepo({
    serve: false,
    files: { 'kien-giang/ha-tien/bundle.json': Buffer.from(JSON.stringify(manifest())) },
  });
  await createUsers(join(dir.path, 'server'), [
    { username: 'admin', role: 'admin' },
    { username: 'op', role: 'operator' },
    { username: 'viewer', role: 'viewer' },
  ]);
  s = await startServer(dir.path, { tuf: { repoDir: tuf.dir } });
  base = s.server.url;
  deviceId = (await enrolTestDevice(s.api, base, join(dir.path, 'd'))).deviceId;
  for (const u of ['admin', 'op', 'viewer']) who[u] = await apiLogin(base, u);
}, 30_000);

afterAll(async () => {
  await s?.server.stop();
  await tuf?.close();
  dir?.cleanup();
});

interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
}

async function call(
  method: string,
  path: string,
  o: { as?: string; ops?: boolean; body?: unknown } = {},
): Promise<Answer> {
  const session = o.as ? who[o.as]! : undefined;
  const res = await fetch(`${base}${path}`, {
    method,
    redirect: 'manual',
    headers: {
      ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(session ? { cookie: session.cookie, 'x-csrf-token': session.csrfToken } : {}),
      ...(o.ops ? { authorization: `Bearer ${OPS_TOKEN}` } : {}),
    },
    ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: kept as text
  }
  return { status: res.status, headers: res.headers, body };
}

/** The one error shape: `{error: {code, message, problems?}}` and nothing beside it. */
function expectErrorShape(a: Answer, status: number, code: string): { message: string; problems?: unknown } {
  expect(a.status, JSON.stringify(a.body)).toBe(status);
  expect(Object.keys(a.body as object)).toEqual(['error']);
  const e = (a.body as { error: { code: unknown; message: unknown; problems?: unknown } }).error;
  expect(e.code).toBe(code);
  expect(typeof e.message).toBe('string');
  expect(a.headers.get('cache-control')).toBe('no-store');
  return e as { message: string; problems?: unknown };
}

describe('one error handler for every route', () => {
  it('answers a coded error in the same shape in every feature', async () => {
    const cases: [string, Promise<Answer>, number, string][] = [
      ['ops API', call('GET', '/api/devices/no-such-device', { ops: true }), 404, 'NOT_FOUND'],
      [
        'enrolment',
        call('POST', '/api/enrol', {
          body: {
            v: 1,
            token: 'gce_unknown-token-0123456789',
            publicKey: generateKeyPairSync('ed25519')
              .publicKey.export({ type: 'spki', format: 'der' })
              .subarray(12)
              .toString('base64url'),
          },
        }),
        403,
        'ENROL_TOKEN_UNKNOWN',
      ],
      ['accounts', call('DELETE', '/api/users/nobody-here', { as: 'admin' }), 404, 'USER_NOT_FOUND'],
      ['fleet', call('GET', '/api/dashboard/commands/cmd-none', { as: 'viewer' }), 404, 'NOT_FOUND'],
      [
        'alerts',
        call('POST', '/api/alerts/ack', { as: 'op', body: { key: 'no-such-alert' } }),
        404,
        'ALERT_NOT_FOUND',
      ],
      ['approval', call('GET', '/api/content/drafts/d-none', { as: 'viewer' }), 404, 'DRAFT_NOT_FOUND'],
      ['publishing', call('GET', '/api/publish/drafts/d-none', { as: 'viewer' }), 404, 'DRAFT_NOT_FOUND'],
      ['reports', call('GET', '/api/reports?period=last-week', { as: 'viewer' }), 400, 'REPORT_INVALID'],
    ];
    for (const [feature, answer, status, code] of cases) {
      const a = await answer;
      expect(a.status, feature).toBe(status);
      expectErrorShape(a, status, code);
    }
  });

  it('refuses a request that breaks a route schema with 400 and every problem named', async () => {
    const ops = expectErrorShape(
      await call('POST', `/api/devices/${deviceId}/commands`, {
        ops: true,
        body: { name: 'format-disk', ttlMs: 5 },
      }),
      400,
      'REQUEST_INVALID',
    );
    expect(ops.problems).toEqual([
      { path: 'name', message: expect.any(String) },
      { path: 'ttlMs', message: expect.any(String) },
    ]);
    const fleet = expectErrorShape(
      await call('POST', `/api/dashboard/devices/${deviceId}/commands`, { as: 'op', body: { name: 42 } }),
      400,
      'REQUEST_INVALID',
    );
    expect(fleet.problems).toEqual([{ path: 'name', message: expect.any(String) }]);
    const query = expectErrorShape(
      await call('GET', `/api/devices/${deviceId}/events?limit=0`, { ops: true }),
      400,
      'REQUEST_INVALID',
    );
    expect(query.message).toBe('the query is invalid');
    expect(query.problems).toEqual([{ path: 'limit', message: expect.any(String) }]);
    // Nothing was queued by either refusal.
    expect(s.server.registry.commands.list(deviceId)).toEqual([]);
    // fastify's own refusals pass through with their status, in the same shape.
    const res = await fetch(`${base}/api/gates`, {
      method: 'POST',
      headers: { authorization: `Bearer ${OPS_TOKEN}`, 'content-type': 'application/json' },
      body: '{"siteGroup":',
    });
    expectErrorShape(
      { status: res.status, headers: res.headers, body: await res.json() },
      400,
      'REQUEST_INVALID',
    );
  });

  it('answers an unexpected error 500 "internal error", logs it, and says nothing of it', async () => {
    const log = memoryLogger('http');
    const app = createHttpApp({ log });
    class UnmappedError extends GatecastError {
      readonly code = 'SOMETHING_INTERNAL';
    }
    app.get('/bug', async () => {
      throw new Error('secret detail: /var/lib/gatecast/keys/online.key');
    });
    app.get('/coded', async () => {
      throw new UnmappedError('disk layout /srv/tuf is inconsistent');
    });
    try {
      for (const path of ['/bug', '/coded']) {
        const res = await app.inject({ method: 'GET', url: path });
        expect(res.statusCode).toBe(500);
        expect(res.json()).toEqual({ error: { code: 'INTERNAL', message: 'internal error' } });
        expect(res.body).not.toMatch(/secret|\/var|\/srv|disk layout/);
      }
      expect(log.records.filter((r) => r.level === 'error').map((r) => r.msg)).toEqual([
        'request failed',
        'request failed',
      ]);
    } finally {
      await app.close();
    }
  });
});

describe('the OpenAPI document', () => {
  it('is for signed-in sessions only', async () => {
    expectErrorShape(await call('GET', '/api/openapi.json'), 401, 'AUTH_REQUIRED');
    expect((await call('GET', '/api/openapi.json', { ops: true })).status).toBe(401);
    expect((await call('GET', '/dashboard/api')).status).toBe(303);
  });

  it('is OpenAPI 3 and lists every /api route with its summary and access', async () => {
    const a = await call('GET', '/api/openapi.json', { as: 'viewer' });
    expect(a.status).toBe(200);
    const doc = a.body as {
      openapi: string;
      info: { title: string; version: string };
      paths: Record<string, Record<string, Record<string, unknown>>>;
      components: { securitySchemes: Record<string, unknown> };
    };
    // Structure: the required top-level fields, every path a template, every operation with responses.
    expect(doc.openapi).toMatch(/^3\.0\.\d+$/);
    expect(doc.info.title).toBeTruthy();
    expect(doc.info.version).toMatch(/^\d+\.\d+\.\d+/);
    const ops: { method: string; path: string; op: Record<string, unknown> }[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      expect(path.startsWith('/'), path).toBe(true);
      for (const [method, op] of Object.entries(item)) {
        expect(['get', 'put', 'post', 'delete', 'patch', 'head', 'options']).toContain(method);
        expect(typeof op['responses'], `${method} ${path}`).toBe('object');
        for (const p of (op['parameters'] ?? []) as { name: unknown; in: unknown; schema: unknown }[]) {
          expect(typeof p.name).toBe('string');
          expect(['path', 'query', 'header', 'cookie']).toContain(p.in);
          expect(typeof p.schema).toBe('object');
        }
        if (op['requestBody'])
          expect(Object.keys((op['requestBody'] as { content: object }).content).length).toBeGreaterThan(0);
        for (const req of (op['security'] ?? []) as Record<string, unknown>[])
          for (const scheme of Object.keys(req))
            expect(doc.components.securitySchemes).toHaveProperty(scheme);
        ops.push({ method: method.toUpperCase(), path, op });
      }
    }
    // Every /api route of the running server, with the access its route declares.
    const apiRoutes = s.server.routes().filter((r) => r.url.startsWith('/api/') && r.method !== 'HEAD');
    expect(apiRoutes.length).toBeGreaterThan(40);
    const wrong: string[] = [];
    for (const r of apiRoutes) {
      const path = r.url.replace(/:(\w+)/g, '{$1}');
      const found = ops.find(
        (o) => o.method === r.method && (o.path === path || o.path === path.replace('*', '{*}')),
      );
      if (!found) wrong.push(`${r.method} ${r.url}: missing`);
      else if (found.op['x-access'] !== r.access)
        wrong.push(`${r.method} ${r.url}: access ${String(found.op['x-access'])}`);
      else if (!/\w/.test(String(found.op['summary'] ?? ''))) wrong.push(`${r.method} ${r.url}: no summary`);
    }
    expect(wrong).toEqual([]);
    // The schemas come from the routes' zod schemas.
    const command = doc.paths['/api/devices/{id}/commands']!['post']!;
    const body = (command['requestBody'] as { content: Record<string, { schema: { properties: object } }> })
      .content['application/json']!.schema;
    expect(Object.keys(body.properties)).toEqual(expect.arrayContaining(['name', 'args', 'ttlMs']));
    expect(command['security']).toEqual([{ opsToken: [] }]);
    // The dashboard's pages are not part of the API.
    expect(
      Object.keys(doc.paths).filter((p) => p === '/dashboard' || p.startsWith('/dashboard/login')),
    ).toEqual([]);
  });

  it('has a page listing every operation, with its access', async () => {
    const res = await fetch(`${base}/dashboard/api`, { headers: { cookie: who['viewer']!.cookie } });
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('href="/api/openapi.json"');
    expect(page).toMatch(/<code>POST<\/code>\s*<\/td>\s*<td><code>\/api\/devices\/\{id\}\/commands<\/code>/);
    expect(page).toContain('data-access="ops-token"');
    expect(page).toContain('data-access="users.manage"');
    expect(page).not.toContain('<script>');
  });
});
