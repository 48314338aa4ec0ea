/**
 * The publishing API (see protocol/publish-api.ts for the routes): authors create drafts and upload
 * media, approvers fetch the payload and post signatures, and a draft is published once the
 * threshold is met. Until accounts exist, every route requires one bearer token from the server
 * config.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { isGatecastError, type Problem } from '../../protocol/errors.js';
import { CreateDraftRequest, PUBLISH_API_PREFIX, SignatureUpload } from '../../protocol/publish-api.js';
import { zodProblems } from '../../protocol/validate.js';
import type { DraftService } from './drafts.js';
import type { TufRepository } from './repository.js';

export interface PublishRoutesOptions {
  repo: TufRepository;
  drafts: DraftService;
  /** Shared secret for `Authorization: Bearer <token>`; at least 16 characters. */
  authorToken: string;
  prefix?: string;
}

const STATUS_BY_CODE: Record<string, number> = {
  REQUEST_INVALID: 400,
  CONTENT_INVALID: 400,
  DRAFT_INVALID: 400,
  SIGNATURE_REJECTED: 400,
  SIGNING_PAYLOAD_INVALID: 400,
  UNAUTHORIZED: 401,
  DRAFT_NOT_FOUND: 404,
  DRAFT_STATE: 409,
  THRESHOLD_NOT_MET: 409,
  TUF_REPO: 409,
};

class RequestError extends Error {
  readonly code = 'REQUEST_INVALID';
  constructor(
    message: string,
    readonly problems: Problem[],
  ) {
    super(message);
  }
}

function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const r = schema.safeParse(body);
  if (!r.success) throw new RequestError('request body is invalid', zodProblems(r.error));
  return r.data;
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer (.+)$/.exec(header ?? '');
  if (!m) return false;
  const a = Buffer.from(m[1] as string);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

export const publishRoutes: FastifyPluginAsync<PublishRoutesOptions> = async (app: FastifyInstance, opts) => {
  if (opts.authorToken.length < 16) throw new Error('publish API token must be at least 16 characters');
  const prefix = opts.prefix ?? PUBLISH_API_PREFIX;
  const { drafts, repo } = opts;

  await app.register(
    async (api) => {
      // Media uploads arrive as a raw stream; DraftService enforces the declared length itself.
      api.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload));

      api.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
        if (!tokenMatches(req.headers.authorization, opts.authorToken))
          return reply.code(401).send({
            error: {
              code: 'UNAUTHORIZED',
              message: 'missing or wrong bearer token for the publishing API',
            },
          });
      });

      api.setErrorHandler((err, _req, reply) => {
        const e = err as Error & { code?: string; problems?: Problem[]; statusCode?: number };
        if (isGatecastError(e) || e instanceof RequestError) {
          const status = STATUS_BY_CODE[e.code] ?? 400;
          const problems = (err as { problems?: Problem[] }).problems;
          return reply.code(status).send({
            error: { code: e.code, message: e.message, ...(problems?.length ? { problems } : {}) },
          });
        }
        if (e.statusCode && e.statusCode < 500)
          return reply.code(e.statusCode).send({ error: { code: 'REQUEST_INVALID', message: e.message } });
        app.log.error(e);
        return reply.code(500).send({ error: { code: 'INTERNAL', message: 'internal error' } });
      });

      api.setNotFoundHandler((req, reply) =>
        reply
          .code(404)
          .send({ error: { code: 'NOT_FOUND', message: `no such route: ${req.method} ${req.url}` } }),
      );

      api.get('/site-groups', async () => repo.siteGroups());

      api.post('/drafts', async (req, reply) => {
        const body = parseBody(CreateDraftRequest, req.body);
        return reply.code(201).send(await drafts.create(body));
      });

      api.get('/drafts', async () => drafts.list());

      api.get<{ Params: { id: string } }>('/drafts/:id', async (req) => drafts.get(req.params.id));

      api.get<{ Params: { id: string } }>('/drafts/:id/manifest', async (req, reply) =>
        reply.type('application/json').send(await drafts.manifest(req.params.id)),
      );

      api.put<{ Params: { id: string; '*': string } }>('/drafts/:id/files/*', async (req) => {
        if (!req.headers['content-type']?.startsWith('application/octet-stream'))
          throw new RequestError('media uploads must be application/octet-stream', []);
        return drafts.upload(req.params.id, req.params['*'], req.body as Readable);
      });

      api.post<{ Params: { id: string } }>('/drafts/:id/signatures', async (req) =>
        drafts.addSignature(req.params.id, parseBody(SignatureUpload, req.body)),
      );

      api.delete<{ Params: { id: string } }>('/drafts/:id', async (req, reply) => {
        await drafts.discard(req.params.id);
        return reply.code(204).send();
      });

      api.post<{ Params: { id: string } }>('/drafts/:id/publish', async (req) =>
        drafts.publish(req.params.id),
      );
    },
    { prefix },
  );
};
