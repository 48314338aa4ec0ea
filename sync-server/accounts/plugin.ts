/**
 * The accounts feature as one fastify plugin for the session scope: the sessions, users, keys and
 * audit API (routes.ts) and the sign-in, users, account and audit pages (page-routes.ts).
 */
import type { FastifyPluginAsync } from 'fastify';
import { accountPagesRoutes } from './page-routes.js';
import { accountRoutes } from './routes.js';
import type { AccountService } from './service.js';

export interface AccountsFeatureOptions {
  service: AccountService;
  secureCookies: boolean | 'auto';
}

export const accountsFeature: FastifyPluginAsync<AccountsFeatureOptions> = async (app, o) => {
  await app.register(accountRoutes, { service: o.service, secureCookies: o.secureCookies });
  await app.register(accountPagesRoutes, { accounts: o.service, secureCookies: o.secureCookies });
};
