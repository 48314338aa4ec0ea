/**
 * The publishing API (see protocol/publish-api.ts for the routes): authors create drafts and upload
 * media, approvers fetch the payload and post signatures, and the signature that meets the threshold
 * publishes the draft (DraftService.sign, the same rule as the dashboard's). One set of routes, two ways in (`auth`):
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
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod, ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { isGatecastError } from '../../protocol/errors.js';
import {
  CreateDraftRequest,
  PUBLISH_API_PREFIX,
  RejectDraftRequest,
  RestoreDraftRequest,
  ResubmitDraftRequest,
  SignatureUpload,
} from '../../protocol/publish-api.js';
import type { AccountContext } from '../accounts/access-control.js';
import { ForbiddenError, RequestInvalidError } from '../web/errors.js';
import { routeOptions } from '../web/route-access.js';
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
  reject: 'draft.approve',
  /** Its author: DraftService.resubmit asks draft.submit, or emergency.create for an emergency. */
  resubmit: 'content.view',
} as const satisfies Record<string, Action>;

function tokenMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer (.+)$/.exec(header ?? '');
  if (!m) return false;
  const a = Buffer.from(m[1] as string);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

const DraftParams = z.object({ id: z.string().min(1).max(200) });

export const publishRoutes: FastifyPluginAsyncZod<PublishRoutesOptions> = async (app, opts) => {
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
    return a ? { username: a.user.username, role: a.user.role, roles: a.user.roles } : undefined;
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
      const code = isGatecastError(err) ? err.code : 'INTERNAL';
      session.accounts.audit(account, action, target, 'failed', { code, message: (err as Error).message });
      throw err;
    }
  }

  await app.register(
    async (scope) => {
      const api = scope.withTypeProvider<ZodTypeProvider>();
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

      api.setNotFoundHandler((req, reply) =>
        reply
          .code(404)
          .send({ error: { code: 'NOT_FOUND', message: `no such route: ${req.method} ${req.url}` } }),
      );

      // The action's route config is ignored in bearer mode, where no access control is installed.
      api.get('/site-groups', routeOptions(PUBLISH_ACCESS.read, 'Site groups a draft can be for'), async () =>
        repo.siteGroups(),
      );

      api.post(
        '/drafts',
        {
          ...routeOptions(PUBLISH_ACCESS.create, 'Create a draft from a manifest and its file list', {
            body: CreateDraftRequest,
          }),
          // A malformed request is refused inside `audited`, so that it is audited too.
          attachValidation: true,
        },
        async (req, reply) => {
          const view = await audited(
            req,
            'draft.create',
            null,
            async () => {
              if (req.validationError) throw req.validationError;
              return drafts.create(req.body, actorOf(req));
            },
            (d) => ({ id: d.id, siteGroup: d.siteGroup, version: d.version, files: d.files.length }),
          );
          return reply.code(201).send(view);
        },
      );

      api.post(
        '/drafts/restore',
        {
          ...routeOptions(PUBLISH_ACCESS.create, "Create a draft whose content is a published version's", {
            body: RestoreDraftRequest,
          }),
          attachValidation: true,
        },
        async (req, reply) => {
          const view = await audited(
            req,
            'draft.restore',
            null,
            async () => {
              if (req.validationError) throw req.validationError;
              return drafts.restore(req.body, actorOf(req));
            },
            (d) => ({ id: d.id, siteGroup: d.siteGroup, version: d.version, restored: req.body.version }),
          );
          return reply.code(201).send(view);
        },
      );

      api.get('/drafts', routeOptions(PUBLISH_ACCESS.read, 'List the drafts'), async () => drafts.list());

      api.get(
        '/drafts/:id',
        routeOptions(PUBLISH_ACCESS.read, 'One draft', { params: DraftParams }),
        async (req) => drafts.get(req.params.id),
      );

      api.get(
        '/drafts/:id/manifest',
        routeOptions(PUBLISH_ACCESS.read, 'A draft’s manifest bytes (what approvers sign)', {
          params: DraftParams,
        }),
        async (req, reply) => reply.type('application/json').send(await drafts.manifest(req.params.id)),
      );

      api.get(
        '/drafts/:id/diff',
        routeOptions(PUBLISH_ACCESS.read, 'A draft’s manifest diff against the version on air', {
          params: DraftParams,
        }),
        async (req) => ({ diff: (await drafts.diff(req.params.id)) ?? null }),
      );

      api.put(
        '/drafts/:id/files/*',
        routeOptions(PUBLISH_ACCESS.upload, 'Upload one media file of a draft (raw bytes)', {
          params: DraftParams.extend({ '*': z.string().min(1) }),
        }),
        async (req) =>
          audited(
            req,
            'draft.upload',
            req.params.id,
            async () => {
              if (!req.headers['content-type']?.startsWith('application/octet-stream'))
                throw new RequestInvalidError('media uploads must be application/octet-stream');
              return drafts.upload(req.params.id, req.params['*'], req.body as Readable);
            },
            (r) => ({ path: r.path, length: r.length }),
          ),
      );

      api.post(
        '/drafts/:id/signatures',
        routeOptions(
          PUBLISH_ACCESS.sign,
          'Add an approver’s signature to a draft; publishes it at the threshold',
          {
            params: DraftParams,
            body: SignatureUpload,
          },
        ),
        async (req) => {
          const sig = req.body;
          return audited(
            req,
            'draft.sign',
            req.params.id,
            async () => {
              const out = await drafts.sign(req.params.id, sig, actorOf(req));
              const account = accountOf(req);
              if (out.published && account && session)
                session.accounts.audit(account, 'draft.publish', req.params.id, 'ok', {
                  siteGroup: out.published.siteGroup,
                  version: out.published.version,
                });
              return out;
            },
            (d) => ({
              keyid: sig.keyid,
              signatures: d.signedBy.length,
              threshold: d.threshold,
              published: d.published !== null,
            }),
          );
        },
      );

      api.post(
        '/drafts/:id/reject',
        {
          ...routeOptions(PUBLISH_ACCESS.reject, 'Send a draft back to its author with a comment', {
            params: DraftParams,
            body: RejectDraftRequest,
          }),
          attachValidation: true,
        },
        async (req) =>
          audited(
            req,
            'draft.reject',
            req.params.id,
            async () => {
              if (req.validationError) throw req.validationError;
              const by = actorOf(req);
              // A rejection is recorded under the approver's name: there is none behind a bearer token.
              if (!by)
                throw new ForbiddenError(
                  'a rejection names the approver who sends the draft back: reject through a sync server account',
                );
              return drafts.reject(req.params.id, req.body.comment, by);
            },
            (d) => ({ siteGroup: d.siteGroup, comment: d.rejections.at(-1)?.comment }),
          ),
      );

      api.post(
        '/drafts/:id/resubmit',
        {
          ...routeOptions(PUBLISH_ACCESS.resubmit, 'The author sends a rejected draft back for approval', {
            params: DraftParams,
            body: ResubmitDraftRequest,
          }),
          attachValidation: true,
        },
        async (req) =>
          audited(
            req,
            'draft.resubmit',
            req.params.id,
            async () => {
              if (req.validationError) throw req.validationError;
              return drafts.resubmit(req.params.id, actorOf(req), req.body.note);
            },
            (d) => ({ siteGroup: d.siteGroup }),
          ),
      );

      api.delete(
        '/drafts/:id',
        routeOptions(PUBLISH_ACCESS.discard, 'Discard an open draft', { params: DraftParams }),
        async (req, reply) => {
          await audited(req, 'draft.discard', req.params.id, () =>
            drafts.discard(req.params.id, actorOf(req)),
          );
          return reply.code(204).send();
        },
      );

      api.post(
        '/drafts/:id/publish',
        routeOptions(PUBLISH_ACCESS.publish, 'Publish a draft that has met its threshold', {
          params: DraftParams,
        }),
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
