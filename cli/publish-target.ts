/**
 * Where the publishing commands work and how they reach it: a sync server with an account (the
 * session kept between commands, publish-session.ts) or a token, or a repository directory on this
 * machine; the password and token sources; refusals that name the role a command needs.
 */
import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import type { Command } from 'commander';
import { systemClock } from '../protocol/clock.js';
import { coded } from '../protocol/errors.js';
import type { Logger } from '../platform/log.js';
import {
  HttpPublishClient,
  pinnedFetch,
  PublishApiError,
  type PublishClient,
} from '../provisioning/publish-client.js';
import { type Action, isAllowed, ROLES } from '../sync-server/web/roles.js';
import { LocalPublishClient } from './local-publish-client.js';
import { loadSession, removeSession, saveSession, sessionPath } from './publish-session.js';

export class UsageError extends coded('USAGE') {}

export const out = (line: string) => process.stdout.write(`${line}\n`);

/** The CLI's logger: warnings and errors as plain lines on stderr; progress is printed by the commands. */
export function cliLogger(): Logger {
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>) =>
    process.stderr.write(`${level}: ${msg}${fields ? ` ${JSON.stringify(fields)}` : ''}\n`);
  const quiet = () => undefined;
  const self: Logger = {
    debug: quiet,
    info: quiet,
    warn: at('warning'),
    error: at('error'),
    child: () => self,
  };
  return self;
}
export const info = (line: string) => process.stderr.write(`${line}\n`);

/** Where a publishing command works: a sync server (account or token) or a repository directory. */
export interface TargetOpts {
  server?: string;
  token?: string;
  tokenFile?: string;
  user?: string;
  passwordFile?: string;
  ca?: string;
  repo?: string;
}

/** Where the draft commands read a password from when neither --password-file nor the env gives one. */
export interface PublishCliIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

/** Reads one line of an answer (a terminal or a pipe); undefined when the input ends first. */
export async function askLine(question: string, io: PublishCliIo): Promise<string | undefined> {
  const rl = createInterface({ input: io.stdin, terminal: false });
  try {
    // Listen before asking: an answer that is already waiting must not be lost.
    const lines = rl[Symbol.asyncIterator]();
    io.stderr.write(question);
    const next = await lines.next();
    return next.done ? undefined : String(next.value);
  } finally {
    rl.close();
  }
}

export const processIo: PublishCliIo = { stdin: process.stdin, stderr: process.stderr, env: process.env };

/** The environment variable the draft commands take an account password from. */
export const PASSWORD_ENV = 'GATECAST_PASSWORD';

export async function readToken(o: TargetOpts): Promise<string | undefined> {
  if (o.token) return o.token;
  if (o.tokenFile) {
    try {
      return (await readFile(o.tokenFile, 'utf8')).trim();
    } catch (err) {
      throw new UsageError(`${o.tokenFile}: cannot read the token file (${(err as Error).message})`);
    }
  }
  return undefined;
}

/** Asks once on the terminal and reads one line without echoing it. */
async function askHidden(question: string, io: PublishCliIo): Promise<string> {
  const muted = new Writable({ write: (_chunk, _enc, done) => done() });
  const rl = createInterface({ input: io.stdin, output: muted, terminal: true });
  try {
    io.stderr.write(question);
    const next = await rl[Symbol.asyncIterator]().next();
    io.stderr.write('\n');
    if (next.done) throw new UsageError('no password given');
    return next.value as string;
  } finally {
    rl.close();
  }
}

/** The account password: --password-file, else $GATECAST_PASSWORD, else a prompt on a terminal. */
export async function readPassword(
  o: TargetOpts & { user: string; server: string },
  io: PublishCliIo,
): Promise<string> {
  let password: string | undefined;
  if (o.passwordFile) {
    try {
      password = (await readFile(o.passwordFile, 'utf8')).replace(/\r?\n$/, '');
    } catch (err) {
      throw new UsageError(`${o.passwordFile}: cannot read the password file (${(err as Error).message})`);
    }
  } else if (io.env[PASSWORD_ENV]) password = io.env[PASSWORD_ENV];
  else if (io.stdin.isTTY) password = await askHidden(`Password for ${o.user} at ${o.server}: `, io);
  else
    throw new UsageError(
      `no password for "${o.user}": give --password-file FILE or set ${PASSWORD_ENV} (there is no terminal to ask on)`,
    );
  if (!password) throw new UsageError(`empty password for "${o.user}"`);
  return password;
}

/** The `fetch` for `--ca`, or undefined for the default one. */
export async function fetchFor(o: TargetOpts & { server: string }): Promise<typeof fetch | undefined> {
  if (!o.ca) return undefined;
  if (!o.server.startsWith('https://'))
    throw new UsageError(`--ca pins the certificate of an https:// server; ${o.server} is not one`);
  try {
    return pinnedFetch(await readFile(o.ca));
  } catch (err) {
    throw new UsageError(`${o.ca}: cannot read the CA file (${(err as Error).message})`);
  }
}

/**
 * An account session at `o.server`: the saved one while the server still accepts it, else a new
 * login (password from readPassword, or `password` when the command already asked for it), saved
 * for the next command.
 */
export async function accountClient(
  o: TargetOpts & { server: string; user: string },
  io: PublishCliIo,
  password?: string,
): Promise<HttpPublishClient> {
  const viaFetch = await fetchFor(o).then((f) => (f ? { fetch: f } : {}));
  const path = sessionPath(io.env, o.server, o.user);
  const saved = await loadSession(path, Date.now());
  if (saved) {
    const resumed = await HttpPublishClient.resume({ server: o.server, session: saved, ...viaFetch });
    if (resumed) return resumed;
    await removeSession(path);
  }
  const client = await HttpPublishClient.login({
    server: o.server,
    username: o.user,
    password: password ?? (await readPassword(o, io)),
    ...viaFetch,
  });
  info(`signed in to ${o.server} as ${client.user?.username} (${client.user?.role})`);
  const session = client.session!;
  await saveSession(path, {
    server: o.server,
    username: o.user,
    cookie: session.cookie,
    csrfToken: session.csrfToken,
    user: session.user,
    expiresAtMs: client.sessionExpiresAtMs ?? Date.now() + 3_600_000,
  });
  return client;
}

async function clientFor(o: TargetOpts, io: PublishCliIo): Promise<PublishClient> {
  if (o.repo && o.server) throw new UsageError('give either --server or --repo, not both');
  if (o.repo) return LocalPublishClient.open(o.repo, systemClock, cliLogger());
  if (!o.server)
    throw new UsageError(
      'give --server URL with --user NAME (a sync server account) or --token (gatecast repo serve), or --repo DIR',
    );
  const token = await readToken(o);
  if (o.user && token)
    throw new UsageError(
      'give --user (an account on the sync server) or --token/--token-file (gatecast repo serve), not both',
    );
  if (o.user) return accountClient({ ...o, server: o.server, user: o.user }, io);
  if (!token)
    throw new UsageError(
      '--server needs --user NAME (a sync server account) or --token/--token-file (gatecast repo serve)',
    );
  const fetchFn = await fetchFor({ ...o, server: o.server });
  return new HttpPublishClient({ server: o.server, token, ...(fetchFn ? { fetch: fetchFn } : {}) });
}

/** What each publishing action lets a user do, for refusals. */
const DOING: Partial<Record<Action, string>> = {
  'content.view': 'read drafts',
  'draft.submit': 'create, upload or discard drafts',
  'draft.approve': 'sign or publish drafts',
  'emergency.end': 'end emergencies early',
};

/** A 403 for a role names the role(s) that may do it. */
export function explainRefusal(err: unknown, client: PublishClient, action: Action): unknown {
  if (!(err instanceof PublishApiError) || err.code !== 'FORBIDDEN' || !(client instanceof HttpPublishClient))
    return err;
  const user = client.user;
  // A role the route allows was refused by the service's own rule (e.g. the kind of draft): its words stand.
  if (user && isAllowed(user.roles ?? user.role, action)) return err;
  const roles = ROLES.filter((r) => isAllowed(r, action));
  return new PublishApiError(
    'FORBIDDEN',
    `${user ? `"${user.username}" (role ${user.role})` : 'this account'} may not ${DOING[action] ?? action}: ` +
      `that needs the ${roles.join(' or ')} role (server: ${err.message})`,
    err.status,
  );
}

/**
 * Opens the client for a command and runs it. An account session stays open for the next command
 * (`gatecast draft logout` ends it); when the server says it has ended, its saved file goes. A
 * refusal for the account's role says which role the command needs.
 */
export async function withClient<T>(
  o: TargetOpts,
  io: PublishCliIo,
  action: Action,
  run: (client: PublishClient) => Promise<T>,
): Promise<T> {
  const client = await clientFor(o, io);
  const keepsSession = client instanceof HttpPublishClient && client.session !== undefined;
  let failed = false;
  try {
    return await run(client);
  } catch (err) {
    failed = true;
    if (keepsSession && err instanceof PublishApiError && err.code === 'AUTH_REQUIRED')
      await removeSession(sessionPath(io.env, o.server!, o.user!));
    throw explainRefusal(err, client, action);
  } finally {
    try {
      if (!keepsSession) await client.close?.();
    } catch (err) {
      // Closing is tidying up: it never hides the command's own result or error.
      if (!failed) info(`warning: closing the connection failed: ${(err as Error).message}`);
    }
  }
}

/** The options that choose where a command works (TargetOpts). */
export function withTarget(cmd: Command): Command {
  return cmd
    .option('--server <url>', 'sync server base URL')
    .option(
      '--user <name>',
      'your account on the sync server (password: --password-file, $GATECAST_PASSWORD or a prompt)',
    )
    .option('--password-file <file>', 'file holding your account password')
    .option('--ca <file>', 'PEM of the server certificate or CA to trust (https servers with a private CA)')
    .option('--token <token>', 'bearer token of a "gatecast repo serve" publishing API')
    .option('--token-file <file>', 'file holding that bearer token')
    .option('--repo <dir>', 'work on a repository directory on this machine instead of a server');
}

export const positiveInt = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${name} must be a positive integer, got "${v}"`);
  return n;
};
