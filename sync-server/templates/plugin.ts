/**
 * The emergency templates as one fastify plugin for the session scope: the API and the Templates
 * page (routes.ts). The emergency page shows the template picker (page.ts renderTemplatePicker)
 * through the content feature's `emergencyExtras`.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { GateConfig } from '../../protocol/config.js';
import type { AccountService } from '../accounts/service.js';
import { templateRoutes } from './routes.js';
import type { TemplateService } from './service.js';

export interface TemplatesFeatureOptions {
  service: TemplateService;
  gates: { list(): GateConfig[] };
  accounts: AccountService;
  secureCookies: boolean | 'auto';
}

const DEFAULT_TZ = 'Asia/Ho_Chi_Minh';

export const templatesFeature: FastifyPluginAsync<TemplatesFeatureOptions> = async (app, o) => {
  await app.register(templateRoutes, {
    service: o.service,
    accounts: o.accounts,
    secureCookies: o.secureCookies,
    gateLanguages: () => {
      const gates = o.gates.list();
      return {
        languages: [...new Set(gates.flatMap((g) => g.languages))],
        timezone: gates[0]?.timezone ?? DEFAULT_TZ,
      };
    },
  });
};
