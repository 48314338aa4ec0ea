import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apiLogin, startServerWithUsers } from '../../helpers/dashboard.js';
import { parseExposition } from '../../helpers/prometheus.js';
import { manifest } from '../../helpers/schedule-fixtures.js';
import { enrolTestDevice, GATE } from '../../helpers/sync.js';
import { startTufRepo } from '../../helpers/tuf-repo.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';
import { tempFolder } from '../../helpers/temp.js';

const cleanups = cleanupsAfterEach();

const login = apiLogin;

describe('dashboard routes, roles, metrics and health', () => {
  it('guards every dashboard route by session, role and CSRF; previews the schedule; serves metrics and health', async () => {
    const dir = tempFolder(cleanups, 'gc-dash-api-');
    const bundle = Buffer.from(JSON.stringify(manifest()));
    const tuf = await startTufRepo({ serve: false, files: { 'kien-giang/ha-tien/bundle.json': bundle } });
    cleanups.push(() => tuf.close());
    const s = await startServerWithUsers(
      cleanups,
      dir,
      { admin: 'admin', op: 'operator', viewer: 'viewer' },
      { tuf: { repoDir: tuf.dir } },
    );
    const base = s.base;
    const e = await enrolTestDevice(s.api, base, join(dir, 'd'), 'sảnh <b>A</b>');

    // Health: no auth at all.
    const health = await fetch(`${base}/api/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({
      ok: true,
      status: 'ok',
      db: 'ok',
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
    });

    // Metrics parse and count the enrolled (offline) device.
    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    const m = parseExposition(await metrics.text()).samples;
    expect(m.get('gatecast_screens{state="offline"}')).toBe(1);
    expect(m.get('gatecast_screens{state="playing"}')).toBe(0);
    expect(m.get('gatecast_ws_connections')).toBe(0);
    expect(m.has('gatecast_commands{state="queued"}')).toBe(true);

    // Without a session: pages send to the login page, the APIs answer 401; the ops token is not a session.
    const page = await fetch(`${base}/dashboard`, { redirect: 'manual' });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/dashboard/login');
    const bearer = await fetch(`${base}/api/dashboard/fleet`, {
      headers: { authorization: `Bearer ${s.config.opsToken}` },
    });
    expect(bearer.status).toBe(401);
    expect((await fetch(`${base}/dashboard/events`)).status).toBe(401);
    // The ops REST API still wants its token.
    expect((await fetch(`${base}/api/devices`)).status).toBe(401);

    const viewer = await login(base, 'viewer');
    const op = await login(base, 'op');
    const post = (
      who: { cookie: string; csrfToken: string } | undefined,
      csrf: boolean,
      body: unknown = { name: 'identify' },
    ) =>
      fetch(`${base}/api/dashboard/devices/${e.deviceId}/commands`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(who ? { cookie: who.cookie } : {}),
          ...(who && csrf ? { 'x-csrf-token': who.csrfToken } : {}),
        },
        body: JSON.stringify(body),
      });
    expect((await post(undefined, false)).status).toBe(401);
    const noCsrf = await post(op, false);
    expect(noCsrf.status).toBe(403);
    expect(((await noCsrf.json()) as { error: { code: string } }).error.code).toBe('CSRF_INVALID');
    const asViewer = await post(viewer, true);
    expect(asViewer.status).toBe(403);
    expect(((await asViewer.json()) as { error: { code: string } }).error.code).toBe('FORBIDDEN');
    expect((await post(op, true, { name: 'format-disk' })).status).toBe(400);
    const ok = await post(op, true);
    expect(ok.status).toBe(201);
    const cmd = (await ok.json()) as { id: string; name: string; state: string };
    expect(cmd).toMatchObject({ name: 'identify', state: 'queued' });
    const read = await fetch(`${base}/api/dashboard/commands/${cmd.id}`, {
      headers: { cookie: viewer.cookie },
    });
    expect(((await read.json()) as { id: string }).id).toBe(cmd.id);
    // The command is in the audit log with its operator.
    const admin = await login(base, 'admin');
    const audit = (await (
      await fetch(`${base}/api/audit?action=device.command`, { headers: { cookie: admin.cookie } })
    ).json()) as {
      entries: { actor: string; target: string; outcome: string }[];
    };
    expect(audit.entries.filter((x) => x.outcome === 'ok')).toEqual([
      expect.objectContaining({ actor: 'op', target: e.deviceId }),
    ]);

    // Pages: strict CSP, escaped names, viewer sees no command buttons, the schedule preview from the published bundle.
    const fleet = await fetch(`${base}/dashboard`, { headers: { cookie: viewer.cookie } });
    expect(fleet.headers.get('content-security-policy')).toContain("script-src 'self'");
    const fleetHtml = await fleet.text();
    expect(fleetHtml).toContain('sảnh &lt;b&gt;A&lt;/b&gt;');
    expect(fleetHtml).not.toContain('<b>A</b>');
    expect(fleetHtml).not.toMatch(/<script(?![^>]*(src="\/dashboard\/static\/|type="application\/json"))/);
    const rows = (await (
      await fetch(`${base}/api/dashboard/fleet`, { headers: { cookie: viewer.cookie } })
    ).json()) as {
      rows: { id: string; latestVersion: string | null; state: string }[];
    };
    expect(rows.rows).toEqual([
      expect.objectContaining({ id: e.deviceId, latestVersion: '1', state: 'offline' }),
    ]);
    const screenHtml = await (
      await fetch(`${base}/dashboard/screen/${e.deviceId}`, { headers: { cookie: viewer.cookie } })
    ).text();
    expect(screenHtml).toContain('<table id="schedule" data-version="1">');
    expect(screenHtml).toContain('<td>default</td>');
    expect(screenHtml).not.toContain('data-command=');
    const opScreen = await (
      await fetch(`${base}/dashboard/screen/${e.deviceId}`, { headers: { cookie: op.cookie } })
    ).text();
    expect(opScreen).toContain('data-command="reboot"');
    // Unknown screen, open-redirect attempt on the language switch.
    expect((await fetch(`${base}/dashboard/screen/nope`, { headers: { cookie: op.cookie } })).status).toBe(
      404,
    );
    const lang = await fetch(`${base}/dashboard/lang/en?next=//evil.example/`, { redirect: 'manual' });
    expect(lang.headers.get('location')).toBe('/dashboard');
    expect(GATE.siteGroup).toBe('kien-giang/ha-tien');
  }, 20_000);
});
