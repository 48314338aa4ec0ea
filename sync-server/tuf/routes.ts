/**
 * Serves a TUF repository over HTTP:
 * - `GET /tuf/metadata/<file>`: `N.root.json`, `root.json`, `timestamp.json`, `N.snapshot.json`,
 *   `N.targets.json`, `N.<role>.json`;
 * - `GET /tuf/targets/<dirs>/<sha256>.<file>`: target files.
 *
 * Range requests (206, `Accept-Ranges: bytes`), Content-Length and ETag come from @fastify/static.
 * No directory listing, no dot files (temp files of atomic writes), nothing outside the two
 * folders (keys and drafts live beside them and are never served). Versioned metadata and hashed
 * targets never change, so they are cacheable forever; timestamp.json and root.json are not cached.
 *
 * The bytes are the authors' (HTML items, scripts, media) on the dashboard's origin: every response
 * is a download (octet-stream, attachment, nosniff, `CSP: sandbox`), so nothing in them runs as the
 * dashboard even when opened directly. Devices read them through tuf-js, which ignores the type.
 */
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import { untrustedDownloadHeaders } from '../web/untrusted-bytes.js';
import { repoLayout } from './layout.js';

export interface TufRoutesOptions {
  /** The repository directory (holding metadata/ and targets/). */
  repoDir: string;
  /** URL prefix; default `/tuf`. */
  prefix?: string;
}

const IMMUTABLE = 'public, max-age=31536000, immutable';

export const tufRoutes: FastifyPluginAsync<TufRoutesOptions> = async (app: FastifyInstance, opts) => {
  const layout = repoLayout(opts.repoDir);
  // Every route of this plugin is public (@fastify/static takes no route config, so it is declared
  // here): signed metadata that every device verifies, and content-addressed targets it names.
  app.addHook('onRoute', (route) => {
    route.config ??= {};
    route.config.access = 'public';
  });
  const prefix = opts.prefix ?? '/tuf';
  app.addHook('onSend', async (request, reply) => {
    void reply.headers(untrustedDownloadHeaders(lastSegment(request.url)));
  });
  const common = {
    list: false,
    index: false,
    redirect: false,
    dotfiles: 'deny',
    acceptRanges: true,
    cacheControl: false,
    wildcard: true,
    decorateReply: false,
  } as const;
  await app.register(fastifyStatic, {
    ...common,
    root: layout.metadataDir,
    prefix: `${prefix}/metadata/`,
    setHeaders: (reply, path) => {
      const name = path.split('/').pop() ?? '';
      reply.setHeader('cache-control', /^\d+\./.test(name) ? IMMUTABLE : 'no-cache');
    },
  });
  await app.register(fastifyStatic, {
    ...common,
    root: layout.targetsDir,
    prefix: `${prefix}/targets/`,
    setHeaders: (reply) => {
      reply.setHeader('cache-control', IMMUTABLE);
    },
  });
};

function lastSegment(url: string): string {
  const raw = url.split('?')[0]!.split('/').pop() ?? '';
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw; // not valid percent-encoding: name the download as requested
  }
}

/** URLs of a repository served under `base` (e.g. `http://127.0.0.1:8080`) with the default prefix. */
export function tufUrls(base: string, prefix = '/tuf'): { metadataUrl: string; targetsUrl: string } {
  const b = base.replace(/\/+$/, '');
  return { metadataUrl: `${b}${prefix}/metadata/`, targetsUrl: `${b}${prefix}/targets/` };
}
