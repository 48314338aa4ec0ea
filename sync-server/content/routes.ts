/**
 * The authoring API, registered inside the access-controlled scope (every route declares its
 * action; mutating routes need the session's CSRF token). The site group contains "/", so it
 * travels as a query parameter.
 *
 *   GET  /api/content/site-groups                          site groups with their gate (content.view)
 *   GET  /api/content/workspace?siteGroup=                 WorkspaceView (content.view)
 *   PUT  /api/content/workspace?siteGroup=  {revision, manifest}
 *        → WorkspaceView | 400 {problems} | 409 WORKSPACE_STALE (content.edit)
 *   POST /api/content/media?siteGroup=&name=   raw bytes (application/octet-stream)
 *        → 201 {path, length, sha256, contentType} | 400 | 413 (content.edit)
 *   GET  /api/content/media?path=                          the bytes, as a sandboxed download (content.view)
 *   GET  /api/content/media/view?path=                     an image/video (by its bytes) inline, sandboxed;
 *                                                          anything else → 415 MEDIA_NOT_VIEWABLE (content.view)
 *   POST /api/content/preview {siteGroup, manifest, from?, hours?} → PreviewResult (content.view)
 *   POST /api/content/submit?siteGroup=  {revision?}       → 201 {draft, link} (draft.submit)
 * Errors: `{ error: { code, message, problems? } }`. Every mutation is audited.
 */
import { Readable } from 'node:stream';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { z } from 'zod';
import { SiteGroupId } from '../../protocol/content.js';
import { isGatecastError, type Problem } from '../../protocol/errors.js';
import type { Logger } from '../../platform/log.js';
import { zodProblems } from '../../protocol/validate.js';
import type { AccountService } from '../accounts/service.js';
import { inlineMediaHeaders, sendAsDownload } from '../web/untrusted-bytes.js';
import { ContentWorkflowError, isWorkspaceStaleError, MediaNotViewableError } from './errors.js';
import { MAX_PREVIEW_HOURS, type ContentService } from './service.js';

export interface ContentRoutesOptions {
  content: ContentService;
  accounts: Pick<AccountService, 'audit'>;
  /** Upper bound of one media upload (also enforced while streaming). */
  mediaMaxBytes: number;
  clock: { now(): number };
  log: Logger;
}

const STATUS: Record<string, number> = {
  CONTENT_INVALID: 400,
  DRAFT_INVALID: 400,
  MEDIA_NAME_INVALID: 400,
  MEDIA_EMPTY: 400,
  MEDIA_TOO_LARGE: 413,
  MEDIA_NOT_FOUND: 404,
  MEDIA_NOT_VIEWABLE: 415,
  SITE_GROUP_UNKNOWN: 404,
  DRAFT_NOT_FOUND: 404,
  WORKSPACE_STALE: 409,
  DRAFT_STATE: 409,
  TUF_REPO: 409,
};

const SiteGroupQuery = z.object({ siteGroup: SiteGroupId });
const SaveBody = z.object({ revision: z.number().int().min(0), manifest: z.record(z.string(), z.unknown()) });
const PreviewBody = z.object({
  siteGroup: SiteGroupId,
  manifest: z.unknown(),
  from: z.number().finite().optional(),
  hours: z.number().int().min(1).max(MAX_PREVIEW_HOURS).optional(),
});
const SubmitBody = z.object({ revision: z.number().int().min(1).optional() }).nullish();
const MediaQuery = z.object({ siteGroup: SiteGroupId, name: z.string().min(1).max(300) });
const MediaPathQuery = z.object({ path: z.string().min(1).max(512) });

const MANIFEST_BODY_LIMIT = 6 * 1024 * 1024;

function parse<S extends z.ZodType>(schema: S, v: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(v);
  if (!r.success) throw new ContentWorkflowError(`${what} is invalid`, zodProblems(r.error));
  return r.data;
}

export const contentRoutes: FastifyPluginAsync<ContentRoutesOptions> = async (app, o) => {
  const { content, accounts } = o;
  if (!app.hasContentTypeParser('application/octet-stream'))
    app.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload));

  const fail = (reply: FastifyReply, status: number, code: string, message: string, problems?: Problem[]) =>
    reply
      .code(status)
      .header('cache-control', 'no-store')
      .send({ error: { code, message, ...(problems?.length ? { problems } : {}) } });

  app.setErrorHandler((err, request, reply) => {
    if (isGatecastError(err)) {
      const problems = (err as { problems?: Problem[] }).problems;
      const extra = isWorkspaceStaleError(err) ? { currentRevision: err.currentRevision } : {};
      return reply
        .code(STATUS[err.code] ?? 400)
        .header('cache-control', 'no-store')
        .send({
          error: {
            code: err.code,
            message: err.message,
            ...(problems?.length ? { problems } : {}),
            ...extra,
          },
        });
    }
    const status = (err as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500)
      return fail(reply, status, 'BAD_REQUEST', (err as Error).message);
    o.log.error('content request failed', { url: request.url, err });
    return fail(reply, 500, 'INTERNAL', 'internal error');
  });

  app.get('/api/content/site-groups', { config: { access: 'content.view' } }, async (_request, reply) =>
    reply.header('cache-control', 'no-store').send({ siteGroups: content.siteGroups() }),
  );

  app.get('/api/content/workspace', { config: { access: 'content.view' } }, async (request, reply) => {
    const { siteGroup } = parse(SiteGroupQuery, request.query, 'the query');
    return reply.header('cache-control', 'no-store').send(await content.workspace(siteGroup));
  });

  app.put(
    '/api/content/workspace',
    { config: { access: 'content.edit' }, bodyLimit: MANIFEST_BODY_LIMIT },
    async (request, reply) => {
      const actor = request.account!;
      const { siteGroup } = parse(SiteGroupQuery, request.query, 'the query');
      const body = parse(SaveBody, request.body, 'the request body');
      const by = { username: actor.user.username, role: actor.user.role };
      try {
        const view = await content.save(siteGroup, body.revision, body.manifest, by);
        accounts.audit(actor, 'content.save', siteGroup, 'ok', { revision: view.revision });
        return reply.header('cache-control', 'no-store').send(view);
      } catch (err) {
        if (isGatecastError(err))
          accounts.audit(actor, 'content.save', siteGroup, 'failed', {
            code: err.code,
            fromRevision: body.revision,
          });
        throw err;
      }
    },
  );

  app.post('/api/content/media', { config: { access: 'content.edit' } }, async (request, reply) => {
    const actor = request.account!;
    const q = parse(MediaQuery, request.query, 'the query');
    if (!request.headers['content-type']?.startsWith('application/octet-stream'))
      return fail(reply, 415, 'MEDIA_TYPE', 'send the file as application/octet-stream');
    const declared = Number(request.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > o.mediaMaxBytes) {
      accounts.audit(actor, 'content.media.upload', q.siteGroup, 'denied', {
        reason: 'too-large',
        name: q.name,
        bytes: declared,
      });
      void reply.header('connection', 'close');
      return fail(reply, 413, 'MEDIA_TOO_LARGE', `the file is larger than ${o.mediaMaxBytes} bytes`);
    }
    try {
      const rec = await content.putMedia({
        siteGroup: q.siteGroup,
        originalName: q.name,
        // An empty body reaches no parser: treat it as an empty stream (refused as MEDIA_EMPTY).
        body: (request.body as Readable | undefined) ?? Readable.from([]),
        uploadedBy: actor.user.username,
        at: o.clock.now(),
      });
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
    } catch (err) {
      if (isGatecastError(err)) {
        accounts.audit(actor, 'content.media.upload', q.siteGroup, 'denied', {
          code: err.code,
          name: q.name,
        });
        if (err.code === 'MEDIA_TOO_LARGE') void reply.header('connection', 'close');
      }
      throw err;
    }
  });

  app.get('/api/content/media', { config: { access: 'content.view' } }, async (request, reply) => {
    const { path } = parse(MediaPathQuery, request.query, 'the query');
    const m = await content.openMedia(path);
    return sendAsDownload(reply, path)
      .header('cache-control', 'private, max-age=300')
      .header('content-length', String(m.length))
      .send(m.stream);
  });

  app.get('/api/content/media/view', { config: { access: 'content.view' } }, async (request, reply) => {
    const { path } = parse(MediaPathQuery, request.query, 'the query');
    const m = await content.openMedia(path);
    if (m.detected.kind !== 'image' && m.detected.kind !== 'video') {
      m.stream.destroy();
      throw new MediaNotViewableError(
        `"${path}" is ${m.detected.mime} by its bytes, not an image or video to show inline`,
      );
    }
    return reply
      .headers(inlineMediaHeaders(m.detected))
      .header('cache-control', 'private, max-age=300')
      .header('content-length', String(m.length))
      .send(m.stream);
  });

  app.post(
    '/api/content/preview',
    { config: { access: 'content.view' }, bodyLimit: MANIFEST_BODY_LIMIT },
    async (request, reply) => {
      const b = parse(PreviewBody, request.body, 'the request body');
      return reply
        .header('cache-control', 'no-store')
        .send(await content.preview(b.siteGroup, b.manifest, b.from ?? o.clock.now(), b.hours ?? 24));
    },
  );

  app.post('/api/content/submit', { config: { access: 'draft.submit' } }, async (request, reply) => {
    const actor = request.account!;
    const { siteGroup } = parse(SiteGroupQuery, request.query, 'the query');
    const body = parse(SubmitBody, request.body, 'the request body');
    const by = { username: actor.user.username, role: actor.user.role };
    try {
      const res = await content.submit(siteGroup, body?.revision, by);
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
    } catch (err) {
      if (isGatecastError(err))
        accounts.audit(actor, 'draft.submit', siteGroup, 'failed', { code: err.code });
      throw err;
    }
  });
};
