/**
 * The content feature as one fastify plugin for the session scope: authoring (the /api/content
 * routes, routes.ts, and the /dashboard/content page), drafts and approval (approval-routes.ts:
 * review, sign, discard, emergencies, and their pages) and the CLI's publishing API
 * (publish-routes.ts, /api/publish). Everything but the authoring page needs a served TUF
 * repository; without one, the page only says so.
 *
 *   GET /dashboard/content[?siteGroup=]   the authoring page (content.view; editing for content.edit,
 *                                         submitting for draft.submit; login redirect without a session)
 */
import { join } from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import type { Clock } from '../../protocol/clock.js';
import type { GateConfig } from '../../protocol/config.js';
import type { Logger } from '../../platform/log.js';
import { isAllowed } from '../web/roles.js';
import type { AccountService } from '../accounts/service.js';
import { renderContent } from './content-page.js';
import { pageSession, sendHtml } from '../accounts/page-session.js';
import { languageOf } from '../dashboard/language.js';
import type { DraftService } from '../tuf/drafts.js';
import type { TufRepository } from '../tuf/repository.js';
import { MediaStore } from './media-store.js';
import { ReviewMedia } from './review-media.js';
import { approvalRoutes, type ApprovalRoutesOptions } from './approval-routes.js';
import { routeOptions } from '../web/route-access.js';
import { ApprovalService, type GateSource } from './approval-service.js';
import { publishRoutes } from './publish-routes.js';
import { contentRoutes } from './routes.js';
import { ContentService } from './service.js';
import type { EmergencyEndService } from './emergency-end-service.js';
import { emergencyEndRoutes } from './emergency-end-routes.js';
import { WorkspaceStore } from './workspace-store.js';

export interface ContentPluginOptions {
  dataDir: string;
  /** The served TUF repository; without one the page says so and no /api/content route exists. */
  tuf: { repo: TufRepository; repoDir: string; drafts: DraftService } | undefined;
  gates: GateSource & { get(siteGroup: string): GateConfig | undefined };
  accounts: AccountService;
  clock: Clock;
  log: Logger;
  mediaMaxBytes: number;
  secureCookies: boolean | 'auto';
  /** What the emergency page shows above its form (the template picker). */
  emergencyExtras?: ApprovalRoutesOptions['emergencyExtras'];
  /** Ending emergencies early (docs/drafts.md §7); without it, emergencies end only by a signed draft. */
  emergencyEnds?: EmergencyEndService;
}

export const contentFeature: FastifyPluginAsync<ContentPluginOptions> = async (app, o) => {
  const content =
    o.tuf &&
    new ContentService({
      repo: o.tuf.repo,
      repoDir: o.tuf.repoDir,
      drafts: o.tuf.drafts,
      workspaces: new WorkspaceStore(o.dataDir),
      media: new MediaStore(o.dataDir, o.mediaMaxBytes),
      gate: (siteGroup) => o.gates.get(siteGroup),
      clock: o.clock,
      log: o.log,
    });
  if (content && o.tuf) {
    await app.register(contentRoutes, {
      content,
      accounts: o.accounts,
      mediaMaxBytes: o.mediaMaxBytes,
      clock: o.clock,
      log: o.log,
    });
    await app.register(approvalRoutes, {
      service: new ApprovalService({
        repo: o.tuf.repo,
        repoDir: o.tuf.repoDir,
        drafts: o.tuf.drafts,
        gates: o.gates,
        clock: o.clock,
        log: o.log.child('approval'),
        ...(o.emergencyEnds ? { endings: o.emergencyEnds } : {}),
      }),
      accounts: o.accounts,
      clock: o.clock,
      secureCookies: o.secureCookies,
      media: new ReviewMedia({ cacheDir: join(o.dataDir, 'content', 'review-thumbs') }),
      ...(o.emergencyExtras ? { emergencyExtras: o.emergencyExtras } : {}),
    });
    if (o.emergencyEnds)
      await app.register(emergencyEndRoutes, { ends: o.emergencyEnds, accounts: o.accounts });
    // The publishing API (`gatecast draft …`): authors and approvers with their own accounts.
    await app.register(publishRoutes, {
      repo: o.tuf.repo,
      drafts: o.tuf.drafts,
      auth: { session: { accounts: o.accounts } },
    });
  } else
    // Without a repository there are no drafts: nothing waits for anyone (the header still asks).
    app.get(
      '/api/content/waiting',
      routeOptions('content.view', 'Drafts and emergencies waiting for this account’s signature'),
      async (_request, reply) => reply.header('cache-control', 'no-store').send({ count: 0, drafts: [] }),
    );

  app.get<{ Querystring: { siteGroup?: string } }>(
    '/dashboard/content',
    // The page checks the session itself, to send a browser to the login page.
    { config: { access: 'public' } },
    async (request, reply) => {
      const auth = pageSession(request, reply, o, 'content.view');
      if (!auth) return reply;
      const role = auth.user.roles;
      const body = renderContent(
        languageOf(request),
        {
          siteGroups: content ? content.siteGroups() : [],
          hasRepository: Boolean(content),
          canEdit: isAllowed(role, 'content.edit'),
          canSubmit: isAllowed(role, 'draft.submit'),
          ...(request.query.siteGroup ? { selected: request.query.siteGroup } : {}),
        },
        auth.user,
        auth.session.csrfToken,
      );
      return sendHtml(reply, body);
    },
  );
};
