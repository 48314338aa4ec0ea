/**
 * Alerts over HTTP for the dashboard:
 *   GET  /api/alerts       active alerts (alerts.view)
 *   POST /api/alerts/ack   {key} acknowledge one (alerts.acknowledge; CSRF-checked like every POST)
 * Acknowledgements go to the audit log under the operator's name.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { AccountService } from '../accounts/service.js';
import { isAlertNotFoundError } from './lifecycle.js';
import type { AlertMonitor } from './monitor.js';

export interface AlertRoutesOptions {
  monitor: Pick<AlertMonitor, 'active' | 'acknowledge'>;
  accounts: Pick<AccountService, 'audit'>;
}

export const alertRoutes: FastifyPluginAsync<AlertRoutesOptions> = async (app, { monitor, accounts }) => {
  app.get('/api/alerts', { config: { access: 'alerts.view' } }, async () => ({ alerts: monitor.active }));

  app.post('/api/alerts/ack', { config: { access: 'alerts.acknowledge' } }, async (request, reply) => {
    const account = request.account!; // set by the access-control guard on every guarded route
    const key = (request.body as { key?: unknown } | null)?.key;
    if (typeof key !== 'string' || key.length === 0 || key.length > 300)
      return reply
        .code(400)
        .send({ error: { code: 'ALERT_INVALID', message: 'body must be {"key": "<alert key>"}' } });
    try {
      const step = monitor.acknowledge(key, account.user.username);
      accounts.audit(account, 'alert.acknowledge', key, 'ok');
      return { alert: step.active.find((a) => a.key === key) };
    } catch (err) {
      if (isAlertNotFoundError(err))
        return reply.code(404).send({ error: { code: err.code, message: err.message } });
      throw err;
    }
  });
};
