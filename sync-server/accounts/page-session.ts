/**
 * What every server-rendered dashboard page does: its own session check — a browser without a session
 * goes to the login page, a role without the page's
 * action gets 403 — so the HTML pages can be 'public' routes and still never show data to anyone.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sessionToken } from './access-control.js';
import { languageOf } from '../dashboard/language.js';
import { type Action, isAllowed } from '../web/roles.js';
import type { AccountService, AuthenticatedSession } from './service.js';
import { accountsTexts } from './texts.js';
import { dashboardErrorPage } from '../dashboard/error-page.js';
import { ERROR_PAGE_CSP, wantsHtml } from '../web/errors.js';

export interface PageSessionOptions {
  accounts: Pick<AccountService, 'authenticate'>;
  secureCookies: boolean | 'auto';
}

/**
 * The signed-in session allowed `action`, or undefined after answering: a redirect to the login
 * page without a session, 403 for a role without the action.
 */
export function pageSession(
  request: FastifyRequest,
  reply: FastifyReply,
  o: PageSessionOptions,
  action: Action,
): AuthenticatedSession | undefined {
  const auth = o.accounts.authenticate(sessionToken(request, o.secureCookies));
  if (!auth) {
    void reply.redirect('/dashboard/login', 303);
    return undefined;
  }
  if (!isAllowed(auth.user.roles, action)) {
    const lang = languageOf(request);
    const message = accountsTexts.text(lang, 'error.forbidden');
    if (wantsHtml(request.headers.accept)) {
      void reply
        .code(403)
        .headers({
          'cache-control': 'no-store',
          'content-type': 'text/html; charset=utf-8',
          'content-security-policy': ERROR_PAGE_CSP,
        })
        .send(dashboardErrorPage({ status: 403, code: 'FORBIDDEN', message }, lang));
      return undefined;
    }
    void reply
      .code(403)
      .header('cache-control', 'no-store')
      .type('application/json')
      .send({
        error: { code: 'FORBIDDEN', message },
      });
    return undefined;
  }
  return auth;
}

export const sendHtml = (reply: FastifyReply, body: string) =>
  reply.header('cache-control', 'no-store').type('text/html; charset=utf-8').send(body);
