/**
 * The alerts feature as one fastify plugin for the session scope: the alerts API (routes.ts:
 * active alerts, acknowledge) and the alerts page with its live stream (page-routes.ts).
 */
import type { FastifyPluginAsync } from 'fastify';
import type { Logger } from '../../platform/log.js';
import type { AccountService } from '../accounts/service.js';
import type { AlertFeed } from './feed.js';
import { type AlertsPageRoutesOptions, alertsPageRoutes } from './page-routes.js';
import { alertRoutes } from './routes.js';
import type { AlertService } from './service.js';

export interface AlertsFeatureOptions {
  alerts: AlertService;
  feed: AlertFeed;
  registry: AlertsPageRoutesOptions['registry'];
  accounts: AccountService;
  log: Logger;
  secureCookies: boolean | 'auto';
}

export const alertsFeature: FastifyPluginAsync<AlertsFeatureOptions> = async (app, o) => {
  await app.register(alertRoutes, { monitor: o.alerts.monitor, accounts: o.accounts });
  await app.register(alertsPageRoutes, {
    active: () => o.alerts.monitor.active,
    registry: o.registry,
    feed: o.feed,
    accounts: o.accounts,
    log: o.log,
    secureCookies: o.secureCookies,
  });
};
