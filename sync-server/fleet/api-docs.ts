/**
 * The API's own description, for signed-in people (action 'api.docs', every role):
 *
 *   GET /api/openapi.json   the OpenAPI 3 document generated from the routes (web/openapi.ts)
 *   GET /dashboard/api      a page listing its operations: method, path, summary, who may call it
 *
 * The page is server-rendered (no swagger-ui: the dashboard's CSP lets no inline script run).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { OpenAPIV3 } from 'openapi-types';
import { pageSession, type PageSessionOptions, sendHtml } from '../accounts/page-session.js';
import { page } from '../dashboard/layout.js';
import { type DashboardLanguage, languageOf } from '../dashboard/language.js';
import { html } from '../web/escape.js';
import { accessText } from '../web/openapi.js';
import { routeOptions, type RouteAccess } from '../web/route-access.js';

export const OPENAPI_PATH = '/api/openapi.json';
export const API_PAGE_PATH = '/dashboard/api';

const TEXT = {
  vi: {
    title: 'Giao diện lập trình (API)',
    intro: 'Mọi thao tác của máy chủ, lấy từ chính các tuyến đường; tài liệu đầy đủ:',
    document: 'tài liệu OpenAPI (JSON)',
    errors: 'Mọi lỗi trả về {"error": {"code", "message", "problems"?}} với mã ổn định.',
    method: 'Phương thức',
    path: 'Đường dẫn',
    summary: 'Mô tả',
    access: 'Quyền truy cập',
  },
  en: {
    title: 'Programming interface (API)',
    intro: 'Every operation of the server, taken from the routes themselves; the full document:',
    document: 'OpenAPI document (JSON)',
    errors: 'Every error answers {"error": {"code", "message", "problems"?}} with a stable code.',
    method: 'Method',
    path: 'Path',
    summary: 'Summary',
    access: 'Access',
  },
} as const satisfies Record<DashboardLanguage, Record<string, string>>;

/** One operation of the document, as the page lists it. */
export interface ApiOperation {
  method: string;
  path: string;
  summary: string;
  access: RouteAccess;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

/** The document's operations, by path then method. */
export function operationsOf(doc: OpenAPIV3.Document): ApiOperation[] {
  const out: ApiOperation[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {}))
    for (const m of METHODS) {
      const op = item?.[m] as (OpenAPIV3.OperationObject & { 'x-access'?: RouteAccess }) | undefined;
      if (op) out.push({ method: m.toUpperCase(), path, summary: op.summary ?? '', access: op['x-access']! });
    }
  return out.sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
}

export const apiDocsRoutes: FastifyPluginAsync<PageSessionOptions> = async (app, o) => {
  const document = () => app.swagger() as OpenAPIV3.Document;

  app.get(
    OPENAPI_PATH,
    routeOptions('api.docs', 'This document: every API operation with its schemas and access'),
    async (_request, reply) => reply.header('cache-control', 'no-store').send(document()),
  );

  app.get(API_PAGE_PATH, { config: { access: 'public' } }, async (request, reply) => {
    const auth = pageSession(request, reply, o, 'api.docs');
    if (!auth) return reply;
    const lang = languageOf(request);
    const t = TEXT[lang];
    const rows = operationsOf(document()).map(
      (op) =>
        html`<tr>
          <td><code>${op.method}</code></td>
          <td><code>${op.path}</code></td>
          <td>${op.summary}</td>
          <td data-access="${op.access}">${accessText(op.access)}</td>
        </tr>`,
    );
    return sendHtml(
      reply,
      page(
        { lang, title: t.title, user: auth.user, csrfToken: auth.session.csrfToken, path: API_PAGE_PATH },
        html`<main>
          <h2>${t.title}</h2>
          <p>${t.intro} <a href="${OPENAPI_PATH}">${t.document}</a></p>
          <p>${t.errors}</p>
          <table id="operations">
            <thead>
              <tr>
                <th>${t.method}</th>
                <th>${t.path}</th>
                <th>${t.summary}</th>
                <th>${t.access}</th>
              </tr>
            </thead>
            <tbody>
              ${rows}
            </tbody>
          </table>
        </main>`,
      ),
    );
  });
};
