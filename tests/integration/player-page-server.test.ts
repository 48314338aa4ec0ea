import { openSync, readFileSync, renameSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CONTENT_CSP,
  CONTENT_MAX_AGE_S,
  contentUrl,
  PAGE_CSP,
  PageServer,
  parseRange,
} from '../../player/page-server.js';
import { memoryLogger } from '../../platform/log.js';
import { MutableContentSource } from '../helpers/dir-content.js';
import { playerBundle, SITE } from '../helpers/player-bundle.js';
import { tempDir } from '../helpers/temp.js';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A raw HTTP request (no URL normalisation, so "../" reaches the server as sent). */
function raw(
  origin: string,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
) {
  const u = new URL(origin);
  return new Promise<Reply>((resolve, reject) => {
    const req = request(
      { host: u.hostname, port: u.port, path, method: init.method ?? 'GET', headers: init.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}

describe('page server', () => {
  let dir: ReturnType<typeof tempDir>;
  let server: PageServer;
  let content: MutableContentSource;

  beforeEach(async () => {
    dir = tempDir('gatecast-pages-');
    content = new MutableContentSource(playerBundle(dir.path));
    server = new PageServer({ content, log: memoryLogger() });
    await server.start();
  });
  afterEach(async () => {
    await server.stop();
    dir.cleanup();
  });

  it('listens on 127.0.0.1 only and serves the page with a strict CSP', async () => {
    expect(server.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const page = await raw(server.origin, '/');
    expect(page.status).toBe(200);
    // Script and style are inlined and allowed by hash only; nothing else inline may run.
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'(;|$)/);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(page.body.toString()).toContain('window.gatecast');
    expect((await raw(server.origin, '/player.css')).headers['content-security-policy']).toBe(PAGE_CSP);
    expect((await raw(server.origin, '/player.js')).status).toBe(200);
  });

  it('serves a bundle file by target path, with its hash as ETag and a sandbox CSP for HTML', async () => {
    const bundle = content.current()!;
    const img = await raw(server.origin, contentUrl(`${SITE}/media/red.png`));
    expect(img.status).toBe(200);
    expect(img.headers['content-type']).toBe('image/png');
    expect(img.headers.etag).toBe(`"${bundle.targets.get(`${SITE}/media/red.png`)!.sha256}"`);
    const html = await raw(server.origin, contentUrl(`${SITE}/media/pkg/index.html`));
    expect(html.status).toBe(200);
    expect(html.headers['content-security-policy']).toBe(CONTENT_CSP);
    expect(CONTENT_CSP).toContain('sandbox allow-scripts');
  });

  it('lets the browser keep a file asked for by its verified hash, and refuses other hashes', async () => {
    const target = `${SITE}/media/red.png`;
    const sha256 = content.current()!.targets.get(target)!.sha256;
    const named = await raw(server.origin, contentUrl(target, sha256));
    expect(named.status).toBe(200);
    expect(named.headers['cache-control']).toBe(`private, max-age=${CONTENT_MAX_AGE_S}`);
    expect(named.body.equals(readFileSync(join(dir.path, target)))).toBe(true);
    // By path alone: asked again each time, as before.
    expect((await raw(server.origin, contentUrl(target))).headers['cache-control']).toBe('no-cache');
    // Other bytes under that name (a slide of a bundle since replaced): nothing to keep.
    const other = await raw(server.origin, contentUrl(target, 'ab'.repeat(32)));
    expect(other.status).toBe(404);
    expect(other.headers['cache-control']).toBe('no-cache');
    // A revalidation of the named file still checks the bytes on disk.
    const revalidated = await raw(server.origin, contentUrl(target, sha256), {
      headers: { 'if-none-match': `"${sha256}"` },
    });
    expect(revalidated.status).toBe(304);
    const fd = openSync(join(dir.path, target), 'r+');
    writeSync(fd, Buffer.from([named.body[40]! ^ 0xff]), 0, 1, 40);
    closeSync(fd);
    const damaged = await raw(server.origin, contentUrl(target, sha256), {
      headers: { 'if-none-match': `"${sha256}"` },
    });
    expect(damaged.status).toBe(404);
    writeFileSync(`${join(dir.path, target)}.new`, named.body);
    renameSync(`${join(dir.path, target)}.new`, join(dir.path, target));
  });

  it('never serves a file whose bytes changed in place (same size) and reports it to the store', async () => {
    const target = `${SITE}/media/red.png`;
    const reported: { target: string; sha256: string; kind: string }[] = [];
    content.reportUnusable = (t, sha256, problem) => reported.push({ target: t, sha256, kind: problem.kind });
    const good = await raw(server.origin, contentUrl(target));
    expect(good.status).toBe(200);
    const file = join(dir.path, target);
    expect(good.body.equals(readFileSync(file))).toBe(true);

    // Flip one byte in place: same size, same inode.
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.from([readFileSync(file)[40]! ^ 0xff]), 0, 1, 40);
    closeSync(fd);
    const variants: Record<string, string>[] = [
      {},
      { range: 'bytes=0-9' },
      { 'if-none-match': String(good.headers.etag) },
    ];
    for (const headers of variants) {
      const bad = await raw(server.origin, contentUrl(target), { headers });
      expect(bad.status, JSON.stringify(headers)).toBe(404);
    }
    expect(reported[0]).toEqual({
      target,
      sha256: content.current()!.targets.get(target)!.sha256,
      kind: 'damaged',
    });

    // Put the verified bytes back (a re-fetch renames a new file into place): served again.
    writeFileSync(`${file}.new`, good.body);
    renameSync(`${file}.new`, file);
    expect((await raw(server.origin, contentUrl(target))).status).toBe(200);
  });

  it('reports a deleted or truncated file instead of serving it', async () => {
    const reported: string[] = [];
    content.reportUnusable = (t, _sha, problem) => reported.push(`${t}:${problem.kind}`);
    const png = `${SITE}/media/green.png`;
    const html = `${SITE}/media/pkg/app.js`;
    writeFileSync(join(dir.path, png), readFileSync(join(dir.path, png)).subarray(0, 20));
    writeFileSync(`${join(dir.path, html)}`, '');
    expect((await raw(server.origin, contentUrl(png))).status).toBe(404);
    expect((await raw(server.origin, contentUrl(html))).status).toBe(404);
    expect(reported).toEqual([`${png}:damaged`, `${html}:damaged`]);
  });

  it('hashes a file once per version and reuses the verdict for later requests', async () => {
    const target = `${SITE}/media/clip.webm`;
    const before = { ...server.verdicts.counts };
    const replies = await Promise.all(
      [0, 1, 2, 3].map(() => raw(server.origin, contentUrl(target), { headers: { range: 'bytes=0-99' } })),
    );
    for (const r of replies) expect(r.status).toBe(206);
    await raw(server.origin, contentUrl(target));
    expect(server.verdicts.counts.hashed - before.hashed).toBe(1);
    expect(server.verdicts.counts.reused - before.reused).toBeGreaterThanOrEqual(1);
  });

  it('answers a Range request with 206 and exactly the bytes asked for', async () => {
    const path = contentUrl(`${SITE}/media/clip.webm`);
    const whole = await raw(server.origin, path);
    const part = await raw(server.origin, path, { headers: { range: 'bytes=100-199' } });
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 100-199/${whole.body.length}`);
    expect(part.body.equals(whole.body.subarray(100, 200))).toBe(true);
    const bad = await raw(server.origin, path, { headers: { range: `bytes=${whole.body.length + 5}-` } });
    expect(bad.status).toBe(416);
  });

  it('refuses path escapes and files that are not in the bundle', async () => {
    // A file on disk inside the content directory but not a target of the bundle:
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${dir.path}/${SITE}/media/secret.txt`, 'not a target');
    const refused = [
      '/content/../../../../etc/passwd',
      '/content/%2e%2e/%2e%2e/%2e%2e/etc/passwd',
      `/content/${SITE}/media/..%2f..%2f..%2fetc%2fpasswd`,
      '/content/%2Fetc%2Fpasswd',
      `/content/${SITE}/media/secret.txt`,
      `/content/${SITE}/media/gone.png`,
      `/content/${SITE}/media/red.png%00.txt`,
      '/content/%E0%A4%A',
      '/etc/passwd',
      '/../package.json',
    ];
    for (const p of refused) {
      const r = await raw(server.origin, p);
      expect([400, 404], p).toContain(r.status);
      expect(r.body.toString()).not.toContain('root:');
    }
  });

  it('refuses requests addressed to another host name', async () => {
    const r = await raw(server.origin, '/', { headers: { host: 'evil.example:80' } });
    expect(r.status).toBe(421);
  });

  it("takes no page reports (they go over the supervisor's pipe): a POST is refused", async () => {
    const report = JSON.stringify({ type: 'started', pageId: 'p', slideId: 'x', startAt: 1, actualStart: 1 });
    const r = await raw(server.origin, '/_/report', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: report,
    });
    expect(r.status).toBe(405);
  });

  it('parses byte ranges', () => {
    expect(parseRange('bytes=0-9', 100)).toEqual([0, 9]);
    expect(parseRange('bytes=90-', 100)).toEqual([90, 99]);
    expect(parseRange('bytes=-10', 100)).toEqual([90, 99]);
    expect(parseRange('bytes=50-500', 100)).toEqual([50, 99]);
    expect(parseRange('bytes=100-', 100)).toBeUndefined();
    expect(parseRange('bytes=5-1', 100)).toBeUndefined();
    expect(parseRange('items=0-1', 100)).toBeUndefined();
  });
});
