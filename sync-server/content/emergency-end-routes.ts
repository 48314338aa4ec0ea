/**
 * Ending an emergency early (docs/drafts.md §7), registered inside the access-controlled scope:
 *
 *   POST /api/content/emergencies/end-early   {siteGroup?, id} → 200 EmergencyEndStatus (emergency.end)
 *   GET  /api/content/emergencies/end-check?siteGroup=&id=    → EmergencyEndPreview (emergency.end)
 *   GET  /api/content/emergencies/end-status?siteGroup=&id=   → EmergencyEndStatus (content.view)
 *
 * `id` is the emergency's id or the id of the emergency draft that put it on air (EmergencyRef).
 * Every end is audited (`emergency.end-early`, target `<siteGroup>/<emergency id>`), refusals included.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { EmergencyRef } from '../../protocol/emergency-end.js';
import type { AccountService } from '../accounts/service.js';
import { routeOptions } from '../web/route-access.js';
import type { EmergencyEndService } from './emergency-end-service.js';

export interface EmergencyEndRoutesOptions {
  ends: EmergencyEndService;
  accounts: AccountService;
}

export const emergencyEndRoutes: FastifyPluginAsyncZod<EmergencyEndRoutesOptions> = async (app, o) => {
  const { ends, accounts } = o;

  app.post(
    '/api/content/emergencies/end-early',
    {
      ...routeOptions(
        'emergency.end',
        'End an emergency on air early: its screens return to the signed content',
        {
          body: EmergencyRef,
        },
      ),
      attachValidation: true,
    },
    async (request, reply) => {
      const actor = request.account!;
      const raw = request.body as { siteGroup?: unknown; id?: unknown } | undefined;
      const target = [raw?.siteGroup, raw?.id]
        .map((x) => (typeof x === 'string' ? x.slice(0, 100) : ''))
        .join('/');
      try {
        if (request.validationError) throw request.validationError;
        const status = await ends.end(request.body, actor.user.username);
        accounts.audit(actor, 'emergency.end-early', `${status.siteGroup}/${status.emergencyId}`, 'ok', {
          screens: status.screens.length,
          expiresAt: status.expiresAt,
          ...(request.body.id !== status.emergencyId ? { named: request.body.id } : {}),
        });
        return reply.header('cache-control', 'no-store').send(status);
      } catch (err) {
        const code = (err as { code?: unknown }).code;
        accounts.audit(actor, 'emergency.end-early', target, code === 'FORBIDDEN' ? 'denied' : 'failed', {
          code: typeof code === 'string' ? code : 'INTERNAL',
          message: (err as Error).message,
        });
        throw err;
      }
    },
  );

  app.get(
    '/api/content/emergencies/end-check',
    routeOptions(
      'emergency.end',
      'What ending an emergency early would take off air and which screens it goes to, or why it cannot be ended',
      { querystring: EmergencyRef },
    ),
    async (request, reply) => reply.header('cache-control', 'no-store').send(await ends.check(request.query)),
  );

  app.get(
    '/api/content/emergencies/end-status',
    routeOptions('content.view', 'Which screens confirmed the early end of an emergency', {
      querystring: EmergencyRef,
    }),
    async (request, reply) =>
      reply.header('cache-control', 'no-store').send(await ends.status(request.query)),
  );
};
