/**
 * The session guards of the route table (web/route-access.ts). A route declaring an action is
 * checked in this order: a live session (401), the request's origin and CSRF token on mutating
 * methods (403), and the permission table for the user's role (403). Refusals are audited. A
 * 'public' route only refuses cross-site mutating requests.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import {
  type Guard,
  installRouteAccess,
  type InstalledRouteAccess,
  type RouteGuards,
} from '../web/route-access.js';
import type { Logger } from '../../platform/log.js';
import { isSecureRequest, parseCookies, sessionCookieName } from '../web/cookies.js';
import { isAllowed, type Action } from '../web/roles.js';
import { type AccountService, type Actor, type PublicUser, safeEqual } from './service.js';
import type { SessionRecord } from './store.js';

export type { RouteAccess } from '../web/route-access.js';
export { UnguardedRouteError, isUnguardedRouteError } from '../web/route-access.js';

/** What a guarded route's handler finds on `request.account`. */
export interface AccountContext extends Actor {
  user: PublicUser;
  session: SessionRecord;
  sessionIdHash: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    account: AccountContext | null;
  }
}

export const CSRF_HEADER = 'x-csrf-token';
const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

export interface AccessControlOptions {
  service: AccountService;
  logger: Logger;
  /** Secure cookies: true, false, or 'auto' (when the request came over TLS, trustProxy honoured). */
  secureCookies: boolean | 'auto';
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
 * The guards for session routes (an action) and public routes, to install with installRouteAccess
 * (web/route-access.ts) together with any other kind the server has. Also decorates
 * `request.account` on `app`.
 */
export function accessControlGuards(app: FastifyInstance, options: AccessControlOptions): RouteGuards {
  const { service, secureCookies } = options;
  const log = options.logger;
  app.decorateRequest('account', null);

  const session =
    (action: Action): Guard =>
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
      if (!isAllowed(auth.user.roles, action)) {
        service.audit(actor, 'access.denied', route, 'denied', {
          reason: 'role',
          role: auth.user.role,
          roles: auth.user.roles,
          needs: action,
          method: request.method,
        });
        return refuse(reply, 403, 'FORBIDDEN', `role ${auth.user.roles.join('+')} may not ${action}`);
      }
      request.account = actor;
    };

  const publicGuard: Guard = async (request, reply) => {
    if (MUTATING.has(request.method) && isCrossSite(request))
      return refuse(reply, 403, 'ORIGIN_REFUSED', 'cross-site request refused');
  };

  return { public: publicGuard, session };
}

/**
 * Installs the route guard on `app` (the root instance, before any route is registered) with the
 * session and public guards only: every route must declare an action or 'public'.
 */
export function installAccessControl(
  app: FastifyInstance,
  options: AccessControlOptions,
): InstalledRouteAccess {
  return installRouteAccess(app, accessControlGuards(app, options));
}
