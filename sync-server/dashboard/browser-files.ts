/**
 * The dashboard pages' browser code and stylesheets, served as they lie in the source tree:
 *
 *   GET /dashboard/static/<feature>/browser/<file>.js|.css   (public; no session needed, no data)
 *
 * for the features dashboard (the shell: client helper and stylesheet), fleet (fleet and screen pages), content
 * (authoring and approval pages), accounts (sign-in, users, account, audit), alerts, releases and
 * templates (emergency templates). Each folder is `sync-server/<feature>/browser/`
 * next to this module's own folder, so the same layout works from the source tree (vitest) and from
 * dist/ (`npm run build` copies the folders, see scripts/copy-browser-files.mjs). The URL mirrors the
 * folder, so a page script's relative `import '../../dashboard/browser/client.js'` means the same
 * file on disk (tsc, vitest) and on the server (the browser).
 *
 * No directory listing, no index, no dot files, only top-level .js and .css names; nothing outside
 * these folders. `no-cache`: the browser revalidates (ETag / Last-Modified) so an upgrade is seen.
 */
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';

/** The features whose `browser/` folder the dashboard serves. */
export const BROWSER_FEATURES = [
  'dashboard',
  'fleet',
  'content',
  'accounts',
  'alerts',
  'releases',
  'templates',
] as const;
export type BrowserFeature = (typeof BROWSER_FEATURES)[number];

/** A feature's browser folder on disk (source tree or dist/, whichever this module runs from). */
export function browserDir(feature: BrowserFeature): string {
  return fileURLToPath(new URL(`../${feature}/browser/`, import.meta.url));
}

/** The URL path of one file of a feature's browser folder. */
export function browserUrl(feature: BrowserFeature, file: string): string {
  return `/dashboard/static/${feature}/browser/${file}`;
}

const SERVED_NAME = /^\/[A-Za-z0-9][\w.-]*\.(?:js|css)$/;

export const browserFiles: FastifyPluginAsync = async (app) => {
  // Every route of this plugin is public (@fastify/static takes no route config, so it is declared
  // here): the pages' scripts and stylesheets, the same for everyone, no data in them.
  app.addHook('onRoute', (route) => {
    route.config ??= {};
    route.config.access = 'public';
  });
  for (const feature of BROWSER_FEATURES) {
    await app.register(fastifyStatic, {
      root: browserDir(feature),
      prefix: `/dashboard/static/${feature}/browser/`,
      list: false,
      index: false,
      redirect: false,
      dotfiles: 'deny',
      allowedPath: (pathName) => SERVED_NAME.test(pathName),
      cacheControl: false,
      setHeaders: (res) => {
        res.setHeader('cache-control', 'no-cache');
      },
      // Nothing here calls reply.sendFile; the TUF file server may decorate the reply elsewhere.
      decorateReply: false,
    });
  }
};
