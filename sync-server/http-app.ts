/**
 * The sync server's HTTP application: one Fastify instance that each component adds its routes to
 * (TUF repository and publishing API, device links, dashboard). main.ts builds it and listens.
 */
import Fastify, { type FastifyInstance } from 'fastify';

export interface HttpAppOptions {
  /** Largest JSON body accepted, in bytes (media uploads stream and have their own limit). */
  bodyLimitBytes?: number;
  /** Passed to Fastify; false (default) keeps tests quiet, main.ts passes its logger settings. */
  logger?: boolean;
}

export const DEFAULT_BODY_LIMIT_BYTES = 2 * 1024 * 1024;

export function createHttpApp(opts: HttpAppOptions = {}): FastifyInstance {
  return Fastify({
    logger: opts.logger ?? false,
    bodyLimit: opts.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
  });
}
