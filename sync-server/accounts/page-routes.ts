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
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { type Action, isAllowed } from '../web/roles.js';
import type { AccountService, PublicUser } from './service.js';
import {
  parseAuditFilter,
  renderAccountPage,
  renderAuditPage,
  renderUsersPage,
  type UserRowData,
} from './pages.js';
import { pageSession, type PageSessionOptions, sendHtml } from './page-session.js';
import { type DashboardLanguage, languageOf } from '../dashboard/language.js';
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

/** What a dashboard page is drawn from: the reader's language and the signed-in session. */
export interface PageView {
  lang: DashboardLanguage;
  user: PublicUser;
  csrfToken: string;
}

/**
 * Answers a dashboard page (a route public to the access check): a browser without a session goes
 * to the sign-in page, a role not allowed `action` is refused (403), anyone else gets the page
 * `render` draws in their language (or the answer it sent itself, e.g. a 404).
 */
export async function sendPage(
  request: FastifyRequest,
  reply: FastifyReply,
  o: PageSessionOptions,
  action: Action,
  render: (v: PageView) => string | FastifyReply | Promise<string | FastifyReply>,
): Promise<FastifyReply> {
  const auth = pageSession(request, reply, o, action);
  if (!auth) return reply;
  const out = await render({ lang: languageOf(request), user: auth.user, csrfToken: auth.session.csrfToken });
  return typeof out === 'string' ? sendHtml(reply, out) : out;
}

export const accountPagesRoutes: FastifyPluginAsync<AccountPagesOptions> = async (app, o) => {
  const timeZone = o.timeZone ?? OPS_TIME_ZONE;

  app.get('/dashboard/login', { config: { access: 'public' } }, async (request, reply) =>
    sendHtml(reply, renderLogin(languageOf(request))),
  );

  app.get('/dashboard/users', { config: { access: 'public' } }, async (request, reply) =>
    sendPage(request, reply, o, 'users.manage', (v) =>
      renderUsersPage({ ...v, users: usersWithLastLogin(o.accounts), timeZone }),
    ),
  );

  app.get('/dashboard/users/data', { config: { access: 'users.manage' } }, async (_request, reply) =>
    reply.header('cache-control', 'no-store').send({ users: usersWithLastLogin(o.accounts) }),
  );

  app.get('/dashboard/account', { config: { access: 'public' } }, async (request, reply) =>
    sendPage(request, reply, o, 'session.self', (v) =>
      renderAccountPage({
        ...v,
        timeZone,
        keys: o.accounts.listOwnKeys({ user: v.user, ip: request.ip }),
        canRegisterKeys: isAllowed(v.user.roles, 'draft.approve'),
      }),
    ),
  );

  app.get('/dashboard/audit', { config: { access: 'public' } }, async (request, reply) =>
    sendPage(request, reply, o, 'audit.view', (v) =>
      renderAuditPage({
        ...v,
        timeZone,
        parsed: parseAuditFilter((request.query ?? {}) as Record<string, unknown>, timeZone),
      }),
    ),
  );
};
