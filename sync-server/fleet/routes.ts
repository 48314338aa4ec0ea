/**
 * The fleet's dashboard side, a fastify plugin registered inside the access-controlled scope (see
 * accounts/access-control.ts: every route declares its action):
 *
 *   GET  /dashboard                          fleet page (fleet.view; redirects to login without a session)
 *   GET  /dashboard/screen/:id               screen page (fleet.view; commands need device.command)
 *   GET  /dashboard/events[?device=id]       server-sent events: `rows` (changed fleet rows), `command` (fleet.view)
 *   GET  /api/dashboard/fleet                fleet rows as JSON (fleet.view)
 *   POST /api/dashboard/devices/:id/commands {name} → the queued command (device.command, CSRF, audited)
 *   GET  /api/dashboard/commands/:id         one command and its result (fleet.view)
 *   GET  /api/dashboard/commands/:id/screenshot  PNG (fleet.view)
 */
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Clock } from '../../protocol/clock.js';
import { fleetTexts } from './texts.js';
import type { Logger } from '../../platform/log.js';
import { CommandName, FreeJsonObject } from '../../protocol/messages.js';
import { NotFoundError } from '../web/errors.js';
import { isAllowed } from '../web/roles.js';
import { type RouteAccess, routeOptions } from '../web/route-access.js';
import type { AccountService } from '../accounts/service.js';
import type { Registry } from '../registry/registry.js';
import type { TufRepository } from '../tuf/repository.js';
import type { DeviceHub } from '../ingest/ws-hub.js';
import { openEventStream } from '../accounts/event-stream.js';
import { sendPage } from '../accounts/page-routes.js';
import type { FleetView } from './fleet-view.js';
import { renderFleet, renderScreen } from './pages.js';
import { latestManifest, previewSegmentsSliced } from '../content/schedule-preview.js';
import { issueCommand, type NewCommand } from './commands.js';

export interface FleetRoutesOptions {
  fleet: FleetView;
  registry: Registry;
  hub: DeviceHub;
  accounts: AccountService;
  clock: Clock;
  log: Logger;
  secureCookies: boolean | 'auto';
  commandTtlMs: number;
  /** Checks a command before it is queued (commands.ts `checkCommand`). */
  checkCommand?: ((c: NewCommand) => void) | undefined;
  tuf?: { repo: TufRepository; repoDir: string } | undefined;
}

const CommandBody = z.object({ name: CommandName, args: FreeJsonObject.optional() });
const Id = z.string().min(1).max(100);
const IdParams = z.object({ id: Id });

/** What a route looked up, or the 404 that names what is not there. */
function found<T>(thing: T | undefined | null, missing: string): T {
  if (!thing) throw new NotFoundError(missing);
  return thing;
}

/** A fleet API route's options: who may call it, its summary and schemas, under the OpenAPI tag `fleet`. */
const fleetRoute = <S extends object = object>(access: RouteAccess, summary: string, schema: S = {} as S) =>
  routeOptions(access, summary, { tags: ['fleet'], ...schema });

/** The clockSource of a stored health payload (protocol HealthReport), null when it has none. */
function clockSourceOf(payload: unknown): string | null {
  const v = (payload as { clockSource?: unknown } | null | undefined)?.clockSource;
  return typeof v === 'string' ? v : null;
}

export const fleetRoutes: FastifyPluginAsyncZod<FleetRoutesOptions> = async (app, o) => {
  const fail = (reply: FastifyReply, status: number, code: string, message: string) =>
    reply.code(status).header('cache-control', 'no-store').send({ error: { code, message } });

  app.get('/dashboard', { config: { access: 'public' } }, async (request, reply) =>
    sendPage(request, reply, o, 'fleet.view', (v) =>
      renderFleet(v.lang, o.fleet.rows(), v.user, v.csrfToken),
    ),
  );

  app.get<{ Params: { id: string } }>(
    '/dashboard/screen/:id',
    { config: { access: 'public' } },
    async (request, reply) =>
      sendPage(request, reply, o, 'fleet.view', async ({ lang, user, csrfToken }) => {
        const id = request.params.id;
        const row = Id.safeParse(id).success ? o.fleet.row(id) : undefined;
        const device = row ? o.registry.devices.get(id) : undefined;
        if (!row || !device)
          return fail(
            reply.type('application/json'),
            404,
            'NOT_FOUND',
            fleetTexts.text(lang, 'error.notFound'),
          );
        const now = o.clock.now();
        const day = o.registry.health.history(id, now - 24 * 3600_000, now + 1, 'raw', 5000);
        let week = o.registry.health.history(id, now - 7 * 24 * 3600_000, now + 1, '1h', 5000);
        // Before the first hourly rollup (a new server or device), the raw samples are all there is.
        if (week.length === 0)
          week = o.registry.health.history(id, now - 7 * 24 * 3600_000, now + 1, 'raw', 5000);
        const mark = o.registry.ingest.watermark(id, 'event');
        const events = o.registry.ingest
          .listEvents(id, { afterSeq: Math.max(0, mark - 100), limit: 100 })
          .reverse();
        let schedule: Parameters<typeof renderScreen>[1]['schedule'];
        const gate = o.registry.gates.get(device.siteGroup);
        if (o.tuf && gate) {
          try {
            const m = await latestManifest(o.tuf.repo, o.tuf.repoDir, device.siteGroup);
            schedule = m && {
              version: m.version,
              segments: await previewSegmentsSliced(m.manifest, gate, now),
            };
          } catch (err) {
            o.log.warn('schedule preview failed', { deviceId: id, err });
            schedule = { error: (err as Error).message };
          }
        }
        return renderScreen(
          lang,
          {
            row,
            appVersion: device.appVersion,
            now,
            day,
            week,
            commands: o.registry.commands.list(id, 50),
            events,
            schedule,
            canCommand: isAllowed(user.roles, 'device.command'),
            clockSource: clockSourceOf(o.registry.health.latest(id).get(id)?.payload),
            popClockUnverified: o.registry.pop.clockUnverified(id),
          },
          user,
          csrfToken,
        );
      }),
  );

  app.get(
    '/dashboard/events',
    fleetRoute('fleet.view', 'Server-sent events: changed fleet rows, and one device’s command results', {
      querystring: z.object({ device: z.string().max(100).optional() }),
    }),
    async (request, reply) => {
      const only = request.query.device;
      const stream = openEventStream(request, reply, o);
      const unsubscribe = o.fleet.subscribe((c) => {
        if (c.type === 'rows') {
          const rows = only ? c.rows.filter((r) => r.id === only) : c.rows;
          if (rows.length) stream.send('rows', rows);
        } else if (only && c.deviceId === only) {
          const cmd = o.registry.commands.get(c.commandId);
          if (cmd) stream.send('command', cmd);
        }
      });
      stream.onEnd(unsubscribe);
    },
  );

  app.get('/api/dashboard/fleet', fleetRoute('fleet.view', 'The fleet’s rows'), async () => ({
    rows: o.fleet.rows(),
  }));

  app.post(
    '/api/dashboard/devices/:id/commands',
    fleetRoute('device.command', 'Queue a command for a screen (audited)', {
      params: IdParams,
      body: CommandBody,
    }),
    async (request, reply) => {
      const actor = request.account!;
      const id = request.params.id;
      const b = request.body;
      const cmd = issueCommand(o, { deviceId: id, name: b.name, args: b.args, ttlMs: o.commandTtlMs });
      o.accounts.audit(actor, 'device.command', id, 'ok', { command: cmd.name, commandId: cmd.id });
      return reply.code(201).send(cmd);
    },
  );

  app.get(
    '/api/dashboard/commands/:id',
    fleetRoute('fleet.view', 'One command and its result', { params: IdParams }),
    async (request, reply) => {
      const cmd = found(o.registry.commands.get(request.params.id), 'no such command');
      return reply.header('cache-control', 'no-store').send(cmd);
    },
  );

  app.get(
    '/api/dashboard/commands/:id/screenshot',
    fleetRoute('fleet.view', 'A screenshot command’s PNG', { params: IdParams }),
    async (request, reply) => {
      const png = found(o.registry.commands.screenshot(request.params.id), 'no screenshot');
      return reply.type('image/png').header('cache-control', 'private, max-age=3600').send(png);
    },
  );
};
