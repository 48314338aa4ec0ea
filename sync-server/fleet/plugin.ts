/**
 * The fleet feature as one fastify plugin: the fleet and screen pages with their dashboard API
 * (routes.ts, signed-in sessions), fleet management (manage-routes.ts, fleet.manage), the ops REST API (ops-api.ts, the ops bearer token) and the
 * API's OpenAPI document with its page (api-docs.ts).
 */
import type { FastifyPluginAsync } from 'fastify';
import { apiDocsRoutes } from './api-docs.js';
import { opsApi, type OpsApiOptions } from './ops-api.js';
import { fleetRoutes, type FleetRoutesOptions } from './routes.js';
import { manageRoutes, type ManageRoutesOptions } from './manage-routes.js';

export interface FleetFeatureOptions {
  dashboard: FleetRoutesOptions;
  ops: OpsApiOptions;
  manage: ManageRoutesOptions;
}

export const fleetFeature: FastifyPluginAsync<FleetFeatureOptions> = async (app, o) => {
  await app.register(fleetRoutes, o.dashboard);
  await app.register(manageRoutes, o.manage);
  await app.register(opsApi, o.ops);
  await app.register(apiDocsRoutes, {
    accounts: o.dashboard.accounts,
    secureCookies: o.dashboard.secureCookies,
  });
};
