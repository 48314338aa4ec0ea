/**
 * The sync server's route table: every HTTP route declares who may call it where it is registered
 * (`config: { access }`), and one guard authorises each request by the route fastify MATCHED —
 * after the router has decoded and normalised the path — never by the URL text. So
 * `/%61pi/devices`, `//api/devices` or `/api/./devices` either match no route (404) or match the
 * route whose guard then runs; there is no second, string-based opinion about which route a URL is.
 *
 * Deny by default: a route without a declared access, or with an access kind this server has no
 * guard for, stops the server at start (`UnguardedRouteError`); a request that somehow reaches such a
 * route is refused.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { coded } from '../../protocol/errors.js';
import { type Action, isAction } from './roles.js';

/**
 * Who may call a route:
 * - an action of the permission table (accounts/roles.ts): a signed-in session whose role allows it
 *   (plus CSRF and origin checks on mutating methods);
 * - `'public'`: anyone (login, enrolment with its one-time token, signed TUF files, health, pages
 *   that check the session themselves);
 * - `'ops-token'`: machines holding the ops bearer token (`opsToken` in the server config);
 * - `'metrics-token'`: the Prometheus scraper's bearer token (`metricsToken`).
 */
export type RouteAccess = Action | 'public' | 'ops-token' | 'metrics-token';

const KINDS = new Set(['public', 'ops-token', 'metrics-token']);
export function isRouteAccess(v: unknown): v is RouteAccess {
  return (typeof v === 'string' && KINDS.has(v)) || isAction(v);
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call this route (see RouteAccess). */
    access?: RouteAccess;
  }
}

export class UnguardedRouteError extends coded('ROUTE_UNGUARDED') {}
export const isUnguardedRouteError = (e: unknown): e is UnguardedRouteError =>
  e instanceof UnguardedRouteError;

/** A guard answers the request (and so refuses it) or returns without answering (let through). */
export type Guard = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown> | unknown;

/** The guards a server installs; an access kind without its guard cannot be declared. */
export interface RouteGuards {
  public: Guard;
  session?: (action: Action) => Guard;
  'ops-token'?: Guard;
  'metrics-token'?: Guard;
}

/** One route as registered, with its declared access. */
export interface RouteInfo {
  method: string;
  url: string;
  access: RouteAccess;
}

export interface InstalledRouteAccess {
  /** Every route registered so far (HEAD routes included), in registration order. */
  routes(): RouteInfo[];
}

function refuse(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).header('cache-control', 'no-store').send({ error: { code, message } });
}

/**
 * Installs the guard on the root app, before any route is registered. A plugin may declare the
 * access of all of its routes in its own onRoute hook (the TUF file server does: @fastify/static
 * takes no route config); the declaration is read when the server becomes ready.
 */
export function installRouteAccess(app: FastifyInstance, guards: RouteGuards): InstalledRouteAccess {
  const registered: { method: string; url: string; config: { access?: unknown } }[] = [];
  const sessionGuards = new Map<Action, Guard>();

  const guardOf = (access: unknown): Guard | undefined => {
    if (access === 'public') return guards.public;
    if (access === 'ops-token') return guards['ops-token'];
    if (access === 'metrics-token') return guards['metrics-token'];
    if (isAction(access) && guards.session) {
      let g = sessionGuards.get(access);
      if (!g) sessionGuards.set(access, (g = guards.session(access)));
      return g;
    }
    return undefined;
  };

  app.addHook('onRoute', (route: RouteOptions) => {
    route.config ??= {};
    for (const method of [route.method].flat())
      registered.push({ method, url: route.url, config: route.config as { access?: unknown } });
  });

  app.addHook('onReady', async () => {
    const bad = registered.filter((r) => !guardOf(r.config.access));
    if (bad.length)
      throw new UnguardedRouteError(
        `routes declare no access this server can check (config.access: an action, 'public', 'ops-token' or 'metrics-token'): ${bad
          .map((r) => `${r.method} ${r.url} (${String(r.config.access)})`)
          .join(', ')}`,
      );
  });

  app.addHook('onRequest', async (request, reply) => {
    // No route matched: the not-found handler answers and nothing is served.
    if (request.is404) return;
    const guard = guardOf(request.routeOptions.config.access);
    if (!guard) return refuse(reply, 403, 'ROUTE_UNGUARDED', 'this route declares no access');
    return guard(request, reply);
  });

  return {
    routes: () =>
      registered.map((r) => ({ method: r.method, url: r.url, access: r.config.access as RouteAccess })),
  };
}

/** Constant-time check of `Authorization: Bearer <token>`. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const got = Buffer.from(header ?? '');
  const expected = Buffer.from(`Bearer ${token}`);
  return got.length === expected.length && timingSafeEqual(got, expected);
}

/** A guard that asks for `Authorization: Bearer <token>` (401 otherwise). */
export function bearerGuard(
  token: string,
  what: string,
  onRefused?: (request: FastifyRequest) => void,
): Guard {
  return async (request, reply) => {
    if (bearerMatches(request.headers.authorization, token)) return;
    onRefused?.(request);
    return reply
      .code(401)
      .header('cache-control', 'no-store')
      .send({ error: { code: 'UNAUTHORISED', message: `missing or wrong ${what} bearer token` } });
  };
}

/**
 * A route's options: who may call it, and what it does (the OpenAPI document's summary), with its
 * zod schemas (params, querystring, body) that validate and type the request.
 */
export function routeOptions<S extends object = object>(
  access: RouteAccess,
  summary: string,
  schema?: S,
): { config: { access: RouteAccess }; schema: { summary: string } & S } {
  return { config: { access }, schema: { summary, ...(schema as S) } };
}
