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
 *   GET    /api/content/drafts/:id/thumb?path=&side=after|before
 *                                                 a small WebP made here of an image, or of a video's poster
 *                                                 frame, of the draft or on air; by its bytes (else 415),
 *                                                 undecodable 422 (content.view)
 *   POST   /api/content/drafts/:id/signatures     {sig, keyid?, payloadSha256?} → SignOutcome; publishes at the threshold
 *                                                 (draft.approve; emergency drafts also emergency.approve)
 *   POST   /api/content/drafts/:id/reject         {comment} → the draft, sent back to its author; its
 *                                                 signatures are void (draft.approve; emergencies also emergency.approve)
 *   POST   /api/content/drafts/:id/resubmit       {note?} → the draft, open again without signatures
 *                                                 (its author: draft.submit, emergencies emergency.create)
 *   GET    /api/content/drafts/:id/rebase         {difference}: what rebasing an out-of-date draft does (content.view)
 *   POST   /api/content/drafts/:id/rebase         {resolutions?} → the sent-back draft, made from the version
 *                                                 on air (its author: draft.submit, emergencies emergency.create)
 *   GET    /api/content/waiting                   {count, drafts}: what waits for this account: its signature,
 *                                                 or its own out-of-date drafts (content.view)
 *   DELETE /api/content/drafts/:id                discard an open or rejected draft (draft.submit: its creator or an admin)
 *   GET    /api/content/emergencies[?siteGroup=]  active emergency messages (content.view)
 *   POST   /api/content/emergencies               {siteGroup, text, durationMinutes?, perLanguageMs?} → 201 (emergency.create)
 *   POST   /api/content/emergencies/end           {siteGroup, id} → 201 draft ending it (emergency.create)
 *   GET    /dashboard/drafts, /dashboard/drafts/:id, /dashboard/emergency   pages
 *
 * Errors answer `{error: {code, message, problems?}}` with the error's stable code (web/errors.ts). Every signature,
 * publication, discard and emergency request is audited, refusals included.
 */
import { createReadStream } from 'node:fs';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Clock } from '../../protocol/clock.js';
import type { AccountContext } from '../accounts/access-control.js';
import { ForbiddenError } from '../web/errors.js';
import { routeOptions } from '../web/route-access.js';
import { isAllowed } from '../web/roles.js';
import type { AccountService, PublicUser } from '../accounts/service.js';
import { renderDraft, renderDrafts, renderEmergency } from './approval-pages.js';
import { previewScreen, previewSlide, screenPreviewPage } from './screen-preview.js';
import { parseBundleManifest } from '../../protocol/content.js';
import { pageSession, sendHtml } from '../accounts/page-session.js';
import { type DashboardLanguage, languageOf } from '../dashboard/language.js';
import type { SafeHtml } from '../web/escape.js';
import type { DraftActor } from '../tuf/drafts.js';
import { htmlFrameHeaders, inlineMediaHeaders, sendAsDownload } from '../web/untrusted-bytes.js';
import {
  type ApprovalService,
  EMERGENCY_APPROVAL_WINDOW_MS,
  EmergencyRequest,
  EndEmergencyRequest,
  RebaseRequest,
  RejectRequest,
  ResubmitRequest,
  SignRequest,
} from './approval-service.js';
import { MediaNotViewableError } from './errors.js';
import { collectFacts, THUMB_MIME, type ReviewMedia } from './review-media.js';
import { comparedMedia, factKey } from './review-compare.js';

export interface ApprovalRoutesOptions {
  service: ApprovalService;
  accounts: AccountService;
  clock: Clock;
  secureCookies: boolean | 'auto';
  /** For the emergency page's note (default 30 minutes). */
  emergencyApprovalWindowMs?: number;
  /** Thumbnails, posters and facts of the images and videos a review shows. */
  media: ReviewMedia;
  /** What the emergency page shows above its form for this reader (the template picker). */
  emergencyExtras?: (lang: DashboardLanguage, user: PublicUser) => SafeHtml;
}

const DraftParams = z.object({ id: z.string().min(1).max(200) });
const FileParams = DraftParams.extend({ how: z.enum(['raw', 'view', 'frame']) });
const FileQuery = z.object({
  path: z.string().min(1).max(512),
  side: z.enum(['after', 'before']).default('after'),
});

const actorOf = (a: AccountContext): DraftActor => ({
  username: a.user.username,
  role: a.user.role,
  roles: a.user.roles,
});

export const approvalRoutes: FastifyPluginAsyncZod<ApprovalRoutesOptions> = async (app, o) => {
  const { service, accounts } = o;

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
  app.get('/api/content/drafts', routeOptions('content.view', 'Drafts, newest last'), async (_r, reply) =>
    reply.header('cache-control', 'no-store').send({ drafts: await service.list() }),
  );

  app.get(
    '/api/content/drafts/:id',
    routeOptions('content.view', 'A draft’s review: canonical bytes, bundle hash, diff', {
      params: DraftParams,
    }),
    async (request, reply) =>
      reply.header('cache-control', 'no-store').send(await service.review(request.params.id)),
  );

  app.get(
    '/api/content/drafts/:id/manifest',
    routeOptions('content.view', 'A draft’s bundle.json bytes', { params: DraftParams }),
    async (request, reply) => {
      const r = await service.review(request.params.id);
      return reply
        .type('application/json')
        .header('cache-control', 'no-store')
        .send(Buffer.from(r.manifest, 'base64'));
    },
  );

  app.get(
    '/api/content/drafts/:id/files/:how',
    routeOptions(
      'content.view',
      'One file of a draft or of the version on air: raw download, inline image/video, or sandboxed page',
      { params: FileParams, querystring: FileQuery },
    ),
    async (request, reply) => {
      const how = request.params.how;
      const q = request.query;
      const f = await service.openFile(request.params.id, q.path, q.side);
      void reply.header('cache-control', 'private, no-cache').header('content-length', String(f.length));
      if (how === 'raw') return sendAsDownload(reply, q.path).send(createReadStream(f.file));
      if (how === 'view') {
        if (f.type.kind !== 'image' && f.type.kind !== 'video')
          throw new MediaNotViewableError(
            `"${q.path}" is ${f.type.mime} by its bytes, not an image or video`,
          );
        return reply.headers(inlineMediaHeaders(f.type)).send(createReadStream(f.file));
      }
      if (f.type.kind === 'binary' || f.type.kind === 'image' || f.type.kind === 'video')
        throw new MediaNotViewableError(`"${q.path}" is ${f.type.mime} by its bytes, not a page`);
      return reply.headers(htmlFrameHeaders()).send(createReadStream(f.file));
    },
  );

  app.get(
    '/api/content/drafts/:id/thumb',
    routeOptions(
      'content.view',
      'A small WebP of an image, or of a video’s poster frame, of a draft or of the version on air',
      { params: DraftParams, querystring: FileQuery },
    ),
    async (request, reply) => {
      const q = request.query;
      const f = await service.openFile(request.params.id, q.path, q.side);
      const bytes = await o.media.thumbnail(f);
      // Made here from decoded pixels; still never sniffed, never a document of the origin.
      return reply
        .headers(inlineMediaHeaders({ kind: 'image', mime: THUMB_MIME }))
        .header('cache-control', 'private, no-cache')
        .send(bytes);
    },
  );

  app.post(
    '/api/content/drafts/:id/signatures',
    {
      ...routeOptions('draft.approve', 'Sign a draft; publishes it at the threshold', {
        params: DraftParams,
        body: SignRequest,
      }),
      // A malformed signature is refused inside `audited`, so that it is audited too.
      attachValidation: true,
    },
    async (request) => {
      const actor = request.account!;
      const id = request.params.id;
      return audited(
        request,
        'draft.sign',
        id,
        async () => {
          if (request.validationError) throw request.validationError;
          const body = request.body;
          const review = await service.review(id);
          if (review.kind === 'emergency' && !isAllowed(actor.user.roles, 'emergency.approve'))
            throw new ForbiddenError(`role ${actor.user.roles.join('+')} may not emergency.approve`);
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

  app.post(
    '/api/content/drafts/:id/reject',
    {
      ...routeOptions('draft.approve', 'Send a draft back to its author with a comment', {
        params: DraftParams,
        body: RejectRequest,
      }),
      attachValidation: true,
    },
    async (request) => {
      const actor = request.account!;
      const id = request.params.id;
      const draft = await audited(
        request,
        'draft.reject',
        id,
        async () => {
          if (request.validationError) throw request.validationError;
          // DraftService.reject: an emergency also needs emergency.approve.
          return service.reject(id, request.body.comment, actorOf(actor));
        },
        (d) => ({ siteGroup: d.siteGroup, comment: d.rejections.at(-1)?.comment }),
      );
      return { draft };
    },
  );

  app.post(
    '/api/content/drafts/:id/resubmit',
    {
      ...routeOptions('content.view', 'The author sends a rejected draft back for approval', {
        params: DraftParams,
        body: ResubmitRequest,
      }),
      attachValidation: true,
    },
    async (request) => {
      const actor = request.account!;
      const id = request.params.id;
      const draft = await audited(
        request,
        'draft.resubmit',
        id,
        async () => {
          if (request.validationError) throw request.validationError;
          // DraftService.resubmit: draft.submit, an emergency emergency.create.
          return service.resubmit(id, actorOf(actor), request.body?.note);
        },
        (d) => ({ siteGroup: d.siteGroup }),
      );
      return { draft };
    },
  );

  app.get(
    '/api/content/drafts/:id/rebase',
    routeOptions('content.view', 'What rebasing an out-of-date draft on the version on air does', {
      params: DraftParams,
    }),
    async (request, reply) =>
      reply
        .header('cache-control', 'no-store')
        .send({ difference: await service.rebaseDifference(request.params.id) }),
  );

  app.post(
    '/api/content/drafts/:id/rebase',
    {
      ...routeOptions(
        'content.view',
        'The author rebases an out-of-date sent-back draft on the version on air',
        {
          params: DraftParams,
          body: RebaseRequest,
        },
      ),
      attachValidation: true,
    },
    async (request) => {
      const actor = request.account!;
      const id = request.params.id;
      let from: number | undefined;
      const draft = await audited(
        request,
        'draft.rebase',
        id,
        async () => {
          if (request.validationError) throw request.validationError;
          // DraftService.rebase: its author only, draft.submit (an emergency emergency.create).
          from = (await service.draft(id)).basedOnVersion;
          return service.rebase(id, request.body?.resolutions ?? {}, actorOf(actor));
        },
        (d) => ({ siteGroup: d.siteGroup, from, to: d.basedOnVersion }),
      );
      return { draft };
    },
  );

  app.get(
    '/api/content/waiting',
    routeOptions('content.view', 'Drafts and emergencies waiting for this account’s signature'),
    async (request, reply) => {
      const drafts = await service.waitingFor(request.account!.user);
      return reply.header('cache-control', 'no-store').send({ count: drafts.length, drafts });
    },
  );

  app.delete(
    '/api/content/drafts/:id',
    routeOptions('draft.submit', 'Discard an open draft (its creator or an admin)', { params: DraftParams }),
    async (request, reply) => {
      const id = request.params.id;
      await audited(request, 'draft.discard', id, () => service.discard(id, actorOf(request.account!)));
      return reply.code(204).send();
    },
  );

  app.get(
    '/api/content/emergencies',
    routeOptions('content.view', 'Active emergency messages', {
      querystring: z.object({ siteGroup: z.string().max(200).optional() }),
    }),
    async (request, reply) =>
      reply
        .header('cache-control', 'no-store')
        .send({ emergencies: await service.activeEmergencies(request.query.siteGroup) }),
  );

  app.post(
    '/api/content/emergencies',
    {
      ...routeOptions('emergency.create', 'Request an emergency message (a draft for approval)', {
        body: EmergencyRequest,
      }),
      attachValidation: true,
    },
    async (request, reply) => {
      const raw = request.body as { siteGroup?: unknown } | undefined;
      const target = typeof raw?.siteGroup === 'string' ? raw.siteGroup.slice(0, 100) : '';
      const out = await audited(
        request,
        'emergency.create',
        target,
        async () => {
          if (request.validationError) throw request.validationError;
          return service.createEmergency(request.body, actorOf(request.account!));
        },
        (r) => ({
          draftId: r.draft.id,
          emergencyId: r.emergency.id,
          expiresAt: r.emergency.expiresAt,
          approveBy: r.draft.approveBy,
        }),
      );
      return reply.code(201).send(out);
    },
  );

  app.post(
    '/api/content/emergencies/end',
    {
      ...routeOptions('emergency.create', 'Request the end of an emergency message (a draft)', {
        body: EndEmergencyRequest,
      }),
      attachValidation: true,
    },
    async (request, reply) => {
      const raw = request.body as { siteGroup?: unknown } | undefined;
      const target = typeof raw?.siteGroup === 'string' ? raw.siteGroup.slice(0, 100) : '';
      const draft = await audited(
        request,
        'emergency.end',
        target,
        async () => {
          if (request.validationError) throw request.validationError;
          const b = request.body;
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
        isAllowed(auth.user.roles, 'draft.approve') || isAllowed(auth.user.roles, 'draft.submit')
          ? await service.waitingFor(auth.user)
          : undefined,
        await service.versions(),
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
      const facts = await collectFacts(
        o.media,
        comparedMedia(review),
        (m) => service.openFile(review.draft.id, m.path, m.side),
        (m) => factKey(m.side, m.path),
      );
      return sendHtml(
        reply,
        renderDraft(
          languageOf(request),
          review,
          service,
          auth.user,
          auth.session.csrfToken,
          `${request.protocol}://${request.headers.host ?? request.hostname}`,
          o.clock.now(),
          previewScreen((request.query as { screen?: string }).screen),
          { facts, schedule: service.reviewDay(review, o.clock.now()) },
        ),
      );
    },
  );

  app.get<{ Params: { id: string }; Querystring: { screen?: string; emergency?: string; lang?: string } }>(
    '/dashboard/drafts/:id/screen',
    { config: { access: 'public' } },
    async (request, reply) => {
      const auth = pageSession(request, reply, { accounts, secureCookies: o.secureCookies }, 'content.view');
      if (!auth) return reply;
      const review = await service.review(request.params.id);
      const manifest = parseBundleManifest(
        JSON.parse(Buffer.from(review.manifest, 'base64').toString('utf8')),
      );
      const q = request.query;
      const { body, csp } = screenPreviewPage(
        previewSlide(manifest, review.draft.id, {
          at: o.clock.now(),
          ...(q.emergency ? { emergencyId: q.emergency } : {}),
          ...(q.lang ? { lang: q.lang } : {}),
        }),
      );
      // Framed by the review page only; its own CSP (the player's script and style by hash).
      return reply
        .header('content-security-policy', csp)
        .header('x-frame-options', 'SAMEORIGIN')
        .type('text/html; charset=utf-8')
        .send(body);
    },
  );

  app.get('/dashboard/emergency', { config: { access: 'public' } }, async (request, reply) => {
    const auth = pageSession(request, reply, { accounts, secureCookies: o.secureCookies }, 'emergency.view');
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
        o.emergencyExtras?.(languageOf(request), auth.user),
      ),
    );
  });
};
