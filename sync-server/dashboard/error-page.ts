/**
 * Errors as pages: a browser that opens a dashboard address that does not exist, or one its role may
 * not see, or sends a form the server refuses, gets a page in the user's language with a way back —
 * never a JSON body. Scripts asking for JSON keep the JSON answer (web/errors.ts).
 *
 * `installDashboardErrorPages` runs on the root app before any route: every route under /dashboard
 * that has no error page of its own gets this one (decided on the registered route, not the URL a
 * request spells), and an address that matches no route answers 404 as a page when the normalised
 * path is under /dashboard and the caller navigates.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { html } from '../web/escape.js';
import { ERROR_PAGE_CSP, type ErrorPage, NotFoundError, errorAnswer, wantsHtml } from '../web/errors.js';
import { DEFAULT_DASHBOARD_LANGUAGE, isDashboardLanguage } from './language.js';
import { shellTexts } from './texts.js';

type Lang = 'vi' | 'en';

function titleKey(status: number) {
  if (status === 404) return 'error.title.404' as const;
  if (status === 403) return 'error.title.403' as const;
  if (status === 401) return 'error.title.401' as const;
  if (status >= 500) return 'error.title.500' as const;
  return 'error.title.400' as const;
}

/** The dashboard's error page: the status in words, what went wrong, and the way back. No script. */
export const dashboardErrorPage: ErrorPage = (error, asked) => {
  const lang: Lang = isDashboardLanguage(asked) ? asked : DEFAULT_DASHBOARD_LANGUAGE;
  const t = (k: Parameters<typeof shellTexts.text>[1]) => shellTexts.text(lang, k);
  // A fault's own words stay in the log; the page says what the person can act on.
  const message = error.status >= 500 ? t('error.internal') : error.message;
  return html`<!doctype html>
    <html lang="${lang}">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${t(titleKey(error.status))} · ${t('app.title')}</title>
        <style>
          body {
            font-family: 'Noto Sans', system-ui, sans-serif;
            margin: 0;
            background: #f5f6f8;
            color: #111;
          }
          header {
            background: #0f3a5f;
            color: #fff;
            padding: 0.6rem 1rem;
          }
          main {
            padding: 1rem;
            max-width: 40rem;
          }
          code {
            color: #555;
          }
        </style>
      </head>
      <body>
        <header><strong>${t('app.title')}</strong></header>
        <main>
          <h1 id="error-title">${t(titleKey(error.status))}</h1>
          <p id="error-message">${message}</p>
          <p><a id="error-back" href="/dashboard">${t('error.back')}</a></p>
          <p>
            <small>${t('error.code')} <code>${error.status} ${error.code}</code></small>
          </p>
        </main>
      </body>
    </html>`.toString();
};

/** The path a request names, decoded and with dot segments resolved; null when it cannot be read. */
function normalisedPath(request: FastifyRequest): string | null {
  try {
    const path = new URL(request.url, 'http://x').pathname;
    return decodeURIComponent(path);
  } catch {
    return null;
  }
}

const underDashboard = (path: string) => path === '/dashboard' || path.startsWith('/dashboard/');

export function installDashboardErrorPages(
  app: FastifyInstance,
  language: (request: FastifyRequest) => string | undefined,
): void {
  app.addHook('onRoute', (route) => {
    if (!underDashboard(route.url)) return;
    const config = (route.config ?? {}) as { errorPage?: ErrorPage };
    if (!config.errorPage) route.config = { ...config, errorPage: dashboardErrorPage } as typeof route.config;
  });
  app.setNotFoundHandler((request, reply) => {
    const lang = language(request);
    const shown = request.url.split('?')[0]!.slice(0, 200);
    reply.code(404).header('cache-control', 'no-store');
    const path = normalisedPath(request);
    if (path !== null && underDashboard(path) && wantsHtml(request.headers.accept)) {
      const pageLang: Lang = isDashboardLanguage(lang) ? lang : DEFAULT_DASHBOARD_LANGUAGE;
      const message = shellTexts.text(pageLang, 'error.notFound', { path: shown });
      return reply
        .headers({ 'content-type': 'text/html; charset=utf-8', 'content-security-policy': ERROR_PAGE_CSP })
        .send(dashboardErrorPage({ status: 404, code: 'NOT_FOUND', message }, pageLang));
    }
    return reply.send(
      errorAnswer(new NotFoundError(`no page or API at ${request.method} ${shown}`), lang).body,
    );
  });
}
