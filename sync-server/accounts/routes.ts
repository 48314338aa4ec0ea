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
 *   POST   /api/users              create {username, displayName, role, password} (admin)
 *   PATCH  /api/users/:username    change {displayName?, role?, password?, disabled?} (admin)
 *   DELETE /api/users/:username    delete (admin)
 *   GET    /api/audit              ?from&to&actor&action&outcome&before&limit → {entries, nextBefore}
 *   GET    /api/audit.csv          same filters, CSV with BOM (admin)
 *
 * Errors answer `{error: {code, message, problems?}}` with the error's stable code.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { isGatecastError } from '../../protocol/errors.js';
import { languageOf } from '../dashboard/language.js';
import { toCsv } from '../web/csv.js';
import type { AccountContext } from './access-control.js';
import { isSecureRequest, serializeSessionCookie, sessionCookieName } from '../web/cookies.js';
import { AccountInputError, isRateLimitedError } from './errors.js';
import type { AccountService } from './service.js';
import type { AuditEntry } from './store.js';
import { accountsTexts } from './texts.js';

export interface AccountRoutesOptions {
  service: AccountService;
  secureCookies: boolean | 'auto';
}

const STATUS: Record<string, number> = {
  AUTH_FAILED: 401,
  AUTH_RATE_LIMITED: 429,
  ACCOUNT_INVALID: 400,
  USER_EXISTS: 409,
  USER_NOT_FOUND: 404,
  LAST_ADMIN: 409,
  KEY_REGISTERED_TO_ANOTHER_ACCOUNT: 409,
  KEY_NOT_FOUND: 404,
};

const AuditQueryInput = z.object({
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  actor: z.string().max(64).optional(),
  action: z.string().max(64).optional(),
  outcome: z.enum(['ok', 'denied', 'failed']).optional(),
  before: z.coerce.number().int().positive().optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(200),
});

function auditQuery(raw: unknown, limitCap: number) {
  const r = AuditQueryInput.safeParse(raw);
  if (!r.success)
    throw new AccountInputError(
      'invalid audit query',
      r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  const q = r.data;
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

export const accountRoutes: FastifyPluginAsync<AccountRoutesOptions> = async (
  app: FastifyInstance,
  { service, secureCookies },
) => {
  app.setErrorHandler((err, request, reply) => {
    if (isRateLimitedError(err)) {
      // Said in the signed-in page's language; the wait also goes in Retry-After for clients.
      const seconds = Math.max(1, Math.ceil(err.retryAfterMs / 1000));
      return reply
        .code(429)
        .header('retry-after', String(seconds))
        .send({
          error: {
            code: err.code,
            message: accountsTexts.text(languageOf(request), 'login.rateLimited', { seconds }),
            retryAfterS: seconds,
          },
        });
    }
    if (isGatecastError(err) && STATUS[err.code]) {
      const problems = (err as { problems?: unknown }).problems;
      return reply.code(STATUS[err.code]!).send({
        error: {
          code: err.code,
          message: err.message,
          ...(Array.isArray(problems) && problems.length && { problems }),
        },
      });
    }
    const status = (err as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500)
      return reply.code(status).send({ error: { code: 'BAD_REQUEST', message: (err as Error).message } });
    request.log.error({ err }, 'account route failed');
    return reply.code(500).send({ error: { code: 'INTERNAL', message: 'internal error' } });
  });

  app.addHook('onSend', async (_request, reply) => {
    reply.header('cache-control', 'no-store');
  });

  const setCookie = (request: FastifyRequest, reply: FastifyReply, value: string, maxAgeS: number) => {
    const secure = isSecureRequest(request, secureCookies);
    reply.header('set-cookie', serializeSessionCookie(sessionCookieName(secure), value, { maxAgeS, secure }));
  };

  app.post('/api/session', { config: { access: 'public' } }, async (request, reply) => {
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
  });

  app.get('/api/session', { config: { access: 'session.self' } }, async (request) => {
    const a = account(request);
    return {
      user: a.user,
      csrfToken: a.session.csrfToken,
      expiresAt: new Date(a.session.expiresAt).toISOString(),
    };
  });

  app.delete('/api/session', { config: { access: 'session.self' } }, async (request, reply) => {
    service.logout(account(request));
    setCookie(request, reply, '', 0);
    return reply.code(204).send();
  });

  app.post('/api/session/password', { config: { access: 'session.self' } }, async (request, reply) => {
    const b = body(request);
    await service.changeOwnPassword(account(request), b['currentPassword'], b['newPassword']);
    return reply.code(204).send();
  });

  app.get('/api/session/keys', { config: { access: 'session.self' } }, async (request) => ({
    keys: service.listOwnKeys(account(request)),
  }));

  app.post('/api/session/keys', { config: { access: 'draft.approve' } }, async (request, reply) => {
    const b = body(request);
    const key = await service.registerKey(account(request), b['currentPassword'], b['publicKey']);
    return reply.code(201).send({ key });
  });

  app.delete<{ Params: { keyid: string } }>(
    '/api/session/keys/:keyid',
    { config: { access: 'session.self' } },
    async (request, reply) => {
      service.removeOwnKey(account(request), request.params.keyid);
      return reply.code(204).send();
    },
  );

  app.get('/api/keys', { config: { access: 'users.manage' } }, async () => ({ keys: service.listAllKeys() }));

  app.delete<{ Params: { keyid: string } }>(
    '/api/keys/:keyid',
    { config: { access: 'users.manage' } },
    async (request, reply) => {
      service.revokeKey(account(request), request.params.keyid);
      return reply.code(204).send();
    },
  );

  app.get('/api/users', { config: { access: 'users.manage' } }, async () => ({ users: service.listUsers() }));

  app.post('/api/users', { config: { access: 'users.manage' } }, async (request, reply) => {
    const user = await service.createUser(account(request), request.body);
    return reply.code(201).send({ user });
  });

  app.patch<{ Params: { username: string } }>(
    '/api/users/:username',
    { config: { access: 'users.manage' } },
    async (request) => ({
      user: await service.updateUser(account(request), request.params.username, request.body),
    }),
  );

  app.delete<{ Params: { username: string } }>(
    '/api/users/:username',
    { config: { access: 'users.manage' } },
    async (request, reply) => {
      service.deleteUser(account(request), request.params.username);
      return reply.code(204).send();
    },
  );

  app.get('/api/audit', { config: { access: 'audit.view' } }, async (request) => {
    const entries = service.listAudit(auditQuery(request.query, 1000));
    const last = entries[entries.length - 1];
    return { entries, nextBefore: last ? last.id : null };
  });

  app.get('/api/audit.csv', { config: { access: 'audit.view' } }, async (request, reply) => {
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
  });
};
