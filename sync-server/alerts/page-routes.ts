/**
 * The alerts page's HTTP side, a fastify plugin registered inside the access-controlled scope:
 *
 *   GET /dashboard/alerts[?gate=&kind=]  the page (alerts.view; redirects to login without a session)
 *   GET /dashboard/alerts/events         server-sent events: `alerts` (the localised AlertsView) on every change (alerts.view)
 *   GET /api/alerts/view                 the localised AlertsView as JSON (alerts.view)
 *   GET /api/alerts/history[?limit=]     recent alert events, newest first (alerts.view)
 *
 * Acknowledging stays POST /api/alerts/ack (sync-server/alerts/routes.ts: alerts.acknowledge, CSRF,
 * audited).
 */
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Logger } from '../../platform/log.js';
import { isAllowed } from '../web/roles.js';
import type { AccountService } from '../accounts/service.js';
import type { AlertFeed } from './feed.js';
import { alertStateOf } from './alert-state-store.js';
import { loadAlertHistory } from './store.js';
import type { AlertRecord } from './types.js';
import type { DeviceStore } from '../registry/device-store.js';
import type { GateStore } from '../registry/gate-store.js';
import type { Registry } from '../registry/registry.js';
import { ALERT_KINDS, alertsView, type AlertsView, renderAlertsPage } from './page.js';
import { openEventStream } from '../accounts/event-stream.js';
import { pageSession } from '../accounts/page-session.js';
import { type DashboardLanguage, languageOf } from '../dashboard/language.js';

export interface AlertsPageRoutesOptions {
  /** The monitor's active alerts. */
  active: () => readonly AlertRecord[];
  registry: {
    devices: Pick<DeviceStore, 'get'>;
    gates: Pick<GateStore, 'get' | 'list'>;
  } & Pick<Registry, 'featureStore'>;
  feed: AlertFeed;
  accounts: Pick<AccountService, 'authenticate'>;
  log: Logger;
  secureCookies: boolean | 'auto';
}

/** History events read for the page (the page lists the acknowledged and resolved ones among them). */
const HISTORY_READ = 200;
const HISTORY_MAX = 1000;

const ALERTS_VIEW_ROUTE = {
  config: { access: 'alerts.view' },
  schema: { summary: 'The alerts page’s rows, in the page’s language' },
} as const;

export const alertsPageRoutes: FastifyPluginAsync<AlertsPageRoutesOptions> = async (app, o) => {
  const fail = (reply: FastifyReply, status: number, code: string, message: string) =>
    reply.code(status).header('cache-control', 'no-store').send({ error: { code, message } });

  const view = (lang: DashboardLanguage): AlertsView =>
    alertsView(
      o.active(),
      loadAlertHistory(alertStateOf(o.registry), HISTORY_READ, o.log),
      {
        device: (id) => o.registry.devices.get(id),
        gate: (siteGroup) => o.registry.gates.get(siteGroup),
      },
      lang,
    );

  app.get<{ Querystring: { gate?: string; kind?: string } }>(
    '/dashboard/alerts',
    // The page checks the session itself, to send a browser to the login page.
    { config: { access: 'public' } },
    async (request, reply) => {
      const auth = pageSession(request, reply, o, 'alerts.view');
      if (!auth) return reply;
      const lang = languageOf(request);
      const gates = o.registry.gates.list();
      const gate = typeof request.query.gate === 'string' ? request.query.gate : '';
      const kind = typeof request.query.kind === 'string' ? request.query.kind : '';
      return reply
        .header('cache-control', 'no-store')
        .type('text/html; charset=utf-8')
        .send(
          renderAlertsPage({
            lang,
            view: view(lang),
            gates,
            canAcknowledge: isAllowed(auth.user.roles, 'alerts.acknowledge'),
            filter: {
              gate: gates.some((g) => g.siteGroup === gate) ? gate : '',
              kind: (ALERT_KINDS as string[]).includes(kind) ? kind : '',
            },
            user: auth.user,
            csrfToken: auth.session.csrfToken,
          }),
        );
    },
  );

  app.get('/api/alerts/view', ALERTS_VIEW_ROUTE, async (request, reply) =>
    reply.header('cache-control', 'no-store').send(view(languageOf(request))),
  );

  app.get<{ Querystring: { limit?: string } }>(
    '/api/alerts/history',
    { config: { access: 'alerts.view' }, schema: { summary: 'Past alerts, newest first' } },
    async (request, reply) => {
      const raw = request.query.limit ?? '100';
      const limit = Number(raw);
      if (!/^\d+$/.test(raw) || limit < 1 || limit > HISTORY_MAX)
        return fail(reply, 400, 'ALERT_INVALID', `limit must be a whole number from 1 to ${HISTORY_MAX}`);
      return reply
        .header('cache-control', 'no-store')
        .send({ history: loadAlertHistory(alertStateOf(o.registry), limit, o.log) });
    },
  );

  app.get('/dashboard/alerts/events', { config: { access: 'alerts.view' } }, async (request, reply) => {
    const lang = languageOf(request);
    const stream = openEventStream(request, reply, o);
    // Several changes in one event-loop turn (an evaluation, then an acknowledgement) send one view.
    let pending = false;
    const send = () => {
      pending = false;
      if (stream.ended) return;
      try {
        stream.send('alerts', view(lang));
      } catch (err) {
        o.log.warn('alerts stream: cannot build the view', { err });
      }
    };
    stream.onEnd(
      o.feed.subscribe(() => {
        if (pending) return;
        pending = true;
        setImmediate(send);
      }),
    );
  });
};
