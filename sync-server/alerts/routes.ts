/**
 * Alerts over HTTP for the dashboard:
 *   GET  /api/alerts       active alerts (alerts.view)
 *   POST /api/alerts/ack   {key} acknowledge one (alerts.acknowledge; CSRF-checked like every POST)
 * Acknowledgements go to the audit log under the operator's name.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AccountService } from '../accounts/service.js';
import { routeOptions } from '../web/route-access.js';
import type { AlertMonitor } from './monitor.js';

export interface AlertRoutesOptions {
  monitor: Pick<AlertMonitor, 'active' | 'acknowledge'>;
  accounts: Pick<AccountService, 'audit'>;
}

const AckBody = z.object({ key: z.string().min(1).max(300) });

export const alertRoutes: FastifyPluginAsyncZod<AlertRoutesOptions> = async (app, { monitor, accounts }) => {
  app.get('/api/alerts', routeOptions('alerts.view', 'Active alerts'), async () => ({
    alerts: monitor.active,
  }));

  app.post(
    '/api/alerts/ack',
    routeOptions('alerts.acknowledge', 'Acknowledge an active alert (audited)', { body: AckBody }),
    async (request) => {
      const account = request.account!; // set by the access-control guard on every guarded route
      const { key } = request.body;
      // An unknown key throws AlertNotFoundError (404 ALERT_NOT_FOUND).
      const step = monitor.acknowledge(key, account.user.username);
      accounts.audit(account, 'alert.acknowledge', key, 'ok');
      return { alert: step.active.find((a) => a.key === key) };
    },
  );
};
