/**
 * Approval and emergency routes, a fastify plugin registered inside the access-controlled scope
 * (every route declares its action; mutating ones need the session's CSRF token):
 *
 *   GET    /api/content/drafts                    drafts, newest last (content.view)
 *   GET    /api/content/drafts/:id                DraftReview: draft, canonical bytes, bundle hash, diff (content.view)
 *   GET    /api/content/drafts/:id/manifest       the draft's bundle.json bytes (content.view)
 *   GET    /api/content/drafts/:id/files/{raw,view,frame}?path=&side=after|before
 *                                                 one media file of the draft (after) or on air (before),
 *                                                 content.view: raw = sandboxed download; view = inline
 *                                                 only if its bytes are an image/video (else 415);
 *                                                 frame = HTML/text for the page's <iframe sandbox>, under
 *                                                 a CSP that lets no script run (binary: 415)
 *   POST   /api/content/drafts/:id/signatures     {sig, keyid?, payloadSha256?} → SignOutcome; publishes at the threshold
 *                                                 (draft.approve; emergency drafts also emergency.approve)
 *   DELETE /api/content/drafts/:id                discard an open draft (draft.submit: its creator or an admin)
 *   GET    /api/content/emergencies[?siteGroup=]  active emergency messages (content.view)
 *   POST   /api/content/emergencies               {siteGroup, text, durationMinutes?, perLanguageMs?} → 201 (emergency.create)
 *   POST   /api/content/emergencies/end           {siteGroup, id} → 201 draft ending it (emergency.create)
 *   GET    /dashboard/drafts, /dashboard/drafts/:id, /dashboard/emergency   pages
 *
 * Errors answer `{error: {code, message, problems?}}` with the error's stable code. Every signature,
 * publication, discard and emergency request is audited, refusals included.
 */
import { createReadStream } from 'node:fs';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Clock } from '../../protocol/clock.js';
import { isGatecastError, type Problem } from '../../protocol/errors.js';
import { zodProblems } from '../../protocol/validate.js';
import type { AccountContext } from '../accounts/access-control.js';
import { isAllowed } from '../web/roles.js';
import type { AccountService } from '../accounts/service.js';
import { renderDraft, renderDrafts, renderEmergency } from './approval-pages.js';
import { pageSession, sendHtml } from '../accounts/page-session.js';
import { languageOf } from '../dashboard/language.js';
import type { DraftActor } from '../tuf/drafts.js';
import { htmlFrameHeaders, inlineMediaHeaders, sendAsDownload } from '../web/untrusted-bytes.js';
import {
  type ApprovalService,
  EMERGENCY_APPROVAL_WINDOW_MS,
  EmergencyRequest,
  EndEmergencyRequest,
  FileNotViewableError,
  SignRequest,
} from './approval-service.js';

export interface ApprovalRoutesOptions {
  service: ApprovalService;
  accounts: AccountService;
  clock: Clock;
  secureCookies: boolean | 'auto';
  /** For the emergency page's note (default 30 minutes). */
  emergencyApprovalWindowMs?: number;
}

const STATUS: Record<string, number> = {
  REQUEST_INVALID: 400,
  CONTENT_INVALID: 400,
  DRAFT_INVALID: 400,
  SIGNATURE_REJECTED: 400,
  EMERGENCY_LANGUAGE_MISSING: 400,
  FORBIDDEN: 403,
  NOT_DRAFT_OWNER: 403,
  DRAFT_NOT_FOUND: 404,
  DRAFT_FILE_NOT_FOUND: 404,
  EMERGENCY_NOT_FOUND: 404,
  MEDIA_NOT_VIEWABLE: 415,
  SIGNER_IS_CREATOR: 409,
  SIGNER_REPEATED: 409,
  KEY_NOT_REGISTERED: 403,
  DRAFT_PAYLOAD_CHANGED: 409,
  EMERGENCY_DRAFT_EXPIRED: 409,
  DRAFT_STATE: 409,
  THRESHOLD_NOT_MET: 409,
  NO_PUBLISHED_BUNDLE: 409,
  SITE_GROUP_HAS_NO_GATE: 409,
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

class ForbiddenError extends Error {
  readonly code = 'FORBIDDEN';
}

function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const r = schema.safeParse(body);
  if (!r.success) throw new RequestError('request body is invalid', zodProblems(r.error));
  return r.data;
}

const FileQuery = z.object({
  path: z.string().min(1).max(512),
  side: z.enum(['after', 'before']).default('after'),
});

const actorOf = (a: AccountContext): DraftActor => ({ username: a.user.username, role: a.user.role });

export const approvalRoutes: FastifyPluginAsync<ApprovalRoutesOptions> = async (app, o) => {
  const { service, accounts } = o;

  app.setErrorHandler((err, _request, reply) => {
    const e = err as Error & { code?: string; problems?: Problem[]; statusCode?: number };
    if (isGatecastError(e) || e instanceof RequestError || e instanceof ForbiddenError) {
      const code = e.code as string;
      const problems = (err as { problems?: Problem[] }).problems;
      return reply
        .code(STATUS[code] ?? 400)
        .header('cache-control', 'no-store')
        .send({ error: { code, message: e.message, ...(problems?.length ? { problems } : {}) } });
    }
    if (e.statusCode && e.statusCode < 500)
      return reply.code(e.statusCode).send({ error: { code: 'REQUEST_INVALID', message: e.message } });
    app.log.error(e);
    return reply.code(500).send({ error: { code: 'INTERNAL', message: 'internal error' } });
  });

  /** Runs `fn`; audits its outcome (refusals with their code) under `action` and `target`. */
  const audited = async <T>(
    request: FastifyRequest,
    action: string,
    target: string,
    fn: () => Promise<T>,
    details: (r: T) => Record<string, unknown> = () => ({}),
  ): Promise<T> => {
    const actor = request.account!;
    try {
      const r = await fn();
      accounts.audit(actor, action, target, 'ok', details(r));
      return r;
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      accounts.audit(actor, action, target, code === 'FORBIDDEN' ? 'denied' : 'failed', {
        code: typeof code === 'string' ? code : 'INTERNAL',
        message: (err as Error).message,
      });
      throw err;
    }
  };

  // ------------------------------------------------------------------------------------------- API
  app.get('/api/content/drafts', { config: { access: 'content.view' } }, async (_r, reply) =>
    reply.header('cache-control', 'no-store').send({ drafts: await service.list() }),
  );

  app.get<{ Params: { id: string } }>(
    '/api/content/drafts/:id',
    { config: { access: 'content.view' } },
    async (request, reply) =>
      reply.header('cache-control', 'no-store').send(await service.review(request.params.id)),
  );

  app.get<{ Params: { id: string } }>(
    '/api/content/drafts/:id/manifest',
    { config: { access: 'content.view' } },
    async (request, reply) => {
      const r = await service.review(request.params.id);
      return reply
        .type('application/json')
        .header('cache-control', 'no-store')
        .send(Buffer.from(r.manifest, 'base64'));
    },
  );

  app.get<{ Params: { id: string; how: string } }>(
    '/api/content/drafts/:id/files/:how',
    { config: { access: 'content.view' } },
    async (request, reply) => {
      const how = request.params.how;
      if (how !== 'raw' && how !== 'view' && how !== 'frame')
        throw new RequestError(`no file route "${how}"`, [{ path: 'how', message: 'raw, view or frame' }]);
      const q = parseBody(FileQuery, request.query);
      const f = await service.openFile(request.params.id, q.path, q.side);
      void reply.header('cache-control', 'private, no-cache').header('content-length', String(f.length));
      if (how === 'raw') return sendAsDownload(reply, q.path).send(createReadStream(f.file));
      if (how === 'view') {
        if (f.type.kind !== 'image' && f.type.kind !== 'video')
          throw new FileNotViewableError(`"${q.path}" is ${f.type.mime} by its bytes, not an image or video`);
        return reply.headers(inlineMediaHeaders(f.type)).send(createReadStream(f.file));
      }
      if (f.type.kind === 'binary' || f.type.kind === 'image' || f.type.kind === 'video')
        throw new FileNotViewableError(`"${q.path}" is ${f.type.mime} by its bytes, not a page`);
      return reply.headers(htmlFrameHeaders()).send(createReadStream(f.file));
    },
  );

  app.post<{ Params: { id: string } }>(
    '/api/content/drafts/:id/signatures',
    { config: { access: 'draft.approve' } },
    async (request) => {
      const actor = request.account!;
      const id = request.params.id;
      return audited(
        request,
        'draft.sign',
        id,
        async () => {
          const body = parseBody(SignRequest, request.body);
          const review = await service.review(id);
          if (review.kind === 'emergency' && !isAllowed(actor.user.role, 'emergency.approve'))
            throw new ForbiddenError(`role ${actor.user.role} may not emergency.approve`);
          const out = await service.sign(id, body, actorOf(actor));
          if (out.published)
            accounts.audit(actor, 'draft.publish', id, 'ok', {
              siteGroup: out.published.siteGroup,
              version: out.published.version,
              kind: review.kind,
            });
          return out;
        },
        (out) => ({
          siteGroup: out.draft.siteGroup,
          keyid: out.keyid,
          kind: out.draft.kind,
          signatures: out.draft.signatures.length,
          threshold: out.draft.threshold,
          published: out.published !== null,
        }),
      );
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/api/content/drafts/:id',
    { config: { access: 'draft.submit' } },
    async (request, reply) => {
      const id = request.params.id;
      await audited(request, 'draft.discard', id, () => service.discard(id, actorOf(request.account!)));
      return reply.code(204).send();
    },
  );

  app.get<{ Querystring: { siteGroup?: string } }>(
    '/api/content/emergencies',
    { config: { access: 'content.view' } },
    async (request, reply) =>
      reply
        .header('cache-control', 'no-store')
        .send({ emergencies: await service.activeEmergencies(request.query.siteGroup) }),
  );

  app.post('/api/content/emergencies', { config: { access: 'emergency.create' } }, async (request, reply) => {
    const raw = request.body as { siteGroup?: unknown } | undefined;
    const target = typeof raw?.siteGroup === 'string' ? raw.siteGroup.slice(0, 100) : '';
    const out = await audited(
      request,
      'emergency.create',
      target,
      () => service.createEmergency(parseBody(EmergencyRequest, request.body), actorOf(request.account!)),
      (r) => ({
        draftId: r.draft.id,
        emergencyId: r.emergency.id,
        expiresAt: r.emergency.expiresAt,
        approveBy: r.draft.approveBy,
      }),
    );
    return reply.code(201).send(out);
  });

  app.post(
    '/api/content/emergencies/end',
    { config: { access: 'emergency.create' } },
    async (request, reply) => {
      const raw = request.body as { siteGroup?: unknown } | undefined;
      const target = typeof raw?.siteGroup === 'string' ? raw.siteGroup.slice(0, 100) : '';
      const draft = await audited(
        request,
        'emergency.end',
        target,
        async () => {
          const b = parseBody(EndEmergencyRequest, request.body);
          return service.endEmergency(b.siteGroup, b.id, actorOf(request.account!));
        },
        (d) => ({ draftId: d.id, approveBy: d.approveBy }),
      );
      return reply.code(201).send({ draft });
    },
  );

  // ----------------------------------------------------------------------------------------- pages
  app.get('/dashboard/drafts', { config: { access: 'public' } }, async (request, reply) => {
    const auth = pageSession(request, reply, { accounts, secureCookies: o.secureCookies }, 'content.view');
    if (!auth) return reply;
    return sendHtml(
      reply,
      renderDrafts(
        languageOf(request),
        await service.list(),
        service,
        auth.user,
        auth.session.csrfToken,
        o.clock.now(),
      ),
    );
  });

  app.get<{ Params: { id: string } }>(
    '/dashboard/drafts/:id',
    { config: { access: 'public' } },
    async (request, reply) => {
      const auth = pageSession(request, reply, { accounts, secureCookies: o.secureCookies }, 'content.view');
      if (!auth) return reply;
      const review = await service.review(request.params.id);
      return sendHtml(
        reply,
        renderDraft(
          languageOf(request),
          review,
          service,
          auth.user,
          auth.session.csrfToken,
          `${request.protocol}://${request.headers.host ?? request.hostname}`,
        ),
      );
    },
  );

  app.get('/dashboard/emergency', { config: { access: 'public' } }, async (request, reply) => {
    const auth = pageSession(
      request,
      reply,
      { accounts, secureCookies: o.secureCookies },
      'emergency.create',
    );
    if (!auth) return reply;
    return sendHtml(
      reply,
      renderEmergency(
        languageOf(request),
        {
          active: await service.activeEmergencies(),
          siteGroups: service.emergencySiteGroups(),
          windowMinutes: Math.round((o.emergencyApprovalWindowMs ?? EMERGENCY_APPROVAL_WINDOW_MS) / 60_000),
        },
        service,
        auth.user,
        auth.session.csrfToken,
      ),
    );
  });
};
