/**
 * The publishing API (see protocol/publish-api.ts for the routes): authors create drafts and upload
 * media, approvers fetch the payload and post signatures, and a draft is published once the
 * threshold is met. One set of routes, two ways in (`auth`):
 *
 * - `{ session: { accounts } }` — the sync server: register inside the scope guarded by
 *   installAccessControl (accounts/access-control.ts). Each route declares its action: reads
 *   `content.view`; create, upload and discard `draft.submit`; signatures and publish
 *   `draft.approve` (putting a bundle on air is the approvers' act, so an author cannot publish
 *   alone and an admin, who may not approve, cannot either). The account is recorded on the draft
 *   (createdBy, signatures[].by) and every mutation is audited. A signature counts only with a key
 *   registered to the signing account (DraftService, keyRefusal).
 * - `{ bearer: token }` — the standalone `gatecast repo serve`, which has no accounts: every route
 *   needs `Authorization: Bearer <token>`; nothing is recorded about who acted, and signatures are
 *   judged by their key alone (no accounts, so no key registry: unchanged on purpose).
 */
import { timingSafeEqual } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { isGatecastError, type Problem } from '../../protocol/errors.js';
import { CreateDraftRequest, PUBLISH_API_PREFIX, SignatureUpload } from '../../protocol/publish-api.js';
import { zodProblems } from '../../protocol/validate.js';
import type { AccountContext, RouteAccess } from '../accounts/access-control.js';
import type { Action } from '../web/roles.js';
import type { AccountService } from '../accounts/service.js';
import type { DraftActor, DraftService } from '../tuf/drafts.js';
import type { TufRepository } from '../tuf/repository.js';

/** How callers prove who they are (see the file comment). */
export type PublishAuth = { bearer: string } | { session: { accounts: Pick<AccountService, 'audit'> } };

export interface PublishRoutesOptions {
  repo: TufRepository;
  drafts: DraftService;
  auth: PublishAuth;
  prefix?: string;
}

/** The action each publishing route needs in session mode (the permission table is accounts/roles.ts). */
export const PUBLISH_ACCESS = {
  read: 'content.view',
  create: 'draft.submit',
  upload: 'draft.submit',
  discard: 'draft.submit',
  sign: 'draft.approve',
  publish: 'draft.approve',
} as const satisfies Record<string, Action>;

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
  // Two-person rule on signatures (drafts.ts): the creator may not sign, nor anyone twice.
  SIGNER_IS_CREATOR: 409,
  SIGNER_REPEATED: 409,
  NOT_DRAFT_OWNER: 403,
  // The key is not the signing account's (accounts/ key registry).
  KEY_NOT_REGISTERED: 403,
  DRAFT_PAYLOAD_CHANGED: 409,
  EMERGENCY_DRAFT_EXPIRED: 409,
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

/** The action's route config; ignored in bearer mode, where no access control is installed. */
const access = (action: Action) => ({ config: { access: action as RouteAccess } });

export const publishRoutes: FastifyPluginAsync<PublishRoutesOptions> = async (app: FastifyInstance, opts) => {
  const bearer = 'bearer' in opts.auth ? opts.auth.bearer : undefined;
  const session = 'session' in opts.auth ? opts.auth.session : undefined;
  if (bearer !== undefined && bearer.length < 16)
    throw new Error('publish API token must be at least 16 characters');
  // Session mode relies on the enclosing scope's guard; without it every route would be open.
  if (session && !app.hasRequestDecorator('account'))
    throw new Error('the publishing API in session mode must be registered inside installAccessControl');
  const prefix = opts.prefix ?? PUBLISH_API_PREFIX;
  const { drafts, repo } = opts;

  const accountOf = (req: FastifyRequest): AccountContext | undefined => {
    if (!session) return undefined;
    if (!req.account) throw new Error('publishing route reached without an account');
    return req.account;
  };
  const actorOf = (req: FastifyRequest): DraftActor | undefined => {
    const a = accountOf(req);
    return a ? { username: a.user.username, role: a.user.role } : undefined;
  };

  /** Runs a mutation and, with accounts, audits it under the caller's name (failures too, with their code). */
  async function audited<T>(
    req: FastifyRequest,
    action: string,
    target: string | null,
    run: () => Promise<T>,
    details: (result: T) => Record<string, unknown> = () => ({}),
  ): Promise<T> {
    const account = accountOf(req);
    if (!account || !session) return run();
    try {
      const result = await run();
      session.accounts.audit(account, action, target, 'ok', details(result));
      return result;
    } catch (err) {
      const code = isGatecastError(err) || err instanceof RequestError ? err.code : 'INTERNAL';
      session.accounts.audit(account, action, target, 'failed', { code, message: (err as Error).message });
      throw err;
    }
  }

  await app.register(
    async (api) => {
      // Media uploads arrive as a raw stream; DraftService enforces the declared length itself.
      api.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload));

      if (bearer !== undefined)
        api.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
          if (!tokenMatches(req.headers.authorization, bearer))
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

      api.get('/site-groups', access(PUBLISH_ACCESS.read), async () => repo.siteGroups());

      api.post('/drafts', access(PUBLISH_ACCESS.create), async (req, reply) => {
        const view = await audited(
          req,
          'draft.create',
          null,
          () => drafts.create(parseBody(CreateDraftRequest, req.body), actorOf(req)),
          (d) => ({ id: d.id, siteGroup: d.siteGroup, version: d.version, files: d.files.length }),
        );
        return reply.code(201).send(view);
      });

      api.get('/drafts', access(PUBLISH_ACCESS.read), async () => drafts.list());

      api.get<{ Params: { id: string } }>('/drafts/:id', access(PUBLISH_ACCESS.read), async (req) =>
        drafts.get(req.params.id),
      );

      api.get<{ Params: { id: string } }>(
        '/drafts/:id/manifest',
        access(PUBLISH_ACCESS.read),
        async (req, reply) => reply.type('application/json').send(await drafts.manifest(req.params.id)),
      );

      api.get<{ Params: { id: string } }>('/drafts/:id/diff', access(PUBLISH_ACCESS.read), async (req) => ({
        diff: (await drafts.diff(req.params.id)) ?? null,
      }));

      api.put<{ Params: { id: string; '*': string } }>(
        '/drafts/:id/files/*',
        access(PUBLISH_ACCESS.upload),
        async (req) =>
          audited(
            req,
            'draft.upload',
            req.params.id,
            async () => {
              if (!req.headers['content-type']?.startsWith('application/octet-stream'))
                throw new RequestError('media uploads must be application/octet-stream', []);
              return drafts.upload(req.params.id, req.params['*'], req.body as Readable);
            },
            (r) => ({ path: r.path, length: r.length }),
          ),
      );

      api.post<{ Params: { id: string } }>(
        '/drafts/:id/signatures',
        access(PUBLISH_ACCESS.sign),
        async (req) => {
          const sig = parseBody(SignatureUpload, req.body);
          return audited(
            req,
            'draft.sign',
            req.params.id,
            () => drafts.addSignature(req.params.id, sig, actorOf(req)),
            (d) => ({ keyid: sig.keyid, signatures: d.signedBy.length, threshold: d.threshold }),
          );
        },
      );

      api.delete<{ Params: { id: string } }>(
        '/drafts/:id',
        access(PUBLISH_ACCESS.discard),
        async (req, reply) => {
          await audited(req, 'draft.discard', req.params.id, () =>
            drafts.discard(req.params.id, actorOf(req)),
          );
          return reply.code(204).send();
        },
      );

      api.post<{ Params: { id: string } }>(
        '/drafts/:id/publish',
        access(PUBLISH_ACCESS.publish),
        async (req) =>
          audited(
            req,
            'draft.publish',
            req.params.id,
            () => drafts.publish(req.params.id),
            (r) => ({ siteGroup: r.siteGroup, version: r.version, targets: r.targets }),
          ),
      );
    },
    { prefix },
  );
};
