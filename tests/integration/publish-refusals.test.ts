/**
 * Refusals on the account-guarded publishing API, on a real SyncServer with accounts: the old
 * shared token opens nothing, session mode never mounts unguarded, roles, CSRF and passwords are
 * enforced with clear, named errors, and a refused request changes nothing.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpPublishClient } from '../../provisioning/publish-client.js';
import { TUF_AUTHOR_TOKEN_DEPRECATED } from '../../sync-server/config/config.js';
import { publishRoutes } from '../../sync-server/content/publish-routes.js';
import { createHttpApp } from '../../sync-server/web/http-app.js';
import { PASSWORD } from '../helpers/dashboard.js';
import {
  auditLog,
  cliIo,
  gatecast,
  login,
  openDrafts,
  type Rig,
  SG,
  startRig,
} from '../helpers/publish-rig.js';

describe('refusals on the account-guarded publishing API', () => {
  let rig: Rig;
  beforeAll(async () => {
    // A config that still names the old shared token starts, with a warning saying what to do.
    rig = await startRig({ authorToken: 'old-shared-author-token-0123456789' });
  });
  afterAll(() => rig.stop());

  it('warns that tuf.authorToken is no longer used, and the token opens nothing', async () => {
    expect(rig.server.log.records).toContainEqual(
      expect.objectContaining({ level: 'warn', msg: TUF_AUTHOR_TOKEN_DEPRECATED }),
    );
    expect(TUF_AUTHOR_TOKEN_DEPRECATED).toContain('gatecast admin create');
    const res = await fetch(`${rig.base}/api/publish/drafts`, {
      headers: { authorization: 'Bearer old-shared-author-token-0123456789' },
    });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: { code: 'AUTH_REQUIRED', message: 'sign in first' } });
    // The CLI with --token says what to use instead.
    await expect(
      gatecast(
        cliIo(),
        'draft',
        'list',
        '--server',
        rig.base,
        '--token',
        'old-shared-author-token-0123456789',
      ),
    ).rejects.toMatchObject({ code: 'AUTH_REQUIRED', message: expect.stringContaining('use --user NAME') });
  });

  it('session mode refuses to mount where no access control guards it', async () => {
    const app = createHttpApp();
    const tuf = rig.server.server.tuf!;
    void app.register(publishRoutes, {
      repo: tuf.repo,
      drafts: tuf.drafts,
      auth: { session: { accounts: { audit: () => expect.fail('not reached') } } },
    });
    await expect(app.ready()).rejects.toThrow('must be registered inside installAccessControl');
    await app.close();
  });

  it('a viewer may not create a draft, and nothing is created', async () => {
    await expect(
      gatecast(
        cliIo(),
        'draft',
        'create',
        '--server',
        rig.base,
        '--user',
        'vy',
        '--site-group',
        SG,
        '--media',
        rig.media,
      ),
    ).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringContaining(
        '"vy" (role viewer) may not create, upload or discard drafts: that needs the admin or author role',
      ),
    });
    expect(await openDrafts(rig)).toEqual([]);
  });

  it('refuses a mutating request without the CSRF token, and one without a session', async () => {
    const tam = await login(rig.base, 'tam');
    const body = JSON.stringify({ siteGroup: SG, manifest: '{}', files: [] });
    const noCsrf = await fetch(`${rig.base}/api/publish/drafts`, {
      method: 'POST',
      headers: { cookie: tam.cookie, 'content-type': 'application/json' },
      body,
    });
    expect(noCsrf.status).toBe(403);
    expect(((await noCsrf.json()) as { error: { code: string } }).error.code).toBe('CSRF_INVALID');
    const crossSite = await fetch(`${rig.base}/api/publish/drafts`, {
      method: 'POST',
      headers: {
        cookie: tam.cookie,
        'x-csrf-token': tam.csrfToken,
        origin: 'https://evil.example',
        'content-type': 'application/json',
      },
      body,
    });
    expect(crossSite.status).toBe(403);
    const noSession = await fetch(`${rig.base}/api/publish/site-groups`);
    expect(noSession.status).toBe(401);
    expect(await openDrafts(rig)).toEqual([]);

    // With both, the same request reaches the draft checks (and their error format is unchanged).
    const ok = await fetch(`${rig.base}/api/publish/drafts`, {
      method: 'POST',
      headers: { cookie: tam.cookie, 'x-csrf-token': tam.csrfToken, 'content-type': 'application/json' },
      body,
    });
    expect(ok.status).toBe(400);
    expect(await ok.json()).toMatchObject({
      error: { code: expect.any(String), message: expect.any(String) },
    });
    // Refusals by the guard are audited as denied; a refused draft as failed, with its code.
    const audit = await auditLog(rig.base);
    expect(
      audit.filter((e) => e.actor === 'tam' && e.action === 'access.denied').map((e) => e.details['reason']),
    ).toEqual(['csrf', 'cross-site']);
    expect(audit.filter((e) => e.action === 'draft.create')).toEqual([
      expect.objectContaining({
        actor: 'tam',
        outcome: 'failed',
        details: { code: expect.any(String), message: expect.any(String) },
      }),
    ]);
    const sg = await fetch(`${rig.base}/api/publish/site-groups`, { headers: { cookie: tam.cookie } });
    expect(sg.status).toBe(200);
    expect(await sg.json()).toEqual([expect.objectContaining({ siteGroup: SG, threshold: 2 })]);
  });

  it('wrong password, no password source and too many attempts give clear, named errors', async () => {
    const wrong = join(rig.t.path, 'wrong-password');
    writeFileSync(wrong, 'not the password at all\n');
    const list = (...extra: string[]) => ['draft', 'list', '--server', rig.base, ...extra];
    await expect(
      gatecast(cliIo({}), ...list('--user', 'minh', '--password-file', wrong)),
    ).rejects.toMatchObject({
      code: 'AUTH_FAILED',
      message: expect.stringContaining('refused the login of "minh": wrong username or password'),
    });
    await expect(gatecast(cliIo({}), ...list('--user', 'minh'))).rejects.toMatchObject({
      code: 'USAGE',
      message: expect.stringContaining('give --password-file FILE or set GATECAST_PASSWORD'),
    });
    // The password file's content wins over the environment, and a right one works.
    const right = join(rig.t.path, 'password');
    writeFileSync(right, `${PASSWORD}\n`);
    expect(
      (
        await gatecast(
          cliIo({ GATECAST_PASSWORD: 'wrong' }),
          ...list('--user', 'minh', '--password-file', right),
        )
      ).out,
    ).toContain(`${SG} version 1 (published)`);

    // Three wrong passwords from one address, then that address waits (429 with the wait; the right
    // password does not help during it).
    const attempt = (password: string) =>
      HttpPublishClient.login({ server: rig.base, username: 'lan', password });
    for (let i = 0; i < 3; i++)
      await expect(attempt('wrong password number')).rejects.toMatchObject({ code: 'AUTH_FAILED' });
    await expect(attempt(PASSWORD)).rejects.toMatchObject({
      code: 'AUTH_RATE_LIMITED',
      status: 429,
      message: expect.stringMatching(/too many login attempts for "lan"; try again in \d+ s/),
    });
  });
});
