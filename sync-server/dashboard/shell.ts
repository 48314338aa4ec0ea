/**
 * The dashboard shell's routes, registered once by main.ts before the features' pages:
 *
 *   GET /dashboard/static/<feature>/browser/<file>  scripts and stylesheets (public, browser-files.ts)
 *   GET /dashboard/lang/:lang?next=                 language switch: sets the gatecast_lang cookie (public)
 */
import type { FastifyPluginAsync } from 'fastify';
import { isSecureRequest } from '../web/cookies.js';
import { browserFiles } from './browser-files.js';
import { isDashboardLanguage, LANG_COOKIE } from './language.js';

export interface DashboardShellOptions {
  secureCookies: boolean | 'auto';
}

export const dashboardShell: FastifyPluginAsync<DashboardShellOptions> = async (app, o) => {
  await app.register(browserFiles);

  app.get<{ Params: { lang: string }; Querystring: { next?: string } }>(
    '/dashboard/lang/:lang',
    { config: { access: 'public' } },
    async (request, reply) => {
      const lang = request.params.lang;
      if (!isDashboardLanguage(lang))
        return reply
          .code(400)
          .header('cache-control', 'no-store')
          .send({ error: { code: 'BAD_REQUEST', message: 'lang is "vi" or "en"' } });
      const next = request.query.next ?? '/dashboard';
      // Only back into the dashboard: never an open redirect.
      const target = /^\/dashboard(\/[\w%./-]*)?$/.test(next) && !next.includes('//') ? next : '/dashboard';
      const secure = isSecureRequest(request, o.secureCookies) ? '; Secure' : '';
      reply.header('set-cookie', `${LANG_COOKIE}=${lang}; Path=/; Max-Age=31536000; SameSite=Lax${secure}`);
      return reply.redirect(target, 303);
    },
  );
};
