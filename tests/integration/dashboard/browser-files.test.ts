/**
 * The dashboard pages' browser files are served from their features' browser/ folders: every
 * script and stylesheet a page names is there, with its type, `no-cache` and the dashboard CSP; the
 * bytes are the files' own; nothing else of the server (no listing, no source, no type declarations,
 * no path out of the folder) is reachable through those URLs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_CSP } from '../../../sync-server/web/security-headers.js';
import { createUsers, PASSWORD } from '../../helpers/dashboard.js';
import { startServer } from '../../helpers/sync.js';
import { tempDir } from '../../helpers/temp.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));

let dir: ReturnType<typeof tempDir>;
let s: Awaited<ReturnType<typeof startServer>>;
let cookie: string;

beforeAll(async () => {
  dir = tempDir('gc-browser-files-');
  await createUsers(join(dir.path, 'server'), [{ username: 'admin', role: 'admin' }]);
  s = await startServer(dir.path);
  const res = await fetch(`${s.server.url}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: PASSWORD }),
  });
  expect(res.status).toBe(200);
  cookie = res.headers.get('set-cookie')!.split(';')[0]!;
});

afterAll(async () => {
  await s?.server.stop();
  dir?.cleanup();
});

/** The scripts and stylesheets a page names. */
async function assetsOf(path: string): Promise<string[]> {
  const res = await fetch(`${s.server.url}${path}`, { headers: { cookie } });
  expect(res.status, path).toBe(200);
  const html = await res.text();
  return [...html.matchAll(/<(?:script[^>]*\ssrc|link[^>]*\shref)="([^"]+)"/g)].map((m) => m[1]!);
}

describe('dashboard browser files', () => {
  it("serves every script and stylesheet the pages name, as the feature folder's file", async () => {
    const named = new Set<string>();
    for (const path of [
      '/dashboard/login',
      '/dashboard',
      '/dashboard/alerts',
      '/dashboard/content',
      '/dashboard/users',
      '/dashboard/account',
      '/dashboard/audit',
      '/dashboard/reports',
      '/dashboard/releases',
      '/dashboard/templates',
    ])
      for (const url of await assetsOf(path)) named.add(url);
    // The approval pages need a TUF repository (not served here); their files are served all the same.
    named.add('/dashboard/static/content/browser/approval-page.js');
    named.add('/dashboard/static/content/browser/approval.css');
    named.add('/dashboard/static/content/browser/signing.js');
    expect(named.size).toBeGreaterThanOrEqual(9);
    for (const url of named) {
      const m =
        /^\/dashboard\/static\/(dashboard|fleet|content|accounts|alerts|releases|templates|reports)\/browser\/([\w-]+\.(js|css))$/.exec(
          url,
        );
      expect(m, url).not.toBeNull();
      const res = await fetch(`${s.server.url}${url}`);
      expect(res.status, url).toBe(200);
      expect(res.headers.get('content-type'), url).toMatch(
        m![3] === 'js' ? /^(text|application)\/javascript/ : /^text\/css/,
      );
      expect(res.headers.get('cache-control'), url).toBe('no-cache');
      expect(res.headers.get('content-security-policy'), url).toBe(DASHBOARD_CSP);
      expect(res.headers.get('x-content-type-options'), url).toBe('nosniff');
      expect(await res.text(), url).toBe(
        readFileSync(join(repo, 'sync-server', m![1]!, 'browser', m![2]!), 'utf8'),
      );
    }
    // The pages' own scripts import the shared helper by a relative path: it is there too.
    expect(named).toContain('/dashboard/static/dashboard/browser/client.js');
  });

  it('serves nothing else: no listing, no type declarations, no server source, no way out', async () => {
    for (const path of [
      '/dashboard/static/',
      '/dashboard/static/dashboard/browser/',
      '/dashboard/static/dashboard/browser',
      '/dashboard/static/dashboard/browser/window.d.ts',
      '/dashboard/static/dashboard/browser/../layout.ts',
      '/dashboard/static/dashboard/browser/%2e%2e/layout.ts',
      '/dashboard/static/dashboard/browser/..%2flayout.ts',
      '/dashboard/static/dashboard/browser/%2e%2e%2f%2e%2e%2fmain.ts',
      '/dashboard/static/content/browser/../../content/routes.ts',
      '/dashboard/static/tuf/browser/routes.ts',
      '/dashboard/static/app.css',
      '/dashboard/static/content.js',
      '/dashboard/static/dashboard/browser/.hidden.js',
    ]) {
      const res = await fetch(`${s.server.url}${path}`);
      const body = await res.text();
      expect(res.status, path).toBe(404);
      expect(body, path).not.toMatch(/import |export /);
    }
  });
});
