/**
 * Set-up for approval tests: a real TUF repository (two approver keys, threshold 2) with a first
 * bundle published, a real SyncServer serving it, accounts of every role (approvers ap1 and ap2 with
 * approver-1's and approver-2's keys registered to them), and session logins.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../../protocol/clock.js';
import { generateSigningKey, publicKeyFileOf, type SigningKey } from '../../platform/tuf-keys.js';
import type { DraftActor } from '../../sync-server/tuf/drafts.js';
import type { ServerConfigInput } from '../../sync-server/config/config.js';
import { apiLogin, createUsers, PASSWORD, registerKeys } from './dashboard.js';
import { startServer } from './sync.js';
import { tempDir } from './temp.js';
import { startTufRepo } from './tuf-repo.js';

export const SG = 'kien-giang/ha-tien';
export const MAP_PNG = Buffer.from('PNG-map-'.repeat(300));

/** A bundle manifest: a map image and a text slide (vi, km, en) whose Vietnamese body varies. */
export function bundleText(viBody = 'Chào mừng đến Hà Tiên', extra: Record<string, unknown> = {}): string {
  return `${JSON.stringify(
    {
      schema: 1,
      siteGroup: SG,
      label: 'Hà Tiên',
      createdAt: '2026-11-01T00:00:00Z',
      items: [
        {
          id: 'map',
          title: 'Bản đồ',
          kind: 'image',
          durationMs: 8000,
          variants: { zxx: { src: `${SG}/media/map.png` } },
        },
        {
          id: 'welcome',
          title: 'Chào mừng',
          kind: 'text',
          variants: { vi: { body: viBody }, km: { body: 'សូមស្វាគមន៍' }, en: { body: 'Welcome' } },
        },
      ],
      playlists: [{ id: 'main', name: 'Main', entries: [{ itemId: 'map' }, { itemId: 'welcome' }] }],
      schedule: { defaultPlaylistId: 'main' },
      ...extra,
    },
    null,
    2,
  )}\n`;
}

/** A real 1×1 PNG. */
export const PNG_1x1 = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

/**
 * An HTML item whose script would act as whoever opens it on the dashboard's origin: it marks the
 * top window and tries to create an admin.
 */
export const HOSTILE_HTML = `<!doctype html><html><body><h1>Thông báo</h1>
<script>window.top.__owned = 'target';
fetch('/api/users', { method: 'POST', headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ username: 'evil', displayName: 'evil', role: 'admin', password: 'x'.repeat(20) }) });
</script></body></html>
`;

export const mapFile = {
  path: `${SG}/media/map.png`,
  length: MAP_PNG.length,
  sha256: createHash('sha256').update(MAP_PNG).digest('hex'),
};

export const USERS = [
  { username: 'admin', role: 'admin' },
  { username: 'author', role: 'author' },
  { username: 'ap1', role: 'approver' },
  { username: 'ap2', role: 'approver' },
  { username: 'viewer', role: 'viewer' },
  { username: 'op', role: 'operator' },
] as const;

export const actor = (username: (typeof USERS)[number]['username']): DraftActor => ({
  username,
  role: USERS.find((u) => u.username === username)!.role,
});

export interface Session {
  cookie: string;
  csrfToken: string;
}

export async function approvalRig(clock?: Clock, over: Partial<ServerConfigInput> = {}) {
  const dir = tempDir('gc-approval-');
  // The private keys as `gatecast keys generate` writes them (PKCS#8 PEM), for signing in a browser.
  const approverKeys = [generateSigningKey('approver-1'), generateSigningKey('approver-2')];
  const tuf = await startTufRepo({
    serve: false,
    approverKeys: approverKeys.map((k) => k.key),
    threshold: 2,
    ...(clock ? { clock } : {}),
    files: { [`${SG}/bundle.json`]: Buffer.from(bundleText()), [mapFile.path]: MAP_PNG },
  });
  await createUsers(join(dir.path, 'server'), [...USERS]);
  // Each approver account holds its own key: ap1 approver-1's, ap2 approver-2's.
  await registerKeys(join(dir.path, 'server'), [
    { username: 'ap1', key: approverKeys[0]!.key },
    { username: 'ap2', key: approverKeys[1]!.key },
  ]);
  const s = await startServer(dir.path, { tuf: { repoDir: tuf.dir }, ...over }, clock);
  const base = s.server.url;
  const login = (username: string): Promise<Session> => apiLogin(base, username);
  const call = async (
    who: Session | undefined,
    method: string,
    path: string,
    body?: unknown,
    csrf = true,
  ) => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(who ? { cookie: who.cookie } : {}),
        ...(who && csrf ? { 'x-csrf-token': who.csrfToken } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read replies field by field
    const json: any =
      text && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text;
    return { status: res.status, body: json };
  };
  /** Registers `key` to the signed-in account (POST /api/session/keys, re-entering the password). */
  const registerKey = (who: Session, key: SigningKey, password = PASSWORD) =>
    call(who, 'POST', '/api/session/keys', {
      currentPassword: password,
      publicKey: JSON.stringify(publicKeyFileOf(key)),
    });
  /** Logs in each named user, in order. */
  const logins = <const T extends readonly string[]>(...names: T) =>
    Promise.all(names.map((n) => login(n))) as Promise<{ [K in keyof T]: Session }>;
  /** A content draft with a changed welcome text, created by `by` through the real DraftService. */
  const contentDraft = (by: DraftActor, viBody = 'Chào mừng đến cửa khẩu Hà Tiên') =>
    s.server.tuf!.drafts.create({ siteGroup: SG, manifest: bundleText(viBody), files: [mapFile] }, by);
  const approverPems = approverKeys.map((k) => k.privatePem);
  /** The approvers' private keys written as `approver-N.key` files (0600), as a browser uploads them. */
  const approverKeyFiles = () =>
    approverPems.map((pem, i) => {
      const f = join(dir.path, `approver-${i + 1}.key`);
      writeFileSync(f, pem, { mode: 0o600 });
      return f;
    });
  return {
    dir,
    tuf,
    approverPems,
    approverKeyFiles,
    s,
    base,
    login,
    logins,
    call,
    registerKey,
    contentDraft,
    close: async () => {
      await s.server.stop();
      await tuf.close();
      dir.cleanup();
    },
  };
}
