import { createHash } from 'node:crypto';
import { existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseBundleManifest } from '../../../protocol/content.js';
import { authoringTexts } from '../../../sync-server/content/texts.js';
import { GateConfig } from '../../../protocol/config.js';
import { previewSegments } from '../../../sync-server/content/schedule-preview.js';
import { apiLogin, startServerWithUsers } from '../../helpers/dashboard.js';
import { isAllowed, type Action } from '../../../sync-server/web/roles.js';
import { GATE } from '../../helpers/sync.js';
import { startTufRepo } from '../../helpers/tuf-repo.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';
import { PNG_1x1, SG } from '../../helpers/approval.js';
import { tempFolder } from '../../helpers/temp.js';

const cleanups = cleanupsAfterEach();

const PNG = PNG_1x1;
const LOGO = Buffer.concat([PNG, Buffer.from('published logo')]);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** Published version 1: a text slide and an image item whose file is a published target. */
function publishedManifest() {
  return {
    schema: 1,
    siteGroup: SG,
    createdAt: '2026-01-01T00:00:00Z',
    items: [
      {
        id: 'welcome',
        title: 'Chào mừng',
        kind: 'text',
        variants: { vi: { body: 'Xin chào' }, en: { body: 'Hello' } },
      },
      { id: 'logo', title: 'Logo', kind: 'image', variants: { zxx: { src: `${SG}/media/logo.png` } } },
    ],
    playlists: [{ id: 'main', name: 'Main', entries: [{ itemId: 'welcome' }, { itemId: 'logo' }] }],
    schedule: { defaultPlaylistId: 'main', entries: [] },
    emergencies: [
      {
        id: 'bao',
        text: { vi: { body: 'Đóng cửa do bão' }, en: { body: 'Closed for the storm' } },
        startsAt: '2026-01-01T00:00:00Z',
        expiresAt: '2099-01-01T00:00:00Z',
      },
      {
        id: 'old',
        text: { vi: { body: 'Đã hết hạn' } },
        startsAt: '2025-01-01T00:00:00Z',
        expiresAt: '2025-01-02T00:00:00Z',
      },
    ],
  };
}

const login = apiLogin;
type Who = Awaited<ReturnType<typeof login>>;

async function setUp(mediaMaxBytes = 4096) {
  const dir = tempFolder(cleanups, 'gc-content-api-');
  const tuf = await startTufRepo({
    serve: false,
    files: {
      [`${SG}/bundle.json`]: Buffer.from(JSON.stringify(publishedManifest())),
      [`${SG}/media/logo.png`]: LOGO,
    },
  });
  cleanups.push(() => tuf.close());
  // A second site group with nothing published and no gate in the server's config.
  await tuf.repo.addSiteGroup({
    siteGroup: 'lang-son/huu-nghi',
    approvers: tuf.keys.approvers.map((a) => a.publicKey),
    threshold: 2,
    targetsKeys: [tuf.keys.targets],
  });
  const s = await startServerWithUsers(
    cleanups,
    dir,
    { admin: 'admin', author: 'author', approver: 'approver', viewer: 'viewer', operator: 'operator' },
    { tuf: { repoDir: tuf.dir }, content: { mediaMaxBytes } },
  );
  const base = s.base;
  const call = async (
    who: Who | undefined,
    method: string,
    path: string,
    body?: unknown,
    opts: { csrf?: boolean; raw?: Buffer } = {},
  ) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(who ? { cookie: who.cookie } : {}),
        ...(who && opts.csrf !== false ? { 'x-csrf-token': who.csrfToken } : {}),
        ...(opts.raw ? { 'content-type': 'application/octet-stream' } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(opts.raw
        ? { body: new Blob([new Uint8Array(opts.raw)]) }
        : body !== undefined
          ? { body: JSON.stringify(body) }
          : {}),
    });
    const type = res.headers.get('content-type') ?? '';
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read replies field by field
    const json: any = type.includes('json') ? await res.json() : Buffer.from(await res.arrayBuffer());
    return { status: res.status, body: json, headers: res.headers };
  };
  const q = encodeURIComponent(SG);
  return { dir, tuf, s, base, call, q, dataDir: join(dir, 'server') };
}

describe('content authoring API', () => {
  it('guards by role and CSRF, stores media by hash, saves with named problems and optimistic revisions', async () => {
    const { call, q, s, dataDir } = await setUp();
    const viewer = await login(s.server.url, 'viewer');
    const author = await login(s.server.url, 'author');

    // No session: 401; the ops bearer token is not a session.
    expect((await call(undefined, 'GET', `/api/content/workspace?siteGroup=${q}`)).status).toBe(401);

    // Site groups, with the gate's languages and zone.
    const groups = await call(viewer, 'GET', '/api/content/site-groups');
    expect(groups.body.siteGroups).toEqual([
      {
        siteGroup: 'kien-giang/ha-tien',
        version: 1,
        gate: { name: GATE.name, timezone: 'Asia/Ho_Chi_Minh', languages: GATE.languages, configured: true },
      },
      {
        siteGroup: 'lang-son/huu-nghi',
        version: 0,
        gate: {
          name: 'lang-son/huu-nghi',
          timezone: 'Asia/Ho_Chi_Minh',
          languages: ['vi'],
          configured: false,
        },
      },
    ]);

    // The first workspace is the latest published manifest.
    const ws0 = await call(viewer, 'GET', `/api/content/workspace?siteGroup=${q}`);
    expect(ws0.status).toBe(200);
    expect(ws0.body).toMatchObject({ revision: 0, saved: false, basedOnVersion: 1 });
    expect(ws0.body.manifest.items.map((i: { id: string }) => i.id)).toEqual(['welcome', 'logo']);

    // Viewers read but neither save nor upload; authors need the CSRF token.
    const saveAs = (who: Who, revision: number, manifest: unknown, csrf = true) =>
      call(who, 'PUT', `/api/content/workspace?siteGroup=${q}`, { revision, manifest }, { csrf });
    const upload = (who: Who, name: string, bytes: Buffer, csrf = true) =>
      call(who, 'POST', `/api/content/media?siteGroup=${q}&name=${encodeURIComponent(name)}`, undefined, {
        raw: bytes,
        csrf,
      });
    expect((await saveAs(viewer, 0, ws0.body.manifest)).body.error.code).toBe('FORBIDDEN');
    expect((await upload(viewer, 'a.png', PNG)).body.error.code).toBe('FORBIDDEN');
    const noCsrf = await saveAs(author, 0, ws0.body.manifest, false);
    expect(noCsrf.status).toBe(403);
    expect(noCsrf.body.error.code).toBe('CSRF_INVALID');
    expect((await upload(author, 'a.png', PNG, false)).body.error.code).toBe('CSRF_INVALID');

    // Upload: content-addressed, named from the original (diacritics dropped, extension kept).
    const up = await upload(author, 'Ảnh cửa khẩu Đông.PNG', PNG);
    expect(up.status).toBe(201);
    expect(up.body).toEqual({
      path: `${SG}/media/${sha(PNG).slice(0, 8)}-anh-cua-khau-dong.png`,
      length: PNG.length,
      sha256: sha(PNG),
      contentType: 'image/png',
    });
    expect(existsSync(join(dataDir, 'content', 'media', sha(PNG)))).toBe(true);
    const khmer = await upload(author, 'ផែនទី.png', PNG);
    expect(khmer.body.path).toBe(`${SG}/media/${sha(PNG).slice(0, 8)}-ផែនទី.png`);

    // Refused uploads leave nothing behind.
    const badName = await upload(author, '%%%.png', PNG);
    expect(badName.status).toBe(400);
    expect(badName.body.error.code).toBe('MEDIA_NAME_INVALID');
    const empty = await upload(author, 'empty.png', Buffer.alloc(0));
    expect([empty.status, empty.body.error.code]).toEqual([400, 'MEDIA_EMPTY']);
    const big = Buffer.alloc(5000, 1);
    const tooBig = await upload(author, 'big.png', big);
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.error.code).toBe('MEDIA_TOO_LARGE');
    expect(readdirSync(join(dataDir, 'content', 'media')).sort()).toEqual([sha(PNG)]);

    // Serving: every file as a sandboxed download; inline only through the view route, by its bytes.
    const img = await call(viewer, 'GET', `/api/content/media?path=${encodeURIComponent(up.body.path)}`);
    expect(img.status).toBe(200);
    expect(img.headers.get('content-type')).toBe('application/octet-stream');
    expect(img.headers.get('content-disposition')).toMatch(/^attachment/);
    expect(img.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.compare(img.body, PNG)).toBe(0);
    const logo = await call(
      viewer,
      'GET',
      `/api/content/media?path=${encodeURIComponent(`${SG}/media/logo.png`)}`,
    );
    expect(Buffer.compare(logo.body, LOGO)).toBe(0);
    const page = await upload(author, 'trang.html', Buffer.from('<script>alert(1)</script>'));
    const htmlGet = await call(
      viewer,
      'GET',
      `/api/content/media?path=${encodeURIComponent(page.body.path)}`,
    );
    expect(htmlGet.headers.get('content-type')).toBe('application/octet-stream');
    expect(htmlGet.headers.get('content-disposition')).toMatch(/^attachment/);
    expect(htmlGet.headers.get('content-security-policy')).toBe("sandbox; default-src 'none'");
    expect(
      (await call(viewer, 'GET', `/api/content/media?path=${encodeURIComponent(`${SG}/media/nope.png`)}`))
        .status,
    ).toBe(404);

    // A bad manifest: every problem named, nothing saved.
    const bad = structuredClone(ws0.body.manifest);
    bad.items.push({
      id: 'photo',
      title: '',
      kind: 'image',
      variants: { vi: { src: `${SG}/media/never-uploaded.png` } },
    });
    bad.playlists[0].entries.push({ itemId: 'ghost' });
    const refused = await saveAs(author, 0, bad);
    expect(refused.status).toBe(400);
    expect(refused.body.error.code).toBe('CONTENT_INVALID');
    const problems = refused.body.error.problems as { path: string; message: string }[];
    expect(problems.map((p) => p.path)).toEqual(
      expect.arrayContaining(['items.[2].title', 'playlists.[0].entries.[2].itemId']),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        {
          path: 'items.photo.variants.vi.src',
          message: `media file "${SG}/media/never-uploaded.png" is neither uploaded nor published in this site group`,
        },
      ]),
    );
    expect((await call(viewer, 'GET', `/api/content/workspace?siteGroup=${q}`)).body.revision).toBe(0);

    // A good save, then a stale one.
    const good = structuredClone(ws0.body.manifest);
    good.items.push({
      id: 'photo',
      title: '<img src=x onerror=alert(1)>',
      kind: 'image',
      variants: { vi: { src: up.body.path }, en: { src: up.body.path } },
    });
    good.playlists[0].entries.push({ itemId: 'photo' });
    const saved = await saveAs(author, 0, good);
    expect(saved.status).toBe(200);
    expect(saved.body).toMatchObject({ revision: 1, saved: true, updatedBy: 'author' });
    const stale = await saveAs(author, 0, ws0.body.manifest);
    expect(stale.status).toBe(409);
    expect(stale.body.error).toMatchObject({ code: 'WORKSPACE_STALE', currentRevision: 1 });
    const now = await call(viewer, 'GET', `/api/content/workspace?siteGroup=${q}`);
    expect(now.body.revision).toBe(1);
    expect(now.body.manifest.items[2].title).toBe('<img src=x onerror=alert(1)>');

    // A group with nothing published starts from a starter that validates as it is.
    const other = encodeURIComponent('lang-son/huu-nghi');
    const starter = await call(author, 'GET', `/api/content/workspace?siteGroup=${other}`);
    expect(starter.body).toMatchObject({ revision: 0, basedOnVersion: 0 }); // 0: nothing published yet
    const savedStarter = await call(author, 'PUT', `/api/content/workspace?siteGroup=${other}`, {
      revision: 0,
      manifest: starter.body.manifest,
    });
    expect(savedStarter.status).toBe(200);

    // Audited, under the author's name.
    const admin = await login(s.server.url, 'admin');
    const audit = await call(admin, 'GET', '/api/audit');
    const actions = (audit.body.entries as { actor: string; action: string; outcome: string }[])
      .filter((e) => e.actor === 'author')
      .map((e) => `${e.action}:${e.outcome}`);
    expect(actions).toEqual(
      expect.arrayContaining([
        'content.media.upload:ok',
        'content.media.upload:denied',
        'content.save:ok',
        'content.save:failed',
        'access.denied:denied',
      ]),
    );
  });

  it('previews with the device schedule engine and submits a complete draft under the author’s name', async () => {
    const { call, q, s, dataDir, tuf } = await setUp();
    const author = await login(s.server.url, 'author');
    const approver = await login(s.server.url, 'approver');
    const ws0 = await call(author, 'GET', `/api/content/workspace?siteGroup=${q}`);

    const m = structuredClone(ws0.body.manifest);
    expect(m.emergencies.map((e: { id: string }) => e.id)).toEqual(['bao', 'old']);
    // As if the workspace predates the storm warning.
    m.emergencies = [];
    m.playlists.push({ id: 'evening', name: 'Buổi tối', entries: [{ itemId: 'welcome' }] });
    m.schedule.entries = [
      { id: 'eve', playlistId: 'evening', priority: 5, window: { start: '18:00', end: '22:00' } },
      { id: 'weekend', playlistId: 'evening', weekdays: [6, 7], window: { start: '08:00', end: '09:30' } },
    ];
    const from = Date.parse('2026-03-06T10:00:00+07:00'); // a Friday
    const pv = await call(author, 'POST', '/api/content/preview', {
      siteGroup: SG,
      manifest: m,
      from,
      hours: 48,
    });
    expect(pv.status).toBe(200);
    const gate = GateConfig.parse(GATE);
    const engine = previewSegments(parseBundleManifest(m), gate, from, 48 * 3600_000);
    expect(pv.body.timezone).toBe('Asia/Ho_Chi_Minh');
    expect(
      pv.body.segments.map((x: { startAt: number; endAt: number; playlistId: string }) => [
        x.playlistId,
        x.startAt,
        x.endAt,
      ]),
    ).toEqual(engine.map((x) => [x.playlistId, x.startAt, x.endAt]));
    expect(pv.body.segments.filter((x: { playlistId: string }) => x.playlistId === 'evening')).toHaveLength(
      4,
    );
    expect(pv.body.segments[1]).toMatchObject({
      source: 'schedule',
      playlistName: 'Buổi tối',
      scheduleEntryId: 'eve',
    });
    const tooLong = await call(author, 'POST', '/api/content/preview', {
      siteGroup: SG,
      manifest: m,
      hours: 169,
    });
    expect(tooLong.status).toBe(400);
    const badPv = await call(author, 'POST', '/api/content/preview', {
      siteGroup: SG,
      manifest: { ...m, schedule: { ...m.schedule, defaultPlaylistId: 'nope' } },
    });
    expect(badPv.status).toBe(400);
    expect(badPv.body.error.problems).toEqual([
      { path: 'schedule.defaultPlaylistId', message: 'default playlist "nope" does not exist' },
    ]);

    // Nothing saved yet: nothing to submit.
    const early = await call(author, 'POST', `/api/content/submit?siteGroup=${q}`, {});
    expect(early.status).toBe(400);
    expect(early.body.error.problems[0].path).toBe('workspace');

    const up = await call(author, 'POST', `/api/content/media?siteGroup=${q}&name=map.png`, undefined, {
      raw: PNG,
    });
    m.items.push({ id: 'map', title: 'Bản đồ', kind: 'image', variants: { vi: { src: up.body.path } } });
    m.playlists[0].entries.push({ itemId: 'map' });
    const saved = await call(author, 'PUT', `/api/content/workspace?siteGroup=${q}`, {
      revision: 0,
      manifest: m,
    });
    expect(saved.status).toBe(200);

    // Approvers approve; they do not submit. A stale revision submits nothing.
    expect(
      (await call(approver, 'POST', `/api/content/submit?siteGroup=${q}`, { revision: 1 })).body.error.code,
    ).toBe('FORBIDDEN');
    const drafts = s.server.tuf!.drafts;
    const staleSubmit = await call(author, 'POST', `/api/content/submit?siteGroup=${q}`, { revision: 7 });
    expect(staleSubmit.status).toBe(400);
    expect(await drafts.list()).toHaveLength(0);

    // The stored file vanished: named, no draft. Its bytes rotted: the draft is refused and discarded.
    const blob = join(dataDir, 'content', 'media', sha(PNG));
    rmSync(blob);
    const gone = await call(author, 'POST', `/api/content/submit?siteGroup=${q}`, { revision: 1 });
    expect(gone.status).toBe(400);
    expect(gone.body.error.problems).toEqual([
      {
        path: 'items.map.variants.vi.src',
        message: `media file "${up.body.path}" is neither uploaded nor published in this site group`,
      },
    ]);
    writeFileSync(blob, Buffer.alloc(PNG.length, 0));
    const rotten = await call(author, 'POST', `/api/content/submit?siteGroup=${q}`, { revision: 1 });
    expect(rotten.status).toBe(400);
    expect(rotten.body.error.code).toBe('DRAFT_INVALID');
    expect(rotten.body.error.problems[0].message).toMatch(/^sha256 [0-9a-f]{64} does not match/);
    expect(await drafts.list()).toHaveLength(0);
    expect(readdirSync(join(tuf.dir, 'drafts'))).toEqual([]);
    rmSync(blob);
    expect(
      (await call(author, 'POST', `/api/content/media?siteGroup=${q}&name=map.png`, undefined, { raw: PNG }))
        .body.path,
    ).toBe(up.body.path);

    const sub = await call(author, 'POST', `/api/content/submit?siteGroup=${q}`, { revision: 1 });
    expect(sub.status).toBe(201);
    const d = sub.body.draft;
    expect(sub.body.link).toBe(`/dashboard/drafts/${d.id}`);
    expect(d).toMatchObject({ siteGroup: SG, status: 'open', version: 2, createdBy: 'author', missing: [] });
    expect(d.files).toEqual(
      expect.arrayContaining([
        { path: `${SG}/media/logo.png`, length: LOGO.length, sha256: sha(LOGO), present: true },
        { path: up.body.path, length: PNG.length, sha256: sha(PNG), present: true },
      ]),
    );
    expect(d.files).toHaveLength(2);
    const viewAgain = await drafts.get(d.id);
    expect(viewAgain.createdBy).toBe('author');
    const text = (await drafts.manifest(d.id)).toString('utf8');
    const submitted = parseBundleManifest(JSON.parse(text));
    expect(submitted.items.map((i) => i.id)).toEqual(['welcome', 'logo', 'map']);
    expect(Date.parse(submitted.createdAt)).toBeGreaterThan(Date.parse('2026-01-01T00:00:00Z'));
    expect(submitted.schedule.entries.map((e) => e.id)).toEqual(['eve', 'weekend']);
    // The live emergency stays on air; the expired one is not brought back.
    expect(submitted.emergencies.map((e) => e.id)).toEqual(['bao']);
    expect(sub.body.carriedEmergencies).toEqual(['bao']);
  });

  it('refuses every mutating content route without CSRF, from another site, or to a role without its action', async () => {
    const { call, q, s, base } = await setUp();
    const routes: { method: string; path: string; action: Action; body?: unknown; raw?: Buffer }[] = [
      { method: 'PUT', path: `/api/content/workspace?siteGroup=${q}`, action: 'content.edit', body: {} },
      {
        method: 'POST',
        path: `/api/content/media?siteGroup=${q}&name=%25%25`,
        action: 'content.edit',
        raw: PNG,
      },
      { method: 'POST', path: '/api/content/preview', action: 'content.view', body: {} },
      { method: 'POST', path: `/api/content/submit?siteGroup=${q}`, action: 'draft.submit', body: {} },
    ];
    for (const username of ['admin', 'operator', 'author', 'approver', 'viewer'] as const) {
      const who = await login(base, username);
      const role = username;
      for (const r of routes) {
        const opts = r.raw ? { raw: r.raw } : {};
        const noCsrf = await call(who, r.method, r.path, r.body, { ...opts, csrf: false });
        expect([username, r.path, noCsrf.status, noCsrf.body.error.code]).toEqual([
          username,
          r.path,
          403,
          'CSRF_INVALID',
        ]);
        const res = await call(who, r.method, r.path, r.body, opts);
        // Allowed roles get past the guard and meet the (deliberately invalid) body: 400, nothing changed.
        expect([username, r.path, res.status, res.body.error.code === 'FORBIDDEN']).toEqual([
          username,
          r.path,
          isAllowed(role, r.action) ? 400 : 403,
          !isAllowed(role, r.action),
        ]);
      }
      const cross = await fetch(`${base}/api/content/workspace?siteGroup=${q}`, {
        method: 'PUT',
        headers: {
          cookie: who.cookie,
          'x-csrf-token': who.csrfToken,
          'content-type': 'application/json',
          origin: 'https://evil.example',
        },
        body: JSON.stringify({ revision: 0, manifest: {} }),
      });
      expect(cross.status).toBe(403);
    }
    expect(
      (await call(await login(base, 'viewer'), 'GET', `/api/content/workspace?siteGroup=${q}`)).body.revision,
    ).toBe(0);
    expect(await s.server.tuf!.drafts.list()).toEqual([]);
  });

  it('serves the page to signed-in users only, and says so when the server has no repository', async () => {
    const dir = tempFolder(cleanups, 'gc-content-norepo-');
    const s = await startServerWithUsers(cleanups, dir, { admin: 'admin', author: 'author' });
    const base = s.base;
    const anon = await fetch(`${base}/dashboard/content`, { redirect: 'manual' });
    expect([anon.status, anon.headers.get('location')]).toEqual([303, '/dashboard/login']);
    const author = await login(base, 'author');
    const page = await fetch(`${base}/dashboard/content`, { headers: { cookie: author.cookie } });
    expect(page.status).toBe(200);
    const body = await page.text();
    expect(body).toContain(authoringTexts.text('vi', 'content.noRepository'));
    expect(body).toContain('href="/dashboard/content"');
    const api = await fetch(`${base}/api/content/site-groups`, { headers: { cookie: author.cookie } });
    expect(api.status).toBe(404);
  });
});
