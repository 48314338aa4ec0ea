/**
 * The releases feature as one fastify plugin: the releases page with its live stream and the rollout
 * API for the dashboard (releases.view, releases.manage) and for the ops token (routes.ts).
 */
import type { FastifyPluginAsync } from 'fastify';
import { releasesRoutes, type ReleasesRoutesOptions } from './routes.js';

export type ReleasesFeatureOptions = ReleasesRoutesOptions;

export const releasesFeature: FastifyPluginAsync<ReleasesFeatureOptions> = async (app, o) => {
  await app.register(releasesRoutes, o);
};
