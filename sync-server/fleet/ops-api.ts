/**
 * The ops REST API under /api, a fastify plugin registered by the fleet feature: gates, enrolment
 * tokens, devices, groups, health history, events, proof-of-play, commands, update notifications.
 * Every route declares `access: 'ops-token'` (machines holding `Authorization: Bearer <opsToken>`,
 * checked by the route guard, web/route-access.ts, on the matched route) and its params, query and
 * body as zod schemas; errors answer in the one shape of web/errors.ts.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Clock } from '../../protocol/clock.js';
import { GateConfig } from '../../protocol/config.js';
import type { Logger } from '../../platform/log.js';
import { CommandName, FreeJsonObject } from '../../protocol/messages.js';
import { NotFoundError } from '../web/errors.js';
import { issueCommand, type NewCommand } from './commands.js';
import type { Enrolment } from '../enrolment/enrolment.js';
import type { FleetManager } from './fleet-manage.js';
import type { Registry } from '../registry/registry.js';
import type { DeviceHub } from '../ingest/ws-hub.js';

const IdParams = z.object({ id: z.string().min(1).max(100) });
// Names and lifetimes are judged by Enrolment.createToken, the one place the CLI and the pages reach too.
const TokenBody = z.object({
  siteGroup: z.string().min(1),
  screenName: z.string(),
  ttlMs: z.number().optional(),
});
const CommandBody = z.object({
  name: CommandName,
  args: FreeJsonObject.optional(),
  ttlMs: z
    .number()
    .int()
    .min(1000)
    .max(30 * 24 * 3600_000)
    .optional(),
});
const HealthQuery = z.object({
  from: z.coerce.number().int().min(0).optional(),
  to: z.coerce.number().int().min(0).optional(),
  resolution: z.enum(['raw', '5m', '1h']).default('raw'),
  limit: z.coerce.number().int().min(1).max(10_000).default(5000),
});
const PageQuery = z.object({
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(5000).default(500),
});
const NotifyBody = z
  .object({
    siteGroup: z.string().min(1).optional(),
    version: z.string().max(100).optional(),
  })
  .nullish();

/** The audit's caller for a request made with the ops token (no account behind it). */
const opsCaller = (ip: string) => ({ via: 'ops-token' as const, ip });

const GroupParams = z.object({ group: z.string().min(1).max(100), id: z.string() });
const DevicesQuery = z.object({ group: z.string().optional() });

export interface OpsApiOptions {
  registry: Registry;
  enrolment: Enrolment;
  /** Token and screen changes go through the manager the dashboard uses: the same checks and audit. */
  manager: FleetManager;
  hub: DeviceHub;
  clock: Clock;
  log: Logger;
  enrolmentTokenTtlMs: number;
  commandTtlMs: number;
  /** Checks a command before it is queued (commands.ts `checkCommand`). */
  checkCommand?: ((c: NewCommand) => void) | undefined;
}

export const opsApi: FastifyPluginAsyncZod<OpsApiOptions> = async (app, d) => {
  // Every route below declares its access; the route guard (web/route-access.ts) checks the ops
  // token on the route fastify matched, whatever the URL's spelling.
  const route = (summary: string) => ({
    config: { access: 'ops-token' as const },
    schema: { summary, tags: ['ops'] },
  });

  const device = (id: string) => {
    const row = d.registry.devices.get(id);
    if (!row) throw new NotFoundError(`no device ${id}`);
    return row;
  };

  // GET /api/health (no credential) is registered with the metrics (metrics/metrics.ts); POST
  // /api/enrol with enrolment (enrolment/plugin.ts).

  // --- gates and groups ---
  app.get('/api/gates', route('List the gates'), async () => d.registry.gates.list());
  app.post(
    '/api/gates',
    {
      config: { access: 'ops-token' },
      schema: { summary: 'Create or replace a gate', tags: ['ops'], body: GateConfig },
    },
    async (req, reply) => {
      d.registry.gates.upsert(req.body);
      return reply.code(201).send(req.body);
    },
  );
  app.get('/api/groups', route('List the device groups'), async () => d.registry.gates.listGroups());
  app.put(
    '/api/groups/:group/devices/:id',
    {
      config: { access: 'ops-token' },
      schema: { summary: 'Add a device to a group', tags: ['ops'], params: GroupParams },
    },
    async (req) => {
      device(req.params.id);
      d.registry.gates.addToGroup(req.params.group, req.params.id);
      return { group: req.params.group, deviceId: req.params.id };
    },
  );
  app.delete(
    '/api/groups/:group/devices/:id',
    {
      config: { access: 'ops-token' },
      schema: { summary: 'Remove a device from a group', tags: ['ops'], params: GroupParams },
    },
    async (req) => {
      d.registry.gates.removeFromGroup(req.params.group, req.params.id);
      return { group: req.params.group, deviceId: req.params.id, removed: true };
    },
  );

  // --- enrolment tokens ---
  app.post(
    '/api/enrolment-tokens',
    {
      config: { access: 'ops-token' },
      schema: { summary: 'Create a one-time enrolment token (shown once)', tags: ['ops'], body: TokenBody },
    },
    async (req, reply) => {
      const b = req.body;
      const { qrSvg: _qr, ...created } = await d.manager.createToken(
        opsCaller(req.ip),
        b.siteGroup,
        b.screenName,
        b.ttlMs ?? d.enrolmentTokenTtlMs,
      );
      return reply.code(201).send(created);
    },
  );
  app.get('/api/enrolment-tokens', route('List the enrolment tokens'), async () => d.registry.tokens.list());
  app.delete(
    '/api/enrolment-tokens/:id',
    {
      config: { access: 'ops-token' },
      schema: { summary: 'Revoke an enrolment token', tags: ['ops'], params: IdParams },
    },
    async (req) => {
      const { id } = req.params;
      const token = d.manager.revokeToken(opsCaller(req.ip), id);
      d.log.info('enrolment token revoked', { id });
      return token;
    },
  );

  // --- devices ---
  const withLive = <T extends { id: string; online: boolean; lastSeenMs: number | null }>(row: T) => ({
    ...row,
    online: d.hub.isOnline(row.id),
    lastSeenMs: Math.max(row.lastSeenMs ?? 0, d.hub.lastSeenMs(row.id) ?? 0) || null,
  });
  const byId = (summary: string) => ({
    config: { access: 'ops-token' as const },
    schema: { summary, tags: ['ops'], params: IdParams },
  });
  app.get(
    '/api/devices',
    {
      config: { access: 'ops-token' },
      schema: { summary: 'List the devices, live state included', tags: ['ops'], querystring: DevicesQuery },
    },
    async (req) => d.registry.devices.list(req.query.group).map(withLive),
  );
  app.get('/api/devices/:id', byId('One device with its streams’ watermarks'), async (req) => {
    const row = device(req.params.id);
    // Per stream: the acknowledged watermark and how many records the device declared dropped.
    const streams = Object.fromEntries(
      (['health', 'event', 'pop'] as const).map((st) => [
        st,
        {
          ackedSeq: d.registry.ingest.watermark(row.id, st),
          droppedOnDevice: d.registry.ingest.gapRecords(row.id, st),
        },
      ]),
    );
    return { ...withLive(row), streams };
  });
  app.post('/api/devices/:id/revoke', byId('Revoke a device and close its link'), async (req) => {
    const { id } = req.params;
    const row = d.manager.revokeKey(opsCaller(req.ip), id);
    d.log.info('device revoked', { id });
    return withLive(row);
  });
  app.get(
    '/api/devices/:id/health',
    {
      config: { access: 'ops-token' },
      schema: {
        summary: 'A device’s health history',
        tags: ['ops'],
        params: IdParams,
        querystring: HealthQuery,
      },
    },
    async (req) => {
      const { id } = req.params;
      device(id);
      const q = req.query;
      const to = q.to ?? d.clock.now() + 1;
      const from = q.from ?? to - 24 * 3600_000;
      return {
        deviceId: id,
        resolution: q.resolution,
        points: d.registry.health.history(id, from, to, q.resolution, q.limit),
      };
    },
  );
  const paged = (summary: string) => ({
    config: { access: 'ops-token' as const },
    schema: { summary, tags: ['ops'], params: IdParams, querystring: PageQuery },
  });
  app.get('/api/devices/:id/events', paged('A device’s events, by sequence number'), async (req) => {
    device(req.params.id);
    return d.registry.ingest.listEvents(req.params.id, { afterSeq: req.query.after, limit: req.query.limit });
  });
  app.get(
    '/api/devices/:id/pop',
    paged('A device’s proof-of-play records, by sequence number'),
    async (req) => {
      device(req.params.id);
      return d.registry.pop.list(req.params.id, { afterSeq: req.query.after, limit: req.query.limit });
    },
  );

  app.get('/api/devices/:id/quarantine', byId('A device’s quarantined records'), async (req) => {
    device(req.params.id);
    return d.registry.ingest.listQuarantined(req.params.id);
  });

  // --- commands ---
  app.post(
    '/api/devices/:id/commands',
    {
      config: { access: 'ops-token' },
      schema: { summary: 'Queue a command for a device', tags: ['ops'], params: IdParams, body: CommandBody },
    },
    async (req, reply) => {
      const { id } = req.params;
      const b = req.body;
      const cmd = issueCommand(d, {
        deviceId: id,
        name: b.name,
        args: b.args,
        ttlMs: b.ttlMs ?? d.commandTtlMs,
      });
      d.log.info('command queued', {
        deviceId: id,
        commandId: cmd.id,
        name: cmd.name,
        online: d.hub.isOnline(id),
      });
      return reply.code(201).send(cmd);
    },
  );
  app.get('/api/devices/:id/commands', byId('A device’s commands'), async (req) => {
    device(req.params.id);
    return d.registry.commands.list(req.params.id);
  });
  app.get('/api/commands/:id', byId('One command and its result'), async (req) => {
    const cmd = d.registry.commands.get(req.params.id);
    if (!cmd) throw new NotFoundError(`no command ${req.params.id}`);
    return cmd;
  });
  app.get('/api/commands/:id/screenshot', byId('A screenshot command’s PNG'), async (req, reply) => {
    const png = d.registry.commands.screenshot(req.params.id);
    if (!png) throw new NotFoundError(`no screenshot for command ${req.params.id}`);
    return reply.type('image/png').send(png);
  });

  // --- updates and status ---
  app.post(
    '/api/updates/notify',
    {
      config: { access: 'ops-token' },
      schema: { summary: 'Tell devices a new bundle is published', tags: ['ops'], body: NotifyBody },
    },
    async (req) => ({ notified: d.hub.notifyUpdate(req.body?.siteGroup, req.body?.version) }),
  );
  app.get('/api/status', route('Device links and ingest counters'), async () => ({
    ...d.hub.stats,
    online: d.hub.onlineCount(),
    serverTimeMs: d.clock.now(),
  }));
};
