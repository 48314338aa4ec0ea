/**
 * The accounts HTTP API, as a fastify plugin. Register it after installAccessControl:
 *
 *   installAccessControl(app, { service, logger, secureCookies: 'auto' });
 *   await app.register(accountRoutes, { service, secureCookies: 'auto' });
 *
 *   POST   /api/session            log in {username, password} → {user, csrfToken, expiresAt} + cookie
 *   GET    /api/session            who am I → {user, csrfToken, expiresAt}
 *   DELETE /api/session            log out
 *   POST   /api/session/password   {currentPassword, newPassword}
 *   GET    /api/session/keys       the signed-in user's approver keys → {keys}
 *   POST   /api/session/keys       register a key {currentPassword, publicKey: <name>.pub.json} → 201 {key}
 *                                  (draft.approve: only an approver's key can sign)
 *   DELETE /api/session/keys/:keyid   remove one of one's own keys
 *   GET    /api/keys               every account's keys (admin)
 *   DELETE /api/keys/:keyid        revoke any account's key (admin)
 *   GET    /api/users              list (admin)
 *   POST   /api/users              create {username, displayName, role | roles, password} (admin)
 *   PATCH  /api/users/:username    change {displayName?, role? | roles?, password?, disabled?} (admin)
 *   DELETE /api/users/:username    delete (admin)
 *   GET    /api/audit              ?from&to&actor&action&outcome&before&limit → {entries, nextBefore}
 *   GET    /api/audit.csv          same filters, CSV with BOM (admin)
 *
 * Errors answer `{error: {code, message, problems?}}` with the error's stable code (web/errors.ts).
 * The bodies are checked by AccountService itself (the CLI reaches it too): a sign-in with a
 * malformed body is a failed sign-in, counted and audited like any other, and a user's fields come
 * back as ACCOUNT_INVALID with each problem named.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { toCsv } from '../web/csv.js';
import { routeOptions } from '../web/route-access.js';
import type { Action } from '../web/roles.js';
import type { AccountContext } from './access-control.js';
import { isSecureRequest, serializeSessionCookie, sessionCookieName } from '../web/cookies.js';
import type { AccountService } from './service.js';
import type { AuditEntry } from './store.js';

export interface AccountRoutesOptions {
  service: AccountService;
  secureCookies: boolean | 'auto';
}

const AuditQueryInput = z.object({
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  actor: z.string().max(64).optional(),
  action: z.string().max(64).optional(),
  outcome: z.enum(['ok', 'denied', 'failed']).optional(),
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

const KeyParams = z.object({ keyid: z.string().min(1).max(200) });
const UsernameParams = z.object({ username: z.string().min(1).max(200) });

function auditQuery(q: z.infer<typeof AuditQueryInput>, limitCap: number) {
  return {
    ...(q.from !== undefined && { from: Date.parse(q.from) }),
    ...(q.to !== undefined && { to: Date.parse(q.to) }),
    ...(q.actor !== undefined && { actor: q.actor }),
    ...(q.action !== undefined && { action: q.action }),
    ...(q.outcome !== undefined && { outcome: q.outcome }),
    ...(q.before !== undefined && { beforeId: q.before }),
    limit: Math.min(q.limit, limitCap),
  };
}

const AUDIT_CSV_HEADER = ['id', 'at', 'actor', 'action', 'target', 'ip', 'outcome', 'details'];
const auditRow = (e: AuditEntry) => [
  e.id,
  new Date(e.at).toISOString(),
  e.actor,
  e.action,
  e.target,
  e.ip,
  e.outcome,
  JSON.stringify(e.details),
];

/** The audit log as CSV (RFC 4180, UTF-8 with BOM), oldest first. */
export function auditToCsv(entries: readonly AuditEntry[]): string {
  return toCsv(AUDIT_CSV_HEADER, [...entries].sort((a, b) => a.id - b.id).map(auditRow));
}

function account(request: FastifyRequest): AccountContext {
  // The access-control guard has run and set it; a route without a session is 'public' and never calls this.
  if (!request.account) throw new Error('route reached without an account: access control not installed');
  return request.account;
}

const body = (request: FastifyRequest) => (request.body ?? {}) as Record<string, unknown>;

export const accountRoutes: FastifyPluginAsyncZod<AccountRoutesOptions> = async (
  app,
  { service, secureCookies },
) => {
  app.addHook('onSend', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
  });

  const setCookie = (request: FastifyRequest, reply: FastifyReply, value: string, maxAgeS: number) => {
    const secure = isSecureRequest(request, secureCookies);
    reply.header('set-cookie', serializeSessionCookie(sessionCookieName(secure), value, { maxAgeS, secure }));
  };

  app.post(
    '/api/session',
    routeOptions('public', 'Sign in: sets the session cookie'),
    async (request, reply) => {
      const b = body(request);
      const result = await service.login(b['username'], b['password'], {
        ip: request.ip,
        userAgent: String(request.headers['user-agent'] ?? ''),
      });
      setCookie(request, reply, result.token, service.sessionLifetimeMs / 1000);
      return {
        user: result.user,
        csrfToken: result.csrfToken,
        expiresAt: new Date(result.expiresAt).toISOString(),
      };
    },
  );

  app.get(
    '/api/session',
    routeOptions('session.self', 'Who is signed in, with the CSRF token'),
    async (request) => {
      const a = account(request);
      return {
        user: a.user,
        csrfToken: a.session.csrfToken,
        expiresAt: new Date(a.session.expiresAt).toISOString(),
      };
    },
  );

  app.delete('/api/session', routeOptions('session.self', 'Sign out'), async (request, reply) => {
    service.logout(account(request));
    setCookie(request, reply, '', 0);
    return reply.code(204).send();
  });

  app.post(
    '/api/session/password',
    routeOptions('session.self', 'Change one’s own password'),
    async (request, reply) => {
      const b = body(request);
      await service.changeOwnPassword(account(request), b['currentPassword'], b['newPassword']);
      return reply.code(204).send();
    },
  );

  app.get('/api/session/keys', routeOptions('session.self', 'One’s own approver keys'), async (request) => ({
    keys: service.listOwnKeys(account(request)),
  }));

  app.post(
    '/api/session/keys',
    routeOptions('draft.approve', 'Register an approver key to one’s account'),
    async (request, reply) => {
      const b = body(request);
      const key = await service.registerKey(account(request), b['currentPassword'], b['publicKey']);
      return reply.code(201).send({ key });
    },
  );

  /** A route that takes an approver key away by its id (one's own, or any account's): 204. */
  const keyRemoval = (
    path: string,
    access: Action,
    summary: string,
    remove: (actor: AccountContext, keyid: string) => void,
  ) =>
    app.delete(path, routeOptions(access, summary, { params: KeyParams }), async (request, reply) => {
      remove(account(request), request.params.keyid);
      return reply.code(204).send();
    });

  keyRemoval('/api/session/keys/:keyid', 'session.self', 'Remove one of one’s own keys', (a, k) =>
    service.removeOwnKey(a, k),
  );

  app.get('/api/keys', routeOptions('users.manage', 'Every account’s approver keys'), async () => ({
    keys: service.listAllKeys(),
  }));

  keyRemoval('/api/keys/:keyid', 'users.manage', 'Revoke any account’s key', (a, k) =>
    service.revokeKey(a, k),
  );

  app.get('/api/users', routeOptions('users.manage', 'List the accounts'), async () => ({
    users: service.listUsers(),
  }));

  app.post('/api/users', routeOptions('users.manage', 'Create an account'), async (request, reply) => {
    const user = await service.createUser(account(request), request.body);
    return reply.code(201).send({ user });
  });

  app.patch(
    '/api/users/:username',
    routeOptions('users.manage', 'Change an account (name, role, password, disabled)', {
      params: UsernameParams,
    }),
    async (request) => ({
      user: await service.updateUser(account(request), request.params.username, request.body),
    }),
  );

  app.delete(
    '/api/users/:username',
    routeOptions('users.manage', 'Delete an account', { params: UsernameParams }),
    async (request, reply) => {
      service.deleteUser(account(request), request.params.username);
      return reply.code(204).send();
    },
  );

  app.get(
    '/api/audit',
    routeOptions('audit.view', 'The audit log, newest first, by page', { querystring: AuditQueryInput }),
    async (request) => {
      const entries = service.listAudit(auditQuery(request.query, 1000));
      const last = entries[entries.length - 1];
      return { entries, nextBefore: last ? last.id : null };
    },
  );

  app.get(
    '/api/audit.csv',
    routeOptions('audit.view', 'The audit log as CSV', { querystring: AuditQueryInput }),
    async (request, reply) => {
      const q = auditQuery(request.query, 1000);
      // Page through everything that matches (newest first), then write oldest first.
      const all: AuditEntry[] = [];
      for (let before = q.beforeId; ;) {
        const page = service.listAudit({
          ...q,
          limit: 1000,
          ...(before !== undefined && { beforeId: before }),
        });
        all.push(...page);
        if (page.length < 1000) break;
        before = page[page.length - 1]!.id;
      }
      service.audit(account(request), 'audit.export', null, 'ok', { rows: all.length });
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', 'attachment; filename="gatecast-audit.csv"')
        .send(auditToCsv(all));
    },
  );
};
