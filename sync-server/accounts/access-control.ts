/**
 * Access control for every route of the sync server's HTTP API. Each route must declare
 * `config: { access: <action> | 'public' }`; a route without one fails at registration, so no route
 * can be reachable by accident. For a guarded route, an onRequest hook checks in this order:
 * a live session (401), the request's origin and CSRF token on mutating methods (403), and the
 * permission table for the user's role (403). Refusals are audited.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { GatecastError } from '../../protocol/errors.js';
import type { Logger } from '../../protocol/log.js';
import { parseCookies, sessionCookieName } from './cookies.js';
import { isAction, isAllowed, type Action } from './roles.js';
import { type AccountService, type Actor, type PublicUser, safeEqual } from './service.js';
import type { SessionRecord } from './store.js';

export type RouteAccess = Action | 'public';

/** What a guarded route's handler finds on `request.account`. */
export interface AccountContext extends Actor {
  user: PublicUser;
  session: SessionRecord;
  sessionIdHash: string;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call this route: an action from the permission table, or 'public'. */
    access?: RouteAccess;
  }
  interface FastifyRequest {
    account: AccountContext | null;
  }
}

export class UnguardedRouteError extends GatecastError {
  readonly code = 'ROUTE_UNGUARDED';
}
export const isUnguardedRouteError = (e: unknown): e is UnguardedRouteError =>
  e instanceof UnguardedRouteError;

export const CSRF_HEADER = 'x-csrf-token';
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface AccessControlOptions {
  service: AccountService;
  logger: Logger;
  /** Secure cookies: true, false, or 'auto' (when the request came over TLS, trustProxy honoured). */
  secureCookies: boolean | 'auto';
}

export function isSecureRequest(request: FastifyRequest, setting: boolean | 'auto'): boolean {
  return setting === 'auto' ? request.protocol === 'https' : setting;
}

/** The session cookie's token, under the name for this request's scheme. */
export function sessionToken(request: FastifyRequest, setting: boolean | 'auto'): string | undefined {
  return parseCookies(request.headers.cookie).get(sessionCookieName(isSecureRequest(request, setting)));
}

/**
 * A browser sends Origin (and Sec-Fetch-Site) on cross-site requests; refuse a mutating request
 * whose origin is not this host, whatever the cookie says.
 */
export function isCrossSite(request: FastifyRequest): boolean {
  if (request.headers['sec-fetch-site'] === 'cross-site') return true;
  const origin = request.headers.origin;
  if (!origin) return false;
  if (origin === 'null') return true;
  try {
    return new URL(origin).host !== request.headers.host;
  } catch {
    return true; // an unparseable origin is not ours
  }
}

function refuse(reply: FastifyReply, status: number, code: string, message: string): FastifyReply {
  return reply.code(status).header('cache-control', 'no-store').send({ error: { code, message } });
}

/**
 * Installs the guard on `app` (the root instance, before any route is registered). Also decorates
 * `request.account`.
 */
export function installAccessControl(app: FastifyInstance, options: AccessControlOptions): void {
  const { service, secureCookies } = options;
  const log = options.logger;
  app.decorateRequest('account', null);

  const guardFor =
    (action: Action): onRequestHookHandler =>
    async (request, reply) => {
      const token = sessionToken(request, secureCookies);
      const auth = service.authenticate(token);
      if (!auth) return refuse(reply, 401, 'AUTH_REQUIRED', 'sign in first');
      const actor: AccountContext = {
        user: auth.user,
        ip: request.ip,
        session: auth.session,
        sessionIdHash: auth.session.idHash,
      };
      const route = request.routeOptions.url ?? request.url;
      if (MUTATING.has(request.method)) {
        if (isCrossSite(request)) {
          service.audit(actor, 'access.denied', route, 'denied', {
            reason: 'cross-site',
            method: request.method,
          });
          return refuse(reply, 403, 'ORIGIN_REFUSED', 'cross-site request refused');
        }
        const sent = request.headers[CSRF_HEADER];
        if (typeof sent !== 'string' || !safeEqual(sent, auth.session.csrfToken)) {
          service.audit(actor, 'access.denied', route, 'denied', { reason: 'csrf', method: request.method });
          log.warn('csrf token missing or wrong', { user: auth.user.username, route, ip: request.ip });
          return refuse(reply, 403, 'CSRF_INVALID', `missing or wrong ${CSRF_HEADER} header`);
        }
      }
      if (!isAllowed(auth.user.role, action)) {
        service.audit(actor, 'access.denied', route, 'denied', {
          reason: 'role',
          role: auth.user.role,
          needs: action,
          method: request.method,
        });
        return refuse(reply, 403, 'FORBIDDEN', `role ${auth.user.role} may not ${action}`);
      }
      request.account = actor;
    };

  const publicGuard: onRequestHookHandler = async (request, reply) => {
    if (MUTATING.has(request.method) && isCrossSite(request))
      return refuse(reply, 403, 'ORIGIN_REFUSED', 'cross-site request refused');
  };

  app.addHook('onRoute', (route) => {
    const access = route.config?.access;
    if (access !== 'public' && !isAction(access))
      throw new UnguardedRouteError(
        `route ${String(route.method)} ${route.url} declares no valid config.access (an action or 'public')`,
      );
    const guard = access === 'public' ? publicGuard : guardFor(access);
    const existing = route.onRequest
      ? Array.isArray(route.onRequest)
        ? route.onRequest
        : [route.onRequest]
      : [];
    route.onRequest = [guard, ...existing];
  });
}
