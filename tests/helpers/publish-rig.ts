/**
 * A rig for the publishing API with accounts: a TUF repository with the sample published as
 * version 1, the accounts below, a running SyncServer on 127.0.0.1:0 and a changed media folder;
 * `gatecast` run in-process through the real command definitions, with its account sessions kept
 * under a temporary state directory.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { Command } from 'commander';
import { afterAll, expect, vi } from 'vitest';
import { registerPublishCommands } from '../../cli/publish-commands.js';
import type { PublishCliIo } from '../../cli/publish-target.js';
import { memoryLogger } from '../../platform/log.js';
import type { ServerConfigInput } from '../../sync-server/config/config.js';
import {
  createDemoRepository,
  type DemoRepository,
  sampleBundleDir,
} from '../../sync-server/tuf/demo-repository.js';
import { createUsers, PASSWORD } from './dashboard.js';
import { startServer } from './sync.js';
import { tempDir } from './temp.js';

export const SG = 'kien-giang/ha-tien';
export const USERS = [
  { username: 'admin', role: 'admin' },
  { username: 'tam', role: 'author' },
  { username: 'lan', role: 'approver' },
  { username: 'minh', role: 'approver' },
  { username: 'vy', role: 'viewer' },
] as const;

/** Where the CLI keeps its account sessions in these tests (never the real home directory). */
export const stateDir = tempDir('gatecast-cli-state-');
afterAll(() => stateDir.cleanup());

export function cliIo(env: Record<string, string> = { GATECAST_PASSWORD: PASSWORD }): PublishCliIo {
  return {
    stdin: Object.assign(Readable.from([]), { isTTY: false }),
    stderr: new PassThrough(),
    env: { XDG_STATE_HOME: stateDir.path, ...env },
  };
}

/** Runs `gatecast <args>` in-process through the real command definitions; returns stdout and stderr. */
export async function gatecast(io: PublishCliIo, ...args: string[]): Promise<{ out: string; err: string }> {
  const program = new Command('gatecast').exitOverride();
  registerPublishCommands(program, io);
  let out = '';
  let err = '';
  const spyOut = vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
    out += String(s);
    return true;
  });
  const spyErr = vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
    err += String(s);
    return true;
  });
  try {
    await program.parseAsync(['node', 'gatecast', ...args]);
  } finally {
    spyOut.mockRestore();
    spyErr.mockRestore();
  }
  return { out, err };
}

export async function login(base: string, username: string, password = PASSWORD) {
  const res = await fetch(`${base}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  expect(res.status).toBe(200);
  const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  return { cookie, csrfToken };
}

export interface AuditRow {
  actor: string | null;
  action: string;
  target: string | null;
  outcome: string;
  details: Record<string, unknown>;
}

export async function auditLog(base: string): Promise<AuditRow[]> {
  const admin = await login(base, 'admin');
  const res = await fetch(`${base}/api/audit?limit=1000`, { headers: { cookie: admin.cookie } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { entries: AuditRow[] }).entries.reverse();
}

export interface Rig {
  t: ReturnType<typeof tempDir>;
  demo: DemoRepository;
  media: string;
  base: string;
  server: Awaited<ReturnType<typeof startServer>>;
  stop(): Promise<void>;
}

/** A repository (sample published as version 1), accounts, a running server, and a changed media folder. */
export async function startRig(
  tufOver: Record<string, unknown> = {},
  over: (dir: string) => Partial<ServerConfigInput> = () => ({}),
): Promise<Rig> {
  const t = tempDir('gatecast-pubacct-');
  const demo = await createDemoRepository({ dir: join(t.path, 'tuf'), approvers: 3, log: memoryLogger() });
  await createUsers(join(t.path, 'server'), [...USERS]);
  const server = await startServer(t.path, { tuf: { repoDir: demo.repoDir, ...tufOver }, ...over(t.path) });
  const media = join(t.path, 'media');
  cpSync(sampleBundleDir(), media, { recursive: true });
  // One changed file: the draft for version 2 has something to upload.
  writeFileSync(
    join(media, 'media', 'tourism', 'en.png'),
    readFileSync(join(media, 'media', 'welcome', 'en.png')),
  );
  return {
    t,
    demo,
    media,
    base: server.server.url,
    server,
    stop: async () => {
      await server.server.stop();
      t.cleanup();
    },
  };
}

/** Drafts not yet published or discarded (the sample's version 1 is a published draft). */
export const openDrafts = async (rig: Rig) =>
  (await rig.server.server.tuf!.drafts.list()).filter((d) => d.status === 'open');
