/**
 * Fleet management in the dashboard, a fastify plugin inside the access-controlled scope; every
 * route needs fleet.manage (operators and admins), mutations the CSRF header, and each change is
 * audited (fleet-manage.ts):
 *
 *   GET  /dashboard/fleet/manage                       the page
 *   GET  /api/dashboard/enrolment-tokens               tokens with their status
 *   POST /api/dashboard/enrolment-tokens               {siteGroup, screenName, ttlHours} → token + QR (SVG)
 *   POST /api/dashboard/enrolment-tokens/:id/revoke    the revoked token
 *   POST /api/dashboard/devices/:id/rename             {screenName}
 *   POST /api/dashboard/devices/:id/move               {siteGroup}
 *   POST /api/dashboard/devices/:id/revoke             revoke the screen's key
 *   POST /api/dashboard/devices/:id/retire             retire it (key revoked, alerts resolved)
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountService } from '../accounts/service.js';
import { pageSession, sendHtml } from '../accounts/page-session.js';
import { languageOf } from '../dashboard/language.js';
import { ttlHoursToMs } from '../enrolment/enrolment.js';
import type { Registry } from '../registry/registry.js';
import { routeOptions } from '../web/route-access.js';
import type { FleetManager } from './fleet-manage.js';
import { renderManage } from './manage-page.js';

export interface ManageRoutesOptions {
  manager: FleetManager;
  registry: Registry;
  accounts: AccountService;
  secureCookies: boolean | 'auto';
  enrolmentTokenTtlMs: number;
}

const IdParams = z.object({ id: z.string().min(1).max(100) });
// Lifetimes and names are judged by the enrolment service (named errors); here only their types.
const TokenBody = z.object({
  siteGroup: z.string().min(1).max(200),
  screenName: z.string(),
  ttlHours: z.union([z.number(), z.string()]),
});
const RenameBody = z.object({ screenName: z.string() });
const MoveBody = z.object({ siteGroup: z.string().min(1).max(200) });

export const manageRoutes: FastifyPluginAsyncZod<ManageRoutesOptions> = async (app, o) => {
  const m = o.manager;
  const tags = ['fleet'];

  app.get('/dashboard/fleet/manage', { config: { access: 'public' } }, async (request, reply) => {
    const auth = pageSession(request, reply, o, 'fleet.manage');
    if (!auth) return reply;
    return sendHtml(
      reply,
      renderManage(
        languageOf(request),
        {
          gates: o.registry.gates.list(),
          tokens: m.tokens(),
          devices: m.devices(),
          defaultTtlHours: Math.max(1, Math.round(o.enrolmentTokenTtlMs / 3600_000)),
        },
        auth.user,
        auth.session.csrfToken,
      ),
    );
  });

  app.get(
    '/api/dashboard/enrolment-tokens',
    routeOptions('fleet.manage', 'Enrolment tokens with their status', { tags }),
    async (_request, reply) => reply.header('cache-control', 'no-store').send(m.tokens()),
  );
  app.post(
    '/api/dashboard/enrolment-tokens',
    routeOptions('fleet.manage', 'Create an enrolment token with its QR code (shown once; audited)', {
      tags,
      body: TokenBody,
    }),
    async (request, reply) => {
      const b = request.body;
      const created = await m.createToken(
        request.account!,
        b.siteGroup,
        b.screenName,
        ttlHoursToMs(b.ttlHours),
      );
      return reply.code(201).header('cache-control', 'no-store').send(created);
    },
  );
  app.post(
    '/api/dashboard/enrolment-tokens/:id/revoke',
    routeOptions('fleet.manage', 'Revoke an enrolment token (audited)', { tags, params: IdParams }),
    async (request) => m.revokeToken(request.account!, request.params.id),
  );
  app.post(
    '/api/dashboard/devices/:id/rename',
    routeOptions('fleet.manage', 'Rename a screen (audited)', { tags, params: IdParams, body: RenameBody }),
    async (request) => m.rename(request.account!, request.params.id, request.body.screenName),
  );
  app.post(
    '/api/dashboard/devices/:id/move',
    routeOptions('fleet.manage', 'Move a screen to another gate (audited)', {
      tags,
      params: IdParams,
      body: MoveBody,
    }),
    async (request) => m.move(request.account!, request.params.id, request.body.siteGroup),
  );
  app.post(
    '/api/dashboard/devices/:id/revoke',
    routeOptions('fleet.manage', 'Revoke a screen’s key and close its link (audited)', {
      tags,
      params: IdParams,
    }),
    async (request) => m.revokeKey(request.account!, request.params.id),
  );
  app.post(
    '/api/dashboard/devices/:id/retire',
    routeOptions('fleet.manage', 'Retire a screen: key revoked, open alerts resolved (audited)', {
      tags,
      params: IdParams,
    }),
    async (request) => m.retire(request.account!, request.params.id),
  );
};
