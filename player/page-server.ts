/**
 * Serves the player page and the active bundle's verified files, on 127.0.0.1 only.
 *
 * - `/`, `/player.js`, `/player.css`: the page (a fixed list; nothing else from disk).
 * - `/content/<target path>`: a file of the active bundle, only if the bundle lists that target and
 *   its bytes hash to the verified metadata's SHA-256 (checked on the first request after start and
 *   after any change of the file, see file-verdicts.ts); 404 for everything else, and a file that
 *   fails the check is reported to the content store. Range requests for video.
 * Nothing is posted here: the page reports to the supervisor over its DevTools pipe
 * (browser/chromium-supervisor.ts), so no local process can report a switch through this server.
 *
 * Every response carries a strict Content-Security-Policy; HTML packages additionally get a CSP
 * sandbox, so they run without same-origin rights and without network even if opened top-level.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline } from 'node:stream';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { targetPathProblem } from '../protocol/content.js';
import { coded } from '../protocol/errors.js';
import { createLogger, type Logger } from '../platform/log.js';
import { type FileProblem, FileVerdicts } from './file-verdicts.js';

export class PageServerError extends coded('PAGE_SERVER_FAILED') {}

const BASE_PAGE_CSP = [
  "default-src 'none'",
  "img-src 'self'",
  "media-src 'self'",
  "font-src 'self'",
  "frame-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
];

/** CSP of everything the page server sends that is not an HTML package file. */
export const PAGE_CSP = [...BASE_PAGE_CSP, "script-src 'self'", "style-src 'self'"].join('; ');

/** For files of HTML packages: sandboxed, may use their own bundle files, may not reach anything. */
export const CONTENT_CSP = [
  'sandbox allow-scripts',
  "default-src 'self'",
  "script-src 'self' 'unsafe-inline'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "font-src 'self' data:",
  "connect-src 'none'",
  "worker-src 'none'",
  "frame-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

const PAGE_FILES: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/player.js': { file: 'player.js', type: 'text/javascript; charset=utf-8' },
  '/player.css': { file: 'player.css', type: 'text/css; charset=utf-8' },
};

const CONTENT_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
  '.avif': 'image/avif',
  '.svg': 'image/svg+xml',
  '.webm': 'video/webm',
  '.mp4': 'video/mp4',
  '.m4v': 'video/mp4',
  '.ogv': 'video/ogg',
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
};

export const CONTENT_PREFIX = '/content/';

/**
 * The URL (on the page server) of a bundle target. With `sha256` (the verified hash) the URL names
 * those bytes only: the server answers it only while they are the verified file, and lets the
 * browser keep the answer for CONTENT_MAX_AGE_S, so a file that plays every loop is not asked for
 * again on every play.
 */
export function contentUrl(targetPath: string, sha256?: string): string {
  const path = CONTENT_PREFIX + targetPath.split('/').map(encodeURIComponent).join('/');
  return sha256 ? `${path}?sha256=${sha256}` : path;
}

/**
 * How long the browser may keep a file asked for by its hash before asking again. Bytes behind such
 * a URL never change (another hash is another URL), so this only bounds how soon a file damaged on
 * disk is noticed while it plays from the browser's cache: the page server checks the file's bytes
 * on each request it gets (and the boot check re-hashes everything).
 */
export const CONTENT_MAX_AGE_S = 300;

/** The page's folder: next to this file in the source tree, or in the source tree from dist/. */
export function pageDir(): string {
  const candidates = [
    fileURLToPath(new URL('./page/', import.meta.url)),
    fileURLToPath(new URL('../../player/page/', import.meta.url)),
  ];
  const found = candidates.find((d) => existsSync(join(d, 'index.html')));
  if (!found) throw new PageServerError(`player page not found (looked in ${candidates.join(', ')})`);
  return found;
}

/**
 * What the page server needs of the content store: the active bundle's targets and verified files.
 * device/content/installed.ts's ContentSource satisfies it (player/ does not import device/).
 */
export interface ServedContent {
  current():
    | {
        targets: ReadonlyMap<string, { sha256: string; length: number }>;
        filePath(targetPath: string): string | undefined;
      }
    | undefined;
  /**
   * A listed file is missing or its bytes are not the verified ones: it was not served. The store
   * sets it aside and fetches it again.
   */
  reportUnusable?(targetPath: string, sha256: string, problem: FileProblem): void;
}

export interface PageServerOptions {
  content: ServedContent;
  /** 0 picks a free port. */
  port?: number;
  log?: Logger;
  /** Verdicts on files already hashed (shared with the content store, or the page server's own). */
  verdicts?: FileVerdicts;
}

export class PageServer {
  private server: Server | undefined;
  private readonly pageCache = new Map<string, Buffer>();
  private inlined: { body: Buffer; csp: string } | undefined;
  private readonly log: Logger;
  private origin_ = '';
  readonly verdicts: FileVerdicts;

  constructor(private readonly options: PageServerOptions) {
    this.log = options.log ?? createLogger('player:page-server');
    this.verdicts = options.verdicts ?? new FileVerdicts();
  }

  /** `http://127.0.0.1:PORT` once started. */
  get origin(): string {
    if (!this.origin_) throw new PageServerError('page server not started');
    return this.origin_;
  }

  /** The player page's URL. */
  get pageUrl(): string {
    return `${this.origin}/`;
  }

  async start(): Promise<void> {
    const dir = pageDir();
    for (const { file } of Object.values(PAGE_FILES)) {
      if (!this.pageCache.has(file)) this.pageCache.set(file, await readFile(join(dir, file)));
    }
    this.inlinePage();
    const server = createServer((req, res) => {
      this.handle(req, res).catch((err) => {
        this.log.error('request failed', { url: req.url, err });
        if (!res.headersSent) send(res, 500, 'internal error');
        else res.destroy();
      });
    });
    server.keepAliveTimeout = 30_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) =>
        reject(new PageServerError(`cannot listen on 127.0.0.1:${this.options.port ?? 0}`, { cause: err })),
      );
      server.listen(this.options.port ?? 0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    const { port } = server.address() as AddressInfo;
    this.origin_ = `http://127.0.0.1:${port}`;
    this.log.info('page server listening', { origin: this.origin_ });
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /**
   * The page with its script and style inlined (one request to first paint instead of three; each
   * request goes through the browser's interception), allowed by their hashes in the CSP.
   */
  private inlinePage(): void {
    const html = this.pageCache.get('index.html')!.toString('utf8');
    const js = this.pageCache.get('player.js')!.toString('utf8');
    const css = this.pageCache.get('player.css')!.toString('utf8');
    if (js.includes('</script') || css.includes('</style'))
      throw new PageServerError('player.js/player.css cannot be inlined');
    const hash = (s: string) => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;
    const body = html
      // Tolerant of formatting: `<link …>` or `<link … />`, any whitespace after the script tag.
      .replace(/<link rel="stylesheet" href="\/player\.css"\s*\/?>/, () => `<style>${css}</style>`)
      .replace(/<script src="\/player\.js" defer><\/script>\s*/, '')
      .replace('</body>', () => `<script>${js}</script>\n</body>`);
    if (!body.includes('<script>') || !body.includes('<style>'))
      throw new PageServerError('player page template lacks its script or style tag');
    this.inlined = {
      body: Buffer.from(body, 'utf8'),
      csp: [...BASE_PAGE_CSP, `script-src ${hash(js)}`, `style-src 'self' ${hash(css)}`].join('; '),
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Refuse requests addressed to another name (DNS rebinding): only our loopback origin.
    const port = (this.server?.address() as AddressInfo | null)?.port;
    const host = req.headers.host ?? '';
    if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) return send(res, 421, 'wrong host');

    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return send(res, 405, 'method not allowed', { allow: 'GET, HEAD' });

    const page = PAGE_FILES[path];
    if (page) {
      const isDoc = page.file === 'index.html';
      const body = isDoc ? this.inlined!.body : this.pageCache.get(page.file)!;
      res.writeHead(200, {
        ...commonHeaders(isDoc ? this.inlined!.csp : PAGE_CSP),
        'content-type': page.type,
        'content-length': body.length,
      });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    if (path.startsWith(CONTENT_PREFIX))
      return this.serveContent(req, res, path.slice(CONTENT_PREFIX.length), url.searchParams.get('sha256'));
    return send(res, 404, 'not found');
  }

  private async serveContent(
    req: IncomingMessage,
    res: ServerResponse,
    encoded: string,
    askedSha256: string | null,
  ): Promise<void> {
    let target: string;
    try {
      target = encoded.split('/').map(decodeURIComponent).join('/');
    } catch {
      send(res, 400, 'bad path');
      return;
    }
    // Escapes ("..", absolute, backslash, NUL) are not bundle targets: the same 404 as any unknown file.
    const content = this.options.content;
    const bundle = content.current();
    const info = bundle?.targets.get(target);
    const file = !targetPathProblem(target) && info ? bundle?.filePath(target) : undefined;
    if (!bundle || !info || !file) {
      this.log.debug('content refused', { target });
      send(res, 404, 'not found');
      return;
    }
    // A URL that names other bytes than the verified ones (a slide of a bundle since replaced) gets
    // nothing: its answer could be kept under that name.
    if (askedSha256 !== null && askedSha256 !== info.sha256) {
      this.log.debug('content refused: asked for other bytes', { target, askedSha256 });
      send(res, 404, 'not found');
      return;
    }
    // Only bytes that hash to the verified metadata leave here, from the very handle that was checked.
    const opened = await this.verdicts.open(file, info);
    if (!('handle' in opened)) {
      this.log.error('bundle file not served: it is not the verified file', { target, ...opened });
      try {
        content.reportUnusable?.(target, info.sha256, opened);
      } catch (err) {
        this.log.error('reporting an unusable file failed', { target, err });
      }
      send(res, 404, 'not found');
      return;
    }
    const { handle, size } = opened;
    let handed = false;
    try {
      const type = CONTENT_TYPES[extname(target).toLowerCase()] ?? 'application/octet-stream';
      const csp = type.startsWith('text/html') || type === 'image/svg+xml' ? CONTENT_CSP : PAGE_CSP;
      const headers: Record<string, string | number> = {
        ...commonHeaders(csp),
        ...(askedSha256 !== null ? { 'cache-control': `private, max-age=${CONTENT_MAX_AGE_S}` } : {}),
        'content-type': type,
        'accept-ranges': 'bytes',
        etag: `"${info.sha256}"`,
      };
      if (req.headers['if-none-match'] === `"${info.sha256}"`) {
        res.writeHead(304, headers);
        res.end();
        return;
      }
      let start = 0;
      let end = size - 1;
      let status = 200;
      const range = req.headers.range;
      if (range) {
        const r = parseRange(range, size);
        if (!r) {
          res.writeHead(416, { ...headers, 'content-range': `bytes */${size}` });
          res.end();
          return;
        }
        [start, end] = r;
        status = 206;
        headers['content-range'] = `bytes ${start}-${end}/${size}`;
      }
      headers['content-length'] = size === 0 ? 0 : end - start + 1;
      res.writeHead(status, headers);
      if (req.method === 'HEAD' || size === 0) {
        res.end();
        return;
      }
      const stream = createReadStream('', { fd: handle, start, end, autoClose: true });
      handed = true;
      // pipeline closes the handle when the page goes away mid-file, too.
      pipeline(stream, res, (err) => {
        if (err && (err as { code?: string }).code !== 'ERR_STREAM_PREMATURE_CLOSE')
          this.log.warn('read failed', { target, err });
      });
    } finally {
      if (!handed) await handle.close();
    }
  }
}

function commonHeaders(csp: string): Record<string, string> {
  return {
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-cache',
    'cross-origin-resource-policy': 'same-origin',
  };
}

function send(res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, {
    ...commonHeaders(PAGE_CSP),
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...extra,
  });
  res.end(text);
}

/** A single `bytes=a-b`, `bytes=a-` or `bytes=-n` range within `size`, or undefined. */
export function parseRange(header: string, size: number): [number, number] | undefined {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '') || size === 0) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0) return undefined;
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start > end || start >= size) return undefined;
  return [start, end];
}
