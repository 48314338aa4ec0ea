/**
 * REST API under /api (JSON, zod-validated): gates, enrolment tokens, devices, groups, health
 * history, events, proof-of-play, commands, update notifications. Every route but device enrolment
 * declares `access: 'ops-token'`: machines holding `Authorization: Bearer <opsToken>`, checked by the
 * route guard (web/route-access.ts) on the matched route.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { Clock } from '../../protocol/clock.js';
import { GateConfig } from '../../protocol/config.js';
import { GatecastError, isGatecastError } from '../../protocol/errors.js';
import type { Logger } from '../../platform/log.js';
import { CommandName, ENROL_PATH, EnrolRequest, FreeJsonObject } from '../../protocol/messages.js';
import { zodProblems } from '../../protocol/validate.js';
import type { Enrolment } from '../enrolment/enrolment.js';
import type { Registry } from '../registry/registry.js';
import type { DeviceHub } from '../ingest/ws-hub.js';

export class ApiError extends GatecastError {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    readonly problems?: { path: string; message: string }[],
  ) {
    super(message);
  }
}

const STATUS: Record<string, number> = {
  ENROL_TOKEN_UNKNOWN: 403,
  ENROL_TOKEN_USED: 403,
  ENROL_TOKEN_EXPIRED: 403,
  ENROL_TOKEN_REVOKED: 403,
  ENROL_KEY_IN_USE: 409,
  ENROL_GATE_UNKNOWN: 404,
  ENROL_NO_TRUST_ROOT: 503,
};

function parse<S extends z.ZodType>(schema: S, raw: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(raw);
  if (!r.success) throw new ApiError('BAD_REQUEST', 400, `invalid ${what}`, zodProblems(r.error));
  return r.data;
}

/** Unauthenticated liveness route (`gatecast selftest` on a screen calls it); see metrics.ts. */
export const HEALTH_PATH = '/api/health';

const IdParams = z.object({ id: z.string().min(1).max(100) });
const TokenBody = z.object({
  siteGroup: z.string().min(1),
  screenName: z.string().min(1).max(100),
  ttlMs: z
    .number()
    .int()
    .min(60_000)
    .max(90 * 24 * 3600_000)
    .optional(),
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
const NotifyBody = z.object({
  siteGroup: z.string().min(1).optional(),
  version: z.string().max(100).optional(),
});

export interface ApiDeps {
  registry: Registry;
  enrolment: Enrolment;
  hub: DeviceHub;
  clock: Clock;
  log: Logger;
  enrolmentTokenTtlMs: number;
  commandTtlMs: number;
}

export function registerApi(app: FastifyInstance, d: ApiDeps): void {
  // Every route below declares its access; the route guard (web/route-access.ts) checks the ops
  // token on the route fastify matched, whatever the URL's spelling.
  const ops = { config: { access: 'ops-token' } } as const;

  app.setErrorHandler((err, _req, reply: FastifyReply) => {
    if (err instanceof ApiError)
      return reply.code(err.status).send({ code: err.code, message: err.message, problems: err.problems });
    if (isGatecastError(err))
      return reply.code(STATUS[err.code] ?? 400).send({ code: err.code, message: err.message });
    const status = (err as { statusCode?: number }).statusCode;
    if (status && status < 500)
      return reply.code(status).send({ code: 'BAD_REQUEST', message: (err as Error).message });
    d.log.error('api request failed', { err });
    return reply.code(500).send({ code: 'INTERNAL', message: 'internal error' });
  });

  const device = (id: string) => {
    const row = d.registry.devices.get(id);
    if (!row) throw new ApiError('NOT_FOUND', 404, `no device ${id}`);
    return row;
  };

  // GET /api/health (no credential) is registered with the metrics (sync-server/metrics.ts).

  // --- enrolment (the token is the credential) ---
  app.post(ENROL_PATH, { config: { access: 'public' } }, async (req) => {
    const body = parse(EnrolRequest, req.body, 'enrolment request');
    return d.enrolment.enrol(body);
  });

  // --- gates and groups ---
  app.get('/api/gates', ops, async () => d.registry.gates.list());
  app.post('/api/gates', ops, async (req, reply) => {
    const gate = parse(GateConfig, req.body, 'gate');
    d.registry.gates.upsert(gate);
    return reply.code(201).send(gate);
  });
  app.get('/api/groups', ops, async () => d.registry.gates.listGroups());
  app.put('/api/groups/:group/devices/:id', ops, async (req) => {
    const p = parse(z.object({ group: z.string().min(1).max(100), id: z.string() }), req.params, 'path');
    device(p.id);
    d.registry.gates.addToGroup(p.group, p.id);
    return { group: p.group, deviceId: p.id };
  });
  app.delete('/api/groups/:group/devices/:id', ops, async (req) => {
    const p = parse(z.object({ group: z.string().min(1).max(100), id: z.string() }), req.params, 'path');
    d.registry.gates.removeFromGroup(p.group, p.id);
    return { group: p.group, deviceId: p.id, removed: true };
  });

  // --- enrolment tokens ---
  app.post('/api/enrolment-tokens', ops, async (req, reply) => {
    const b = parse(TokenBody, req.body, 'token request');
    return reply
      .code(201)
      .send(d.enrolment.createToken(b.siteGroup, b.screenName, b.ttlMs ?? d.enrolmentTokenTtlMs));
  });
  app.get('/api/enrolment-tokens', ops, async () => d.registry.tokens.list());
  app.delete('/api/enrolment-tokens/:id', ops, async (req) => {
    const { id } = parse(IdParams, req.params, 'path');
    if (!d.registry.tokens.get(id)) throw new ApiError('NOT_FOUND', 404, `no token ${id}`);
    d.registry.tokens.revoke(id, d.clock.now());
    d.log.info('enrolment token revoked', { id });
    return d.registry.tokens.get(id);
  });

  // --- devices ---
  const withLive = <T extends { id: string; online: boolean; lastSeenMs: number | null }>(row: T) => ({
    ...row,
    online: d.hub.isOnline(row.id),
    lastSeenMs: Math.max(row.lastSeenMs ?? 0, d.hub.lastSeenMs(row.id) ?? 0) || null,
  });
  app.get('/api/devices', ops, async (req) => {
    const q = parse(z.object({ group: z.string().optional() }), req.query, 'query');
    return d.registry.devices.list(q.group).map(withLive);
  });
  app.get('/api/devices/:id', ops, async (req) => {
    const row = device(parse(IdParams, req.params, 'path').id);
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
  app.post('/api/devices/:id/revoke', ops, async (req) => {
    const { id } = parse(IdParams, req.params, 'path');
    device(id);
    d.registry.devices.revoke(id, d.clock.now());
    d.hub.disconnect(id, 'device revoked');
    d.log.info('device revoked', { id });
    return withLive(device(id));
  });
  app.get('/api/devices/:id/health', ops, async (req) => {
    const { id } = parse(IdParams, req.params, 'path');
    device(id);
    const q = parse(HealthQuery, req.query, 'query');
    const to = q.to ?? d.clock.now() + 1;
    const from = q.from ?? to - 24 * 3600_000;
    return {
      deviceId: id,
      resolution: q.resolution,
      points: d.registry.health.history(id, from, to, q.resolution, q.limit),
    };
  });
  app.get('/api/devices/:id/events', ops, async (req) => {
    const { id } = parse(IdParams, req.params, 'path');
    device(id);
    const q = parse(PageQuery, req.query, 'query');
    return d.registry.ingest.listEvents(id, { afterSeq: q.after, limit: q.limit });
  });
  app.get('/api/devices/:id/pop', ops, async (req) => {
    const { id } = parse(IdParams, req.params, 'path');
    device(id);
    const q = parse(PageQuery, req.query, 'query');
    return d.registry.pop.list(id, { afterSeq: q.after, limit: q.limit });
  });

  app.get('/api/devices/:id/quarantine', ops, async (req) => {
    const { id } = parse(IdParams, req.params, 'path');
    device(id);
    return d.registry.ingest.listQuarantined(id);
  });

  // --- commands ---
  app.post('/api/devices/:id/commands', ops, async (req, reply) => {
    const { id } = parse(IdParams, req.params, 'path');
    const dev = device(id);
    if (dev.revokedAtMs !== null) throw new ApiError('DEVICE_REVOKED', 409, `device ${id} is revoked`);
    const b = parse(CommandBody, req.body, 'command');
    const now = d.clock.now();
    const cmd = d.registry.commands.create({
      id: `cmd-${randomBytes(8).toString('hex')}`,
      deviceId: id,
      name: b.name,
      args: b.args,
      issuedAtMs: now,
      expiresAtMs: now + (b.ttlMs ?? d.commandTtlMs),
    });
    d.log.info('command queued', {
      deviceId: id,
      commandId: cmd.id,
      name: cmd.name,
      online: d.hub.isOnline(id),
    });
    d.hub.deliverCommands(id);
    return reply.code(201).send(d.registry.commands.get(cmd.id));
  });
  app.get('/api/devices/:id/commands', ops, async (req) => {
    const { id } = parse(IdParams, req.params, 'path');
    device(id);
    return d.registry.commands.list(id);
  });
  app.get('/api/commands/:id', ops, async (req) => {
    const { id } = parse(IdParams, req.params, 'path');
    const cmd = d.registry.commands.get(id);
    if (!cmd) throw new ApiError('NOT_FOUND', 404, `no command ${id}`);
    return cmd;
  });
  app.get('/api/commands/:id/screenshot', ops, async (req, reply) => {
    const { id } = parse(IdParams, req.params, 'path');
    const png = d.registry.commands.screenshot(id);
    if (!png) throw new ApiError('NOT_FOUND', 404, `no screenshot for command ${id}`);
    return reply.type('image/png').send(png);
  });

  // --- updates and status ---
  app.post('/api/updates/notify', ops, async (req) => {
    const b = parse(NotifyBody, req.body ?? {}, 'notification');
    return { notified: d.hub.notifyUpdate(b.siteGroup, b.version) };
  });
  app.get('/api/status', ops, async () => ({
    ...d.hub.stats,
    online: d.hub.onlineCount(),
    serverTimeMs: d.clock.now(),
  }));
}
