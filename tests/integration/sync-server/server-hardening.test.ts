/**
 * The sync server's own safety rules, through the real server: only a draft's creator (or an admin)
 * discards it, whichever API is used; the data folder and databases are private and the server
 * refuses to run with secrets others can read; beyond loopback the server needs its public URL and a
 * metrics token; over TLS browsers are told to stay on https.
 */
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../protocol/errors.js';
import { memoryLogger } from '../../../platform/log.js';
import { parseServerConfig } from '../../../sync-server/config/config.js';
import { createDemoRepository } from '../../../sync-server/tuf/demo-repository.js';
import { PASSWORD, startServerWithUsers } from '../../helpers/dashboard.js';
import { manifest } from '../../helpers/schedule-fixtures.js';
import { OPS_TOKEN, startServer } from '../../helpers/sync.js';
import { tempDir, tempFolder } from '../../helpers/temp.js';
import { selfSignedCert } from '../../helpers/tls.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';

const SG = 'kien-giang/ha-tien';
const cleanups = cleanupsAfterEach();

async function login(base: string, username: string) {
  const res = await fetch(`${base}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORD }),
  });
  expect(res.status).toBe(200);
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  return { cookie: res.headers.get('set-cookie')!.split(';')[0]!, 'x-csrf-token': csrfToken };
}

const modeOf = (path: string) => statSync(path).mode & 0o777;

describe('drafts belong to their creator in every API', () => {
  it('refuses another author discarding a draft through the publishing API; the creator may', async () => {
    const t = tempFolder(cleanups, 'gc-discard-');
    const demo = await createDemoRepository({ dir: join(t, 'tuf'), approvers: 2, log: memoryLogger() });
    const s = await startServerWithUsers(
      cleanups,
      t,
      { admin: 'admin', tam: 'author', hoa: 'author' },
      { tuf: { repoDir: demo.repoDir } },
    );
    const base = s.base;
    const tam = await login(base, 'tam');
    const hoa = await login(base, 'hoa');
    const created = await fetch(`${base}/api/publish/drafts`, {
      method: 'POST',
      headers: { ...tam, 'content-type': 'application/json' },
      body: JSON.stringify({ siteGroup: SG, manifest: JSON.stringify(manifest()), files: [] }),
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };

    for (const path of [`/api/publish/drafts/${id}`, `/api/content/drafts/${id}`]) {
      const res = await fetch(`${base}${path}`, { method: 'DELETE', headers: hoa });
      expect(res.status, path).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('NOT_DRAFT_OWNER');
    }
    expect((await s.server.tuf!.drafts.list()).map((d) => d.id)).toContain(id);

    const own = await fetch(`${base}/api/publish/drafts/${id}`, { method: 'DELETE', headers: tam });
    expect(own.status).toBe(204);
    expect((await s.server.tuf!.drafts.list()).map((d) => d.id)).not.toContain(id);
  });
});

describe('private files', () => {
  it('creates its data folder 0700 and its databases 0600', async () => {
    const t = tempDir('gc-modes-');
    cleanups.push(() => t.cleanup());
    const s = await startServer(t.path);
    cleanups.push(() => s.server.stop());
    const data = join(t.path, 'server');
    expect(modeOf(data)).toBe(0o700);
    for (const f of ['registry.db', 'accounts.db']) expect(modeOf(join(data, f)), f).toBe(0o600);
  });

  it('refuses to start with a data folder or TUF key folder that other users can read', async () => {
    const t = tempDir('gc-modes-');
    cleanups.push(() => t.cleanup());
    const data = join(t.path, 'server');
    mkdirSync(data, { mode: 0o755 });
    chmodSync(data, 0o755);
    await expect(startServer(t.path)).rejects.toMatchObject({
      code: 'FILE_MODE_INSECURE',
      message: expect.stringContaining(`chmod 700 ${data}`),
    });

    chmodSync(data, 0o700);
    const demo = await createDemoRepository({ dir: join(t.path, 'tuf'), approvers: 2, log: memoryLogger() });
    const keys = join(demo.repoDir, 'keys');
    chmodSync(keys, 0o755);
    await expect(startServer(t.path, { tuf: { repoDir: demo.repoDir } })).rejects.toMatchObject({
      code: 'FILE_MODE_INSECURE',
      message: expect.stringContaining(keys),
    });
  });
});

describe('serving beyond loopback', () => {
  const base = { dataDir: '/srv/gatecast', opsToken: OPS_TOKEN, trustedRootFile: '/srv/root.json' };

  it('needs publicUrl and metricsToken when listening on a non-loopback address, and names both', () => {
    let err: unknown;
    try {
      parseServerConfig({ ...base, host: '0.0.0.0' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const paths = (err as ConfigError).problems.map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['publicUrl', 'metricsToken']));
    expect(() =>
      parseServerConfig({
        ...base,
        host: '0.0.0.0',
        publicUrl: 'https://signage.example.gov.vn',
        metricsToken: 'm'.repeat(24),
      }),
    ).not.toThrow();
    for (const host of ['127.0.0.1', 'localhost', '::1', '127.0.0.2'])
      expect(() => parseServerConfig({ ...base, host }), host).not.toThrow();
  });

  it('tells browsers to stay on https over TLS, and not over plain http', async () => {
    const t = tempDir('gc-hsts-');
    cleanups.push(() => t.cleanup());
    const pem = selfSignedCert(t.path);
    const s = await startServer(t.path, { tls: { certFile: pem.cert, keyFile: pem.key } });
    cleanups.push(() => s.server.stop());
    const { request } = await import('node:https');
    const hsts = await new Promise<string | undefined>((resolve, reject) =>
      request(`${s.server.url}/api/health`, { rejectUnauthorized: false }, (res) => {
        res.resume();
        resolve(res.headers['strict-transport-security'] as string | undefined);
      })
        .on('error', reject)
        .end(),
    );
    expect(hsts).toMatch(/max-age=\d{7,}/);

    mkdirSync(join(t.path, 'plain'), { mode: 0o700 });
    const plain = await startServer(join(t.path, 'plain'));
    cleanups.push(() => plain.server.stop());
    const res = await fetch(`${plain.server.url}/api/health`);
    expect(res.headers.get('strict-transport-security')).toBeNull();
  });

  it('keeps /metrics to this machine when no metrics token is set', async () => {
    const t = tempDir('gc-metrics-');
    cleanups.push(() => t.cleanup());
    const s = await startServer(t.path);
    cleanups.push(() => s.server.stop());
    // From loopback it answers; the ops token is not asked for.
    expect((await fetch(`${s.server.url}/metrics`)).status).toBe(200);
  });
});
