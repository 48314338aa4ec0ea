/**
 * The releases feature's routes. Dashboard (session; reads need releases.view, changes
 * releases.manage and the CSRF header):
 *
 *   GET  /dashboard/releases                          the page
 *   GET  /dashboard/releases/live                     the page's live part, rendered fresh
 *   GET  /dashboard/releases/events                   server-sent 'changed' events
 *   GET  /api/dashboard/releases                      published releases, screens, current rollout
 *   POST /api/dashboard/releases/rollouts             start a rollout
 *   POST /api/dashboard/releases/rollouts/:id/:action pause | resume | abort | advance
 *
 * Ops API (ops bearer token; `gatecast release rollout`), the same service:
 *
 *   GET  /api/releases                                as the dashboard's
 *   GET  /api/releases/rollouts/:id                   one rollout with its progress
 *   POST /api/releases/rollouts                       start a rollout
 *   POST /api/releases/rollouts/:id/:action           pause | resume | abort | advance
 */
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountService } from '../accounts/service.js';
import { openEventStream } from '../accounts/event-stream.js';
import { pageSession, sendHtml } from '../accounts/page-session.js';
import { languageOf } from '../dashboard/language.js';
import type { FleetView } from '../fleet/fleet-view.js';
import type { Registry } from '../registry/registry.js';
import { routeOptions } from '../web/route-access.js';
import { isAllowed } from '../web/roles.js';
import type { ReleaseCatalog } from './catalog.js';
import { type ReleasesPageData, renderReleases, renderReleasesLive } from './page.js';
import type { RolloutActor, RolloutService } from './service.js';

export interface ReleasesRoutesOptions {
  service: RolloutService;
  catalog: ReleaseCatalog;
  registry: Registry;
  fleet: Pick<FleetView, 'subscribe'>;
  accounts: AccountService;
  secureCookies: boolean | 'auto';
}

const DAY_MS = 24 * 3600_000;
const Duration = z
  .number()
  .int()
  .min(0)
  .max(30 * DAY_MS);
const Select = z.union([
  z.object({ screens: z.array(z.string().min(1).max(100)).max(10_000) }).strict(),
  z.object({ percent: z.number() }).strict(),
]);
const Stage = z
  .object({
    scope: z.enum(['canary', 'gate', 'province', 'fleet']),
    area: z.string().min(1).max(200).optional(),
    select: Select,
  })
  .strict();
/** A rollout to start; the service judges it against the catalogue and the fleet (named errors). */
export const RolloutBody = z
  .object({
    version: z.string().min(1).max(64),
    stages: z.array(Stage).min(1).max(20),
    advance: z.enum(['auto', 'manual']),
    soakMs: Duration.optional(),
    pendingDeadlineMs: Duration.optional(),
    offlineLimitMs: Duration.optional(),
  })
  .strict();
const ActionParams = z.object({
  id: z.string().min(1).max(100),
  action: z.enum(['pause', 'resume', 'abort', 'advance']),
});
const IdParams = z.object({ id: z.string().min(1).max(100) });
type RolloutAction = z.infer<typeof ActionParams>['action'];

const tags = ['releases'];

export const releasesRoutes: FastifyPluginAsyncZod<ReleasesRoutesOptions> = async (app, o) => {
  const s = o.service;
  const overview = () => ({
    published: o.catalog.list(),
    current: s.current(),
    screens: s.fleet(),
  });
  const pageData = (canManage: boolean): ReleasesPageData => ({
    published: o.catalog.list(),
    current: s.current(),
    fleet: s.fleet(),
    history: s.list(20),
    gateNames: new Map(o.registry.gates.list().map((g) => [g.siteGroup, g.name])),
    canManage,
  });
  const act = (by: RolloutActor, id: string, action: RolloutAction) => s[action](by, id);
  const account = (request: FastifyRequest): RolloutActor => ({ account: request.account! });
  const opsToken = (request: FastifyRequest): RolloutActor => ({ opsToken: true, ip: request.ip });

  app.get('/dashboard/releases', { config: { access: 'public' } }, async (request, reply) => {
    const auth = pageSession(request, reply, o, 'releases.view');
    if (!auth) return reply;
    const canManage = isAllowed(auth.user.roles, 'releases.manage');
    return sendHtml(
      reply,
      renderReleases(languageOf(request), pageData(canManage), auth.user, auth.session.csrfToken),
    );
  });

  app.get(
    '/dashboard/releases/live',
    routeOptions('releases.view', 'The releases page’s live part (HTML), rendered fresh', { tags }),
    async (request, reply) => {
      const canManage = isAllowed(request.account!.user.roles, 'releases.manage');
      return sendHtml(reply, String(renderReleasesLive(languageOf(request), pageData(canManage))));
    },
  );

  app.get(
    '/dashboard/releases/events',
    routeOptions('releases.view', 'Server-sent events: a rollout or a screen’s release changed', { tags }),
    async (request, reply) => {
      const stream = openEventStream(request, reply, o);
      // Many changes in one turn of the event loop make one event.
      let queued = false;
      const changed = () => {
        if (queued) return;
        queued = true;
        setImmediate(() => {
          queued = false;
          stream.send('changed', {});
        });
      };
      const offRollouts = s.subscribe(changed);
      const offFleet = o.fleet.subscribe((c) => {
        if (c.type === 'rows') changed();
      });
      stream.onEnd(() => {
        offRollouts();
        offFleet();
      });
    },
  );

  app.get(
    '/api/dashboard/releases',
    routeOptions('releases.view', 'Published releases, each screen’s release and the rollout under way', {
      tags,
    }),
    async (_request, reply) => reply.header('cache-control', 'no-store').send(overview()),
  );
  app.post(
    '/api/dashboard/releases/rollouts',
    routeOptions('releases.manage', 'Start a staged rollout of a published release (audited)', {
      tags,
      body: RolloutBody,
    }),
    async (request, reply) => reply.code(201).send(s.create(account(request), request.body)),
  );
  app.post(
    '/api/dashboard/releases/rollouts/:id/:action',
    routeOptions('releases.manage', 'Pause, resume, abort or advance a rollout (audited)', {
      tags,
      params: ActionParams,
    }),
    async (request) => act(account(request), request.params.id, request.params.action),
  );

  const ops = (summary: string, schema: object = {}) => ({
    config: { access: 'ops-token' as const },
    schema: { summary, tags: ['ops', ...tags], ...schema },
  });
  app.get(
    '/api/releases',
    ops('Published releases, each screen’s release and the rollout under way'),
    async () => overview(),
  );
  app.get(
    '/api/releases/rollouts/:id',
    ops('One rollout with its progress', { params: IdParams }),
    async (request) => s.get((request.params as z.infer<typeof IdParams>).id),
  );
  app.post(
    '/api/releases/rollouts',
    ops('Start a staged rollout of a published release (audited)', { body: RolloutBody }),
    async (request, reply) =>
      reply.code(201).send(s.create(opsToken(request), request.body as z.infer<typeof RolloutBody>)),
  );
  app.post(
    '/api/releases/rollouts/:id/:action',
    ops('Pause, resume, abort or advance a rollout (audited)', { params: ActionParams }),
    async (request) => {
      const p = request.params as z.infer<typeof ActionParams>;
      return act(opsToken(request), p.id, p.action);
    },
  );
};
