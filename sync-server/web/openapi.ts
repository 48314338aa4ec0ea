/**
 * The server's OpenAPI 3 document, generated from the routes themselves: each route's zod schemas
 * (params, querystring, body, through fastify-type-provider-zod's jsonSchemaTransform), its summary,
 * and who may call it (`x-access`, the route table's declaration, also said in words in the
 * description and as the operation's security). The dashboard's HTML pages and static files
 * (public routes under /dashboard) are not API and stay out of it.
 *
 * Served to signed-in sessions only (fleet/api-docs.ts: GET /api/openapi.json, and the page that
 * lists it); nothing here serves it.
 */
import fastifySwagger from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { packageVersion } from '../../platform/package-version.js';
import type { RouteAccess } from './route-access.js';

/** Who may call a route, in words. */
export function accessText(access: RouteAccess): string {
  switch (access) {
    case 'public':
      return 'public: no credential';
    case 'ops-token':
      return 'ops token: Authorization: Bearer <opsToken>';
    case 'metrics-token':
      return 'metrics token: Authorization: Bearer <metricsToken>';
    default:
      return `signed-in session whose role may ${access} (mutating methods also need the x-csrf-token header)`;
  }
}

function securityOf(access: RouteAccess): Record<string, string[]>[] {
  if (access === 'public') return [];
  if (access === 'ops-token') return [{ opsToken: [] }];
  if (access === 'metrics-token') return [{ metricsToken: [] }];
  return [{ session: [] }];
}

/** Whether a route is a dashboard page or static file rather than part of the API. */
const isPage = (url: string, access: unknown) =>
  access === 'public' && (url === '/dashboard' || url.startsWith('/dashboard/'));

/** Registers the document's generator on the root app, before the routes it describes. */
export async function installOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'gatecast sync server',
        version: packageVersion() ?? '0.0.0',
        description:
          'Every error answers {"error": {"code", "message", "problems"?}} with a stable code; ' +
          'x-access on each operation says who may call it.',
      },
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'gatecast_session' },
          opsToken: { type: 'http', scheme: 'bearer' },
          metricsToken: { type: 'http', scheme: 'bearer' },
        },
      },
    },
    transform: (doc) => {
      const access = (doc.route.config as { access?: RouteAccess } | undefined)?.access;
      if (access === undefined || isPage(doc.url, access)) return { schema: { hide: true }, url: doc.url };
      const t = jsonSchemaTransform(doc);
      const schema = (t.schema ?? {}) as Record<string, unknown>;
      const words = accessText(access);
      return {
        url: t.url,
        schema: {
          ...schema,
          description: schema['description'] ? `${String(schema['description'])}\n\n${words}` : words,
          security: securityOf(access),
          'x-access': access,
        },
      };
    },
  });
}
