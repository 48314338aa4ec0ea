/**
 * The emergency templates' routes, a fastify plugin registered inside the access-controlled scope
 * (every route declares its action; mutating ones need the session's CSRF token; changes audited,
 * refusals included):
 *
 *   GET    /api/emergency-templates                    {templates} (content.view)
 *   GET    /api/emergency-templates/:id                the template (content.view)
 *   POST   /api/emergency-templates                    {name, text, durationMinutes?} → 201 (content.edit)
 *   PUT    /api/emergency-templates/:id                the same, replacing it (content.edit)
 *   DELETE /api/emergency-templates/:id                204 (content.edit)
 *   GET    /api/emergency-templates/:id/prefill?siteGroup=   the emergency form's contents for that
 *                                                      site group; a language its gates show and the
 *                                                      template lacks: 400 TEMPLATE_LANGUAGE_MISSING
 *                                                      naming it (emergency.create)
 *   GET    /dashboard/templates                        the Templates page (content.view; editing for content.edit)
 */
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountService } from '../accounts/service.js';
import { pageSession, sendHtml } from '../accounts/page-session.js';
import { languageOf } from '../dashboard/language.js';
import { isAllowed } from '../web/roles.js';
import { routeOptions } from '../web/route-access.js';
import { renderTemplatesPage } from './page.js';
import type { TemplateService } from './service.js';

export interface TemplateRoutesOptions {
  service: TemplateService;
  accounts: AccountService;
  /** The languages of the registered gates, in order, and the first gate's time zone. */
  gateLanguages: () => { languages: string[]; timezone: string };
  secureCookies: boolean | 'auto';
}

const Params = z.object({ id: z.string().min(1).max(64) });
/** Checked by the service (TEMPLATE_INVALID names every problem); the route only bounds its size. */
const Body = z.looseObject({});

export const templateRoutes: FastifyPluginAsyncZod<TemplateRoutesOptions> = async (app, o) => {
  const { service, accounts } = o;

  /** Runs `fn` and audits its outcome (refusals with their code) under `action` and `target`. */
  const audited = <T>(request: FastifyRequest, action: string, target: string, fn: () => T): T => {
    const actor = request.account!;
    try {
      const r = fn();
      accounts.audit(actor, action, target, 'ok');
      return r;
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      accounts.audit(actor, action, target, 'failed', {
        code: typeof code === 'string' ? code : 'INTERNAL',
        message: (err as Error).message,
      });
      throw err;
    }
  };
  const by = (request: FastifyRequest) => ({ username: request.account!.user.username });

  app.get(
    '/api/emergency-templates',
    routeOptions('content.view', 'Emergency templates, by name'),
    async (_request, reply) => reply.header('cache-control', 'no-store').send({ templates: service.list() }),
  );

  app.get(
    '/api/emergency-templates/:id',
    routeOptions('content.view', 'One emergency template', { params: Params }),
    async (request, reply) => reply.header('cache-control', 'no-store').send(service.get(request.params.id)),
  );

  app.post(
    '/api/emergency-templates',
    routeOptions('content.edit', 'Write a new emergency template', { body: Body }),
    async (request, reply) => {
      const raw = request.body as { name?: unknown };
      const target = typeof raw.name === 'string' ? raw.name.slice(0, 120) : '';
      const t = audited(request, 'template.create', target, () =>
        service.create(request.body as Parameters<TemplateService['create']>[0], by(request)),
      );
      return reply.code(201).send(t);
    },
  );

  app.put(
    '/api/emergency-templates/:id',
    routeOptions('content.edit', 'Replace an emergency template', { params: Params, body: Body }),
    async (request) =>
      audited(request, 'template.update', request.params.id, () =>
        service.update(
          request.params.id,
          request.body as Parameters<TemplateService['update']>[1],
          by(request),
        ),
      ),
  );

  app.delete(
    '/api/emergency-templates/:id',
    routeOptions('content.edit', 'Delete an emergency template', { params: Params }),
    async (request, reply) => {
      audited(request, 'template.delete', request.params.id, () =>
        service.remove(request.params.id, by(request)),
      );
      return reply.code(204).send();
    },
  );

  app.get(
    '/api/emergency-templates/:id/prefill',
    routeOptions('emergency.create', 'The emergency form’s contents for a site group from a template', {
      params: Params,
      querystring: z.object({ siteGroup: z.string().min(1).max(200) }),
    }),
    async (request, reply) =>
      reply
        .header('cache-control', 'no-store')
        .send(service.prefill(request.params.id, request.query.siteGroup)),
  );

  app.get(
    '/dashboard/templates',
    // The page checks the session itself, to send a browser to the login page.
    { config: { access: 'public' } },
    async (request, reply) => {
      const auth = pageSession(request, reply, { accounts, secureCookies: o.secureCookies }, 'content.view');
      if (!auth) return reply;
      const gates = o.gateLanguages();
      return sendHtml(
        reply,
        renderTemplatesPage(
          languageOf(request),
          {
            templates: service.list(),
            languages: gates.languages,
            timezone: gates.timezone,
            canEdit: isAllowed(auth.user.roles, 'content.edit'),
          },
          auth.user,
          auth.session.csrfToken,
        ),
      );
    },
  );
};
