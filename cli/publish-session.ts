/**
 * The `gatecast draft …` account session kept between commands, so that an approver running
 * list, show, sign and publish signs in once: one file per server and user under the user's state
 * directory (`$XDG_STATE_HOME/gatecast/sessions/`, else `~/.local/state/gatecast/sessions/`),
 * mode 0600 in a 0700 directory. It holds the session cookie and CSRF token (not the password) and
 * is dropped when the server says the session ended or at `gatecast draft logout`.
 */
import { createHash } from 'node:crypto';
import { chmod, mkdir, readFile, rm } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../platform/atomic-file.js';

const SessionFile = z.object({
  schema: z.literal(1),
  server: z.string(),
  username: z.string(),
  cookie: z.string().min(1),
  csrfToken: z.string().min(1),
  user: z.object({ username: z.string(), displayName: z.string(), role: z.string() }),
  /** Epoch ms: the session's absolute end as the server gave it at login. */
  expiresAtMs: z.number(),
});
export type SessionFile = z.infer<typeof SessionFile>;

/** The directory session files live in, from the environment the CLI was given. */
export function sessionDir(env: NodeJS.ProcessEnv): string {
  const state = env['XDG_STATE_HOME'] || join(env['HOME'] || homedir(), '.local', 'state');
  return join(state, 'gatecast', 'sessions');
}

const normalServer = (server: string) => server.replace(/\/+$/, '');

/** The session file of `username` at `server`. */
export function sessionPath(env: NodeJS.ProcessEnv, server: string, username: string): string {
  const id = createHash('sha256')
    .update(`${normalServer(server)}\n${username.trim().toLowerCase()}`)
    .digest('hex')
    .slice(0, 32);
  return join(sessionDir(env), `${id}.json`);
}

/** The saved session, or undefined when there is none, it is unreadable, or it has expired at `nowMs`. */
export async function loadSession(path: string, nowMs: number): Promise<SessionFile | undefined> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, 'utf8'));
  } catch {
    return undefined; // no saved session (or a damaged one): sign in again
  }
  const r = SessionFile.safeParse(raw);
  if (!r.success || r.data.expiresAtMs <= nowMs) {
    await removeSession(path);
    return undefined;
  }
  return r.data;
}

export async function saveSession(path: string, s: Omit<SessionFile, 'schema'>): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  await writeFileAtomic(
    path,
    `${JSON.stringify({ schema: 1, ...s, server: normalServer(s.server) })}\n`,
    0o600,
  );
}

export async function removeSession(path: string): Promise<void> {
  await rm(path, { force: true });
}
