/**
 * The account pages' HTTP side, a fastify plugin registered inside the access-controlled scope:
 *
 *   GET /dashboard/login        the sign-in page (public)
 *   GET /dashboard/users        user administration (users.manage; redirects to login without a session)
 *   GET /dashboard/users/data   the users as the page lists them, with their last sign-in (users.manage)
 *   GET /dashboard/account      the signed-in user's account, password form and approver keys (session.self)
 *   GET /dashboard/audit[?from&to&actor&action&outcome]  the audit log (audit.view)
 *
 * Every change goes through the accounts API (accounts/routes.ts: /api/users, /api/session/password,
 * /api/audit, /api/audit.csv), which checks the role and CSRF token and writes the audit log.
 */
import type { FastifyPluginAsync } from 'fastify';
import { isAllowed } from '../web/roles.js';
import type { AccountService } from './service.js';
import {
  parseAuditFilter,
  renderAccountPage,
  renderAuditPage,
  renderUsersPage,
  type UserRowData,
} from './pages.js';
import { pageSession, sendHtml } from './page-session.js';
import { languageOf } from '../dashboard/language.js';
import { renderLogin } from './login-page.js';

export interface AccountPagesOptions {
  accounts: Pick<AccountService, 'authenticate' | 'listUsers' | 'listAudit' | 'listOwnKeys'>;
  secureCookies: boolean | 'auto';
  /** The zone the audit times are shown in (and the date filters meant in). */
  timeZone?: string;
}

export const OPS_TIME_ZONE = 'Asia/Ho_Chi_Minh';

/** The users with their last successful sign-in, read from the audit log. */
export function usersWithLastLogin(accounts: AccountPagesOptions['accounts']): UserRowData[] {
  return accounts.listUsers().map((u) => {
    const last = accounts.listAudit({ actor: u.username, action: 'session.login', outcome: 'ok', limit: 1 });
    return { ...u, lastLoginAt: last[0]?.at ?? null };
  });
}

export const accountPagesRoutes: FastifyPluginAsync<AccountPagesOptions> = async (app, o) => {
  const timeZone = o.timeZone ?? OPS_TIME_ZONE;

  app.get('/dashboard/login', { config: { access: 'public' } }, async (request, reply) =>
    sendHtml(reply, renderLogin(languageOf(request))),
  );

  app.get('/dashboard/users', { config: { access: 'public' } }, async (request, reply) => {
    const auth = pageSession(request, reply, o, 'users.manage');
    if (!auth) return reply;
    return sendHtml(
      reply,
      renderUsersPage({
        lang: languageOf(request),
        users: usersWithLastLogin(o.accounts),
        user: auth.user,
        csrfToken: auth.session.csrfToken,
        timeZone,
      }),
    );
  });

  app.get('/dashboard/users/data', { config: { access: 'users.manage' } }, async (_request, reply) =>
    reply.header('cache-control', 'no-store').send({ users: usersWithLastLogin(o.accounts) }),
  );

  app.get('/dashboard/account', { config: { access: 'public' } }, async (request, reply) => {
    const auth = pageSession(request, reply, o, 'session.self');
    if (!auth) return reply;
    return sendHtml(
      reply,
      renderAccountPage({
        lang: languageOf(request),
        user: auth.user,
        csrfToken: auth.session.csrfToken,
        timeZone,
        keys: o.accounts.listOwnKeys({ user: auth.user, ip: request.ip }),
        canRegisterKeys: isAllowed(auth.user.role, 'draft.approve'),
      }),
    );
  });

  app.get('/dashboard/audit', { config: { access: 'public' } }, async (request, reply) => {
    const auth = pageSession(request, reply, o, 'audit.view');
    if (!auth) return reply;
    return sendHtml(
      reply,
      renderAuditPage({
        lang: languageOf(request),
        user: auth.user,
        csrfToken: auth.session.csrfToken,
        timeZone,
        parsed: parseAuditFilter((request.query ?? {}) as Record<string, unknown>, timeZone),
      }),
    );
  });
};
