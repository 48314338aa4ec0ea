/** A server with two gates, an admin, an operator and a viewer signed in, on a clock the test moves. */
import { join } from 'node:path';
import { fakeClock } from '../../protocol/clock.js';
import type { Role } from '../../sync-server/web/roles.js';
import type { Cleanup } from './cleanups.js';
import { apiLogin, createUsers } from './dashboard.js';
import { GATE, startServer } from './sync.js';
import { tempDir } from './temp.js';

export const LAO_CAI_GATE = {
  siteGroup: 'lao-cai/lao-cai',
  name: 'Cửa khẩu Quốc tế Lào Cai',
  languages: ['vi', 'zh-Hans'],
};

const STAFF: { username: string; role: Role }[] = ['admin', 'operator', 'viewer'].map((role) => ({
  username: role,
  role: role as Role,
}));

export type Session = { cookie: string; csrfToken: string };

export async function startFleetRig(cleanups: Cleanup[], prefix: string) {
  const { path: root, cleanup } = tempDir(prefix);
  cleanups.push(cleanup);
  await createUsers(join(root, 'server'), STAFF);
  const clock = fakeClock(Date.now());
  const s = await startServer(root, { gates: [GATE, LAO_CAI_GATE] }, clock);
  cleanups.push(() => s.server.stop());
  const base = s.server.url;
  const [admin, op, viewer] = await Promise.all(STAFF.map((u) => apiLogin(base, u.username)));
  return { ...s, dir: root, clock, base, admin: admin!, op: op!, viewer: viewer! };
}

/** A signed-in call to the dashboard API (cookie and CSRF header): the status and the answer. */
export async function sessionCall(base: string, who: Session, method: string, path: string, body?: unknown) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      cookie: who.cookie,
      'x-csrf-token': who.csrfToken,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const type = res.headers.get('content-type') ?? '';
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read API replies field by field
  const json: any = type.includes('json') ? await res.json() : await res.text();
  return { status: res.status, body: json };
}
