/**
 * The authoring API, registered inside the access-controlled scope (every route declares its
 * action; mutating routes need the session's CSRF token). The site group contains "/", so it
 * travels as a query parameter.
 *
 *   GET  /api/content/site-groups                          site groups with their gate (content.view)
 *   GET  /api/content/workspace?siteGroup=                 WorkspaceView (content.view)
 *   PUT  /api/content/workspace?siteGroup=  {revision, manifest}
 *        → WorkspaceView | 400 {problems} | 409 WORKSPACE_STALE (content.edit); the first save
 *        records `basedOnVersion` (the version on air it was made from)
 *   POST /api/content/workspace/rebase?siteGroup=  {revision, resolutions?}
 *        → {workspace, difference} | 409 REBASE_CONFLICT {difference, unresolved} (content.edit)
 *   POST /api/content/media?siteGroup=&name=   raw bytes (application/octet-stream)
 *        → 201 {path, length, sha256, contentType} | 400 | 413 (content.edit)
 *   GET  /api/content/media?path=                          the bytes, as a sandboxed download (content.view)
 *   GET  /api/content/media/view?path=                     an image/video (by its bytes) inline, sandboxed;
 *                                                          anything else → 415 MEDIA_NOT_VIEWABLE (content.view)
 *   POST /api/content/preview {siteGroup, manifest, from?, hours?} → PreviewResult (content.view)
 *   POST /api/content/submit?siteGroup=  {revision?}       → 201 {draft, link} | 409 DRAFT_BASE_STALE
 *        {difference} when the workspace was made from a version no longer on air (draft.submit);
 *        `ticket` (optional) names the submission for its progress:
 *   GET  /api/content/submit/progress?ticket=              → {submission} | 404: each media file waiting,
 *        checked, normalised (progress 0..1), done (what it was → what it became) or refused (draft.submit)
 * Errors: `{ error: { code, message, problems? } }` (web/errors.ts). Every mutation is audited.
 */
import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SiteGroupId } from '../../protocol/content.js';
import { MAX_DRAFT_NOTE_CHARS } from '../../protocol/publish-api.js';
import { isGatecastError } from '../../protocol/errors.js';
import type { Logger } from '../../platform/log.js';
import type { AccountService, Actor } from '../accounts/service.js';
import type { AccountContext } from '../accounts/access-control.js';
import { routeOptions } from '../web/route-access.js';
import { inlineMediaHeaders, sendAsDownload } from '../web/untrusted-bytes.js';
import { MediaNotViewableError, MediaRejectedError } from './errors.js';
import { NotFoundError } from '../web/errors.js';
import { MAX_PREVIEW_HOURS, type ContentService } from './service.js';
import { SUBMIT_TICKET } from './submit-progress.js';

export interface ContentRoutesOptions {
  content: ContentService;
  accounts: Pick<AccountService, 'audit'>;
  /** Upper bound of one media upload (also enforced while streaming). */
  mediaMaxBytes: number;
  clock: { now(): number };
  log: Logger;
}

const SiteGroupQuery = z.object({ siteGroup: SiteGroupId });
const SaveBody = z.object({
  revision: z.number().int().min(0),
  manifest: z.record(z.string(), z.unknown()),
  /** The version on air the page loaded the workspace from (recorded by the first save). */
  basedOnVersion: z.number().int().min(0).optional(),
});
const RebaseBody = z.object({
  revision: z.number().int().min(1),
  /** The author's choice for each entry changed on both sides, by `section:id`. */
  resolutions: z.record(z.string().max(200), z.enum(['mine', 'theirs'])).default({}),
});
const PreviewBody = z.object({
  siteGroup: SiteGroupId,
  manifest: z.unknown(),
  from: z.number().finite().optional(),
  hours: z.number().int().min(1).max(MAX_PREVIEW_HOURS).optional(),
});
const SubmitBody = z
  .object({
    revision: z.number().int().min(1).optional(),
    /** The author's note to the approvers. */
    note: z.string().max(MAX_DRAFT_NOTE_CHARS).optional(),
    /** The page's name for the submission, to poll its media's progress. */
    ticket: z.string().regex(SUBMIT_TICKET).optional(),
  })
  .nullish();
const ProgressQuery = z.object({ ticket: z.string().regex(SUBMIT_TICKET) });
const MediaQuery = z.object({ siteGroup: SiteGroupId, name: z.string().min(1).max(300) });
const MediaPathQuery = z.object({ path: z.string().min(1).max(512) });

const MANIFEST_BODY_LIMIT = 6 * 1024 * 1024;

/** A media file's bytes as the answer (the browser may keep them five minutes). */
function sendMedia(reply: FastifyReply, m: { length: number; stream: Readable }): FastifyReply {
  return reply
    .header('cache-control', 'private, max-age=300')
    .header('content-length', String(m.length))
    .send(m.stream);
}

/** Who acts on a site group's workspace (a signed-in account), and as whom the content service records it. */
function workspaceAuthor(request: { account: AccountContext | null; query: { siteGroup: string } }) {
  const actor = request.account!;
  return {
    actor,
    siteGroup: request.query.siteGroup,
    by: { username: actor.user.username, role: actor.user.role, roles: actor.user.roles },
  };
}

/** What the audit log records when a mutation is refused. */
interface Refusal {
  actor: Actor;
  action: string;
  target: string;
  outcome: 'failed' | 'denied';
  /** Beside the error's code. */
  details?: Record<string, unknown>;
  /** What else the refusal's answer needs, by the error's code. */
  onRefused?: (code: string) => void;
}

export const contentRoutes: FastifyPluginAsyncZod<ContentRoutesOptions> = async (app, o) => {
  const { content, accounts } = o;

  /** Runs a mutation; when it is refused with a named error, the audit log records it, then the error answers. */
  async function auditRefusal<T>(r: Refusal, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (err) {
      if (isGatecastError(err)) {
        accounts.audit(r.actor, r.action, r.target, r.outcome, { code: err.code, ...r.details });
        r.onRefused?.(err.code);
      }
      throw err;
    }
  }
  if (!app.hasContentTypeParser('application/octet-stream'))
    app.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload));

  app.get(
    '/api/content/site-groups',
    routeOptions('content.view', 'Site groups with their gate'),
    async (_request, reply) =>
      reply.header('cache-control', 'no-store').send({ siteGroups: content.siteGroups() }),
  );

  app.get(
    '/api/content/workspace',
    routeOptions('content.view', 'A site group’s workspace', { querystring: SiteGroupQuery }),
    async (request, reply) =>
      reply.header('cache-control', 'no-store').send(await content.workspace(request.query.siteGroup)),
  );

  app.put(
    '/api/content/workspace',
    {
      ...routeOptions('content.edit', 'Save a workspace at its current revision', {
        querystring: SiteGroupQuery,
        body: SaveBody,
      }),
      bodyLimit: MANIFEST_BODY_LIMIT,
    },
    async (request, reply) => {
      const { actor, siteGroup, by } = workspaceAuthor(request);
      const body = request.body;
      const view = await auditRefusal(
        {
          actor,
          action: 'content.save',
          target: siteGroup,
          outcome: 'failed',
          details: { fromRevision: body.revision },
        },
        () => content.save(siteGroup, body.revision, body.manifest, by, body.basedOnVersion),
      );
      accounts.audit(actor, 'content.save', siteGroup, 'ok', { revision: view.revision });
      return reply.header('cache-control', 'no-store').send(view);
    },
  );

  app.post(
    '/api/content/workspace/rebase',
    routeOptions('content.edit', 'Rebase the saved workspace on the version on air (the author confirms)', {
      querystring: SiteGroupQuery,
      body: RebaseBody,
    }),
    async (request, reply) => {
      const { actor, siteGroup, by } = workspaceAuthor(request);
      const { revision, resolutions } = request.body;
      const res = await auditRefusal(
        {
          actor,
          action: 'content.rebase',
          target: siteGroup,
          outcome: 'failed',
          details: { fromRevision: revision },
        },
        () => content.rebase(siteGroup, revision, resolutions, by),
      );
      accounts.audit(actor, 'content.rebase', siteGroup, 'ok', {
        from: res.difference.basedOnVersion,
        to: res.workspace.basedOnVersion,
        revision: res.workspace.revision,
        droppedEmergencies: res.difference.endedEmergencies,
      });
      return reply.header('cache-control', 'no-store').send(res);
    },
  );

  app.post(
    '/api/content/media',
    routeOptions('content.edit', 'Upload a media file (raw bytes, application/octet-stream)', {
      querystring: MediaQuery,
    }),
    async (request, reply) => {
      const actor = request.account!;
      const q = request.query;
      if (!request.headers['content-type']?.startsWith('application/octet-stream'))
        throw new MediaRejectedError('MEDIA_TYPE', 'send the file as application/octet-stream');
      const declared = Number(request.headers['content-length'] ?? NaN);
      if (Number.isFinite(declared) && declared > o.mediaMaxBytes) {
        accounts.audit(actor, 'content.media.upload', q.siteGroup, 'denied', {
          reason: 'too-large',
          name: q.name,
          bytes: declared,
        });
        void reply.header('connection', 'close');
        throw new MediaRejectedError('MEDIA_TOO_LARGE', `the file is larger than ${o.mediaMaxBytes} bytes`);
      }
      const rec = await auditRefusal(
        {
          actor,
          action: 'content.media.upload',
          target: q.siteGroup,
          outcome: 'denied',
          details: { name: q.name },
          onRefused: (code) => {
            // the rest of a too-large body is not read: the connection cannot carry another request
            if (code === 'MEDIA_TOO_LARGE') void reply.header('connection', 'close');
          },
        },
        () =>
          content.putMedia({
            siteGroup: q.siteGroup,
            originalName: q.name,
            // An empty body reaches no parser: treat it as an empty stream (refused as MEDIA_EMPTY).
            body: (request.body as Readable | undefined) ?? Readable.from([]),
            uploadedBy: actor.user.username,
            at: o.clock.now(),
          }),
      );
      accounts.audit(actor, 'content.media.upload', rec.path, 'ok', {
        bytes: rec.length,
        sha256: rec.sha256,
      });
      return reply.code(201).header('cache-control', 'no-store').send({
        path: rec.path,
        length: rec.length,
        sha256: rec.sha256,
        contentType: rec.contentType,
      });
    },
  );

  app.get(
    '/api/content/media',
    routeOptions('content.view', 'A media file’s bytes, as a sandboxed download', {
      querystring: MediaPathQuery,
    }),
    async (request, reply) => {
      const { path } = request.query;
      const m = await content.openMedia(path);
      return sendMedia(sendAsDownload(reply, path), m);
    },
  );

  app.get(
    '/api/content/media/view',
    routeOptions('content.view', 'An image or video shown inline, judged by its bytes', {
      querystring: MediaPathQuery,
    }),
    async (request, reply) => {
      const { path } = request.query;
      const m = await content.openMedia(path);
      if (m.detected.kind !== 'image' && m.detected.kind !== 'video') {
        m.stream.destroy();
        throw new MediaNotViewableError(
          `"${path}" is ${m.detected.mime} by its bytes, not an image or video to show inline`,
        );
      }
      return sendMedia(reply.headers(inlineMediaHeaders(m.detected)), m);
    },
  );

  app.post(
    '/api/content/preview',
    {
      ...routeOptions('content.view', 'Preview a manifest’s schedule', { body: PreviewBody }),
      bodyLimit: MANIFEST_BODY_LIMIT,
    },
    async (request, reply) => {
      const b = request.body;
      return reply
        .header('cache-control', 'no-store')
        .send(await content.preview(b.siteGroup, b.manifest, b.from ?? o.clock.now(), b.hours ?? 24));
    },
  );

  app.post(
    '/api/content/submit',
    routeOptions('draft.submit', 'Submit the saved workspace as a draft for approval', {
      querystring: SiteGroupQuery,
      body: SubmitBody,
    }),
    async (request, reply) => {
      const { actor, siteGroup, by } = workspaceAuthor(request);
      const body = request.body;
      const res = await auditRefusal(
        { actor, action: 'draft.submit', target: siteGroup, outcome: 'failed' },
        () => content.submit(siteGroup, body?.revision, by, body?.note, body?.ticket),
      );
      accounts.audit(actor, 'draft.submit', res.draft.id, 'ok', {
        siteGroup,
        version: res.draft.version,
        files: res.draft.files.length,
        uploaded: res.uploaded.length,
        carriedEmergencies: res.carriedEmergencies,
      });
      return reply
        .code(201)
        .header('cache-control', 'no-store')
        .send({ draft: res.draft, link: res.link, carriedEmergencies: res.carriedEmergencies });
    },
  );

  app.get(
    '/api/content/submit/progress',
    routeOptions('draft.submit', 'How far a submission’s media are checked and normalised', {
      querystring: ProgressQuery,
    }),
    async (request, reply) => {
      const submission = await content.submitProgress(request.query.ticket, request.account!.user.username);
      if (!submission) throw new NotFoundError(`no submission "${request.query.ticket}" of yours`);
      return reply.header('cache-control', 'no-store').send({ submission });
    },
  );
};
