/**
 * The sync server's one HTTP(S) app (fastify). Each part registers its routes on it: the REST API,
 * enrolment, the TUF repository; the device WebSocket hub attaches to `app.server`'s upgrades.
 */
import Fastify, { type FastifyInstance } from 'fastify';

export interface HttpAppOptions {
  /** PEM key and certificate: serve HTTPS (and so wss) instead of plain HTTP. */
  https?: { key: string | Buffer; cert: string | Buffer } | undefined;
  /** Largest JSON request body. */
  bodyLimitBytes?: number;
}

export function createHttpApp(options: HttpAppOptions = {}): FastifyInstance {
  const base = { logger: false, bodyLimit: options.bodyLimitBytes ?? 1024 * 1024 };
  // fastify's https typing differs from http's; both return the same instance shape we use.
  return (options.https
    ? Fastify({ ...base, https: options.https })
    : Fastify(base)) as unknown as FastifyInstance;
}
