/**
 * The sync server's one HTTP(S) app (fastify). Each part registers its routes on it: the REST API,
 * enrolment, the TUF repository; the device WebSocket hub attaches to `app.server`'s upgrades.
 * Routes declare their params, query and body as zod schemas (validated by zodValidatorCompiler,
 * typed with `app.withTypeProvider<ZodTypeProvider>()`), and one error handler (errors.ts) answers
 * every error of every route in one shape.
 */
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { serializerCompiler } from 'fastify-type-provider-zod';
import { createLogger, type Logger } from '../../platform/log.js';
import { installErrorHandler, zodValidatorCompiler } from './errors.js';

export interface HttpAppOptions {
  /** PEM key and certificate: serve HTTPS (and so wss) instead of plain HTTP. */
  https?: { key: string | Buffer; cert: string | Buffer } | undefined;
  /** Largest JSON request body. */
  bodyLimitBytes?: number;
  /** Where faults behind a 500 answer are logged (default: the 'http' logger). */
  log?: Logger;
  /** The language a request asks its error messages in (see errors.ts, `messageIn`). */
  language?: (request: FastifyRequest) => string | undefined;
}

export function createHttpApp(options: HttpAppOptions = {}): FastifyInstance {
  const base = { logger: false, bodyLimit: options.bodyLimitBytes ?? 1024 * 1024 };
  // fastify's https typing differs from http's; both return the same instance shape we use.
  const app = (options.https
    ? Fastify({ ...base, https: options.https })
    : Fastify(base)) as unknown as FastifyInstance;
  installHttpConventions(app, options);
  return app;
}

/**
 * What every app serving our routes needs, on its root instance before any route: zod schemas as
 * the routes' validators (and serializers, for routes declaring a response), and the one error
 * handler (errors.ts).
 */
export function installHttpConventions(
  app: FastifyInstance,
  options: Pick<HttpAppOptions, 'log' | 'language'> = {},
): void {
  app.setValidatorCompiler(zodValidatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app, {
    log: options.log ?? createLogger('http'),
    ...(options.language && { language: options.language }),
  });
}
