/**
 * Commands for people who publish:
 *   gatecast keys generate|show
 *   gatecast keys register --server URL --user NAME --key FILE   (an approver's key to their account)
 *   gatecast repo init|add-site-group|status|refresh|serve      (offline keys / the server's repository)
 *   gatecast draft create|list|show|sign|publish|discard|logout
 *       --server URL --user NAME   a sync server, signed in with an account (password from
 *                                  --password-file, $GATECAST_PASSWORD or a prompt without echo);
 *                                  the session is kept for the next command (publish-session.ts)
 *                                  until it ends or `gatecast draft logout`
 *       --server URL --token T     a standalone `gatecast repo serve`
 *       --repo DIR                 a repository directory on this machine
 */
import { diffLines } from '../protocol/manifest-diff.js';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import { MultiBar, Presets, SingleBar } from 'cli-progress';
import type { Command } from 'commander';
import { systemClock } from '../protocol/clock.js';
import { prepareDraftFromFolder } from '../protocol/draft-folder.js';
import { GatecastError } from '../protocol/errors.js';
import { createLogger, type Logger } from '../protocol/log.js';
import type { DraftView } from '../protocol/publish-api.js';
import {
  generateKeyPairFiles,
  loadPublicKey,
  loadSigningKey,
  publicKeyFileOf,
} from '../protocol/tuf-keys.js';
import { draftSigningPayload, signDraftPayload, summarisePayload } from '../provisioning/keys.js';
import {
  HttpPublishClient,
  pinnedFetch,
  PublishApiError,
  type PublishClient,
} from '../provisioning/publish-client.js';
import { type Action, isAllowed, ROLES } from '../sync-server/web/roles.js';
import { createHttpApp } from '../sync-server/web/http-app.js';
import { mountTufRepository } from '../sync-server/tuf/mount.js';
import { publishRoutes } from '../sync-server/content/publish-routes.js';
import { initRepository } from '../sync-server/tuf/init-repository.js';
import { TufRepository } from '../sync-server/tuf/repository.js';
import { PUBLISH_ACCESS } from '../sync-server/content/publish-routes.js';
import { tufUrls } from '../sync-server/tuf/routes.js';
import { LocalPublishClient } from './local-publish-client.js';
import { loadSession, removeSession, saveSession, sessionPath } from './publish-session.js';

export class UsageError extends GatecastError {
  readonly code = 'USAGE';
}
/** The approver answered no when asked to sign. */
export class SigningDeclinedError extends GatecastError {
  readonly code = 'SIGNING_DECLINED';
}

const out = (line: string) => process.stdout.write(`${line}\n`);

/** The CLI's logger: warnings and errors as plain lines on stderr; progress is printed by the commands. */
function cliLogger(): Logger {
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
const info = (line: string) => process.stderr.write(`${line}\n`);

interface TargetOpts {
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

const processIo: PublishCliIo = { stdin: process.stdin, stderr: process.stderr, env: process.env };

/** The environment variable the draft commands take an account password from. */
export const PASSWORD_ENV = 'GATECAST_PASSWORD';

async function readToken(o: TargetOpts): Promise<string | undefined> {
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
async function readPassword(
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
async function fetchFor(o: TargetOpts & { server: string }): Promise<typeof fetch | undefined> {
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
async function accountClient(
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
};

/** A 403 for a role names the role(s) that may do it. */
function explainRefusal(err: unknown, client: PublishClient, action: Action): unknown {
  if (!(err instanceof PublishApiError) || err.code !== 'FORBIDDEN' || !(client instanceof HttpPublishClient))
    return err;
  const user = client.user;
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
async function withClient<T>(
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

/** Reads one line of an answer (a terminal or a pipe); undefined when the input ends first. */
async function askLine(question: string, io: PublishCliIo): Promise<string | undefined> {
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

/** The approver's review of a draft: its summary and what it changes against the version on air. */
async function reviewLines(client: PublishClient, d: DraftView): Promise<string[]> {
  const lines = describeDraft(d);
  const diff = await client.diff(d.id);
  if (diff) lines.push(...diffLines(diff));
  return lines;
}

function withTarget(cmd: Command): Command {
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

const positiveInt = (name: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${name} must be a positive integer, got "${v}"`);
  return n;
};

function describeDraft(d: DraftView): string[] {
  const lines = [
    `draft ${d.id}: ${d.siteGroup} version ${d.version} (${d.status})${d.label ? ` — ${d.label}` : ''}`,
    `  files: ${d.files.length} media + bundle.json; still to upload: ${d.missing.length}`,
    ...(d.createdBy ? [`  created by: ${d.createdBy}`] : []),
    `  signatures: ${d.signedBy.length}/${d.threshold}${d.signatures.length ? ` (${d.signatures.map((g) => `${g.keyid.slice(0, 12)}${g.by ? ` by ${g.by}` : ''}`).join(', ')})` : ''}`,
  ];
  for (const m of d.missing.slice(0, 10)) lines.push(`  missing: ${m}`);
  return lines;
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function registerPublishCommands(program: Command, io: PublishCliIo = processIo): void {
  // ------------------------------------------------------------------------------------------ keys
  const keys = program.command('keys').description('Signing keys (root, targets, approver, online)');
  keys
    .command('generate')
    .description(
      'Generate an Ed25519 key pair: <out>/<name>.key (private, mode 0600) and <out>/<name>.pub.json',
    )
    .requiredOption('--out <dir>', 'directory for the key files')
    .requiredOption('--name <name>', 'key name, e.g. approver-nguyen-van-a')
    .option('--force', 'overwrite an existing key of that name')
    .action(async (o: { out: string; name: string; force?: boolean }) => {
      const r = await generateKeyPairFiles(o.out, o.name, { overwrite: Boolean(o.force) });
      out(`private key: ${r.privatePath} (keep it on this machine; mode 0600)`);
      out(`public key:  ${r.publicPath}`);
      out(`key id:      ${r.key.keyId}`);
    });
  keys
    .command('show')
    .description('Print the public key file JSON (and key id) for a private or public key file')
    .argument('<file>', '<name>.key or <name>.pub.json')
    .action(async (file: string) => {
      const k = await loadPublicKey(file);
      out(JSON.stringify(publicKeyFileOf(k), null, 2));
    });
  keys
    .command('register')
    .description(
      'Register your approver public key with your account on the sync server: only signatures made with it count as yours',
    )
    .requiredOption('--server <url>', 'sync server base URL')
    .requiredOption(
      '--user <name>',
      'your account (password: --password-file, $GATECAST_PASSWORD or a prompt)',
    )
    .requiredOption('--key <file>', '<name>.pub.json, or <name>.key to derive the public key from')
    .option('--password-file <file>', 'file holding your account password')
    .option('--ca <file>', 'PEM of the server certificate or CA to trust')
    .action(async (o: TargetOpts & { server: string; user: string; key: string }) => {
      const pub = publicKeyFileOf(await loadPublicKey(o.key));
      // The server asks for the password again to register a key, so it is read once here.
      const password = await readPassword(o, io);
      const client = await accountClient(o, io, password);
      try {
        const k = await client.registerKey(pub, password);
        out(`key ${k.name} (${k.keyid}) registered to ${k.username} at ${o.server}`);
      } catch (err) {
        if (err instanceof PublishApiError && err.code === 'AUTH_REQUIRED')
          await removeSession(sessionPath(io.env, o.server, o.user));
        throw explainRefusal(err, client, 'draft.approve');
      }
    });

  // ------------------------------------------------------------------------------------------ repo
  const repo = program
    .command('repo')
    .description('The TUF repository on this machine (offline key operations, serving)');
  repo
    .command('init')
    .description(
      'Create a repository: root and targets signed with offline keys, online snapshot/timestamp keys generated in <repo>/keys',
    )
    .requiredOption('--repo <dir>', 'repository directory')
    .requiredOption('--root-key <files...>', 'root private key file(s)')
    .requiredOption('--targets-key <files...>', 'top-level targets private key file(s)')
    .option(
      '--root-threshold <n>',
      'signatures needed on root (default: all root keys)',
      positiveInt('--root-threshold'),
    )
    .option(
      '--targets-threshold <n>',
      'signatures needed on targets (default: all)',
      positiveInt('--targets-threshold'),
    )
    .action(
      async (o: {
        repo: string;
        rootKey: string[];
        targetsKey: string[];
        rootThreshold?: number;
        targetsThreshold?: number;
      }) => {
        await initRepository({
          dir: o.repo,
          clock: systemClock,
          rootKeys: await Promise.all(o.rootKey.map(loadSigningKey)),
          targetsKeys: await Promise.all(o.targetsKey.map(loadSigningKey)),
          ...(o.rootThreshold ? { rootThreshold: o.rootThreshold } : {}),
          ...(o.targetsThreshold ? { targetsThreshold: o.targetsThreshold } : {}),
        });
        out(`repository created in ${o.repo}`);
        out(`trusted root for devices: ${join(o.repo, 'metadata', 'root.json')}`);
      },
    );
  repo
    .command('add-site-group')
    .description(
      'Delegate a site group (e.g. kien-giang/ha-tien) to approver keys; signed with the targets key(s)',
    )
    .requiredOption('--repo <dir>', 'repository directory')
    .requiredOption('--site-group <group>', 'site group, e.g. kien-giang/ha-tien')
    .requiredOption('--targets-key <files...>', 'top-level targets private key file(s)')
    .requiredOption('--approver <files...>', 'approver public key files (<name>.pub.json)')
    .option('--threshold <n>', 'approver signatures needed to publish', positiveInt('--threshold'), 2)
    .action(
      async (o: {
        repo: string;
        siteGroup: string;
        targetsKey: string[];
        approver: string[];
        threshold: number;
      }) => {
        const r = await new TufRepository({ dir: o.repo, clock: systemClock, log: cliLogger() }).open();
        const approvers = await Promise.all(o.approver.map(loadPublicKey));
        await r.addSiteGroup({
          siteGroup: o.siteGroup,
          approvers: approvers.map((a) => a.publicKey),
          threshold: o.threshold,
          targetsKeys: await Promise.all(o.targetsKey.map(loadSigningKey)),
        });
        out(`site group ${o.siteGroup}: ${approvers.length} approvers, threshold ${o.threshold}`);
      },
    );
  repo
    .command('resign-targets')
    .description('Re-sign top-level targets with a fresh expiry (offline targets keys)')
    .requiredOption('--repo <dir>', 'repository directory')
    .requiredOption('--targets-key <files...>', 'top-level targets private key file(s)')
    .action(async (o: { repo: string; targetsKey: string[] }) => {
      const r = await new TufRepository({ dir: o.repo, clock: systemClock, log: cliLogger() }).open();
      const res = await r.resignTargets({ targetsKeys: await Promise.all(o.targetsKey.map(loadSigningKey)) });
      out(`targets version ${res.version}, expires ${res.expires}`);
    });
  repo
    .command('rotate-root')
    .description('Write the next root version: fresh expiry, optionally new root and/or targets keys')
    .requiredOption('--repo <dir>', 'repository directory')
    .requiredOption(
      '--root-key <files...>',
      'current root private key file(s), at least the current threshold',
    )
    .option('--new-root-key <files...>', 'new root private key file(s) (default: keep the current ones)')
    .option('--root-threshold <n>', 'new root threshold', positiveInt('--root-threshold'))
    .option(
      '--new-targets-key <files...>',
      'new top-level targets private key file(s); targets is re-signed with them',
    )
    .option(
      '--targets-threshold <n>',
      'new targets threshold (default: all new targets keys)',
      positiveInt('--targets-threshold'),
    )
    .action(
      async (o: {
        repo: string;
        rootKey: string[];
        newRootKey?: string[];
        rootThreshold?: number;
        newTargetsKey?: string[];
        targetsThreshold?: number;
      }) => {
        const r = await new TufRepository({ dir: o.repo, clock: systemClock, log: cliLogger() }).open();
        const load = (files: string[]) => Promise.all(files.map(loadSigningKey));
        const res = await r.rotateRoot({
          currentRootKeys: await load(o.rootKey),
          ...(o.newRootKey ? { newRootKeys: await load(o.newRootKey) } : {}),
          ...(o.rootThreshold ? { newRootThreshold: o.rootThreshold } : {}),
          ...(o.newTargetsKey ? { newTargetsKeys: await load(o.newTargetsKey) } : {}),
          ...(o.targetsThreshold ? { newTargetsThreshold: o.targetsThreshold } : {}),
        });
        out(`root version ${res.version}, expires ${res.expires}; devices follow it on their next refresh`);
      },
    );
  repo
    .command('status')
    .description('Versions, expiries and site groups of a repository')
    .requiredOption('--repo <dir>', 'repository directory')
    .action(async (o: { repo: string }) => {
      const r = await new TufRepository({ dir: o.repo, clock: systemClock, log: cliLogger() }).open();
      const v = r.versions();
      const e = r.onlineExpiry();
      out(
        `root v${v.root}, targets v${v.targets}, snapshot v${v.snapshot} (expires ${e.snapshot}), timestamp v${v.timestamp} (expires ${e.timestamp})`,
      );
      for (const g of r.siteGroups())
        out(
          `site group ${g.siteGroup} (role ${g.role}): version ${g.version}, threshold ${g.threshold} of ${g.keyIds.length}`,
        );
    });
  repo
    .command('refresh')
    .description('Re-sign snapshot/timestamp now if they are past half their lifetime')
    .requiredOption('--repo <dir>', 'repository directory')
    .action(async (o: { repo: string }) => {
      const r = await new TufRepository({ dir: o.repo, clock: systemClock, log: cliLogger() }).open();
      const res = await r.refreshOnlineMetadata();
      out(`snapshot re-signed: ${res.snapshot}; timestamp re-signed: ${res.timestamp}`);
      for (const x of res.expiringOffline)
        out(`warning: ${x.role} expires ${x.expires}; re-sign it with its offline keys`);
    });
  repo
    .command('serve')
    .description(
      'Serve the repository (/tuf/metadata, /tuf/targets) and, with a token, the publishing API; re-signs online metadata',
    )
    .requiredOption('--repo <dir>', 'repository directory')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port (0: any free port)', (v) => Number(v), 8080)
    .option('--token <token>', 'publishing API bearer token (omit to serve read-only)')
    .option('--token-file <file>', 'file holding the publishing API bearer token')
    .action(async (o: { repo: string; host: string; port: number; token?: string; tokenFile?: string }) => {
      const app = createHttpApp();
      const token = await readToken(o);
      if (token && token.length < 16)
        throw new UsageError('the publishing API token must be at least 16 characters');
      const tuf = await mountTufRepository(app, {
        repoDir: o.repo,
        clock: systemClock,
        log: createLogger('sync-server:tuf'),
      });
      if (token)
        await app.register(publishRoutes, { repo: tuf.repo, drafts: tuf.drafts, auth: { bearer: token } });
      const base = await app.listen({ host: o.host, port: o.port });
      const urls = tufUrls(base);
      out(`metadata: ${urls.metadataUrl}`);
      out(`targets:  ${urls.targetsUrl}`);
      if (token) out(`publishing API: ${base}/api/publish (bearer token)`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await tuf.stop();
      await app.close();
    });

  // ----------------------------------------------------------------------------------------- draft
  const draft = program.command('draft').description('Drafts: build from a folder, sign locally, publish');
  withTarget(
    draft
      .command('create')
      .description('Check a folder (bundle.json + media), create a draft and upload the media it needs')
      .requiredOption('--site-group <group>', 'site group, e.g. kien-giang/ha-tien')
      .requiredOption('--media <dir>', 'folder: target <site-group>/<path> is the file <dir>/<path>')
      .option('--manifest <file>', 'bundle manifest (default <media>/bundle.json)'),
  ).action(async (o: TargetOpts & { siteGroup: string; media: string; manifest?: string }) => {
    const tty = Boolean(process.stderr.isTTY);
    const hashBar = new SingleBar(
      { format: 'checking  [{bar}] {percentage}% | {value}/{total} bytes | {file}', hideCursor: true },
      Presets.shades_classic,
    );
    let hashStarted = false;
    const folder = await prepareDraftFromFolder(o.siteGroup, o.media, o.manifest, {
      onHashProgress: (done, total, file) => {
        if (!tty) return;
        if (!hashStarted) hashBar.start(total, 0, { file });
        hashStarted = true;
        hashBar.update(done, { file });
      },
    }).finally(() => hashStarted && hashBar.stop());
    for (const f of folder.ignored)
      info(`note: ${join(o.media, f)} is not referenced by the manifest; not uploaded`);
    await withClient(o, io, PUBLISH_ACCESS.create, async (client) => {
      const d = await client.createDraft(folder.request);
      out(`draft ${d.id} created: ${d.siteGroup} version ${d.version}, ${d.files.length} media files`);
      const toSend = d.missing.map((p) => ({ path: p, file: folder.localFiles.get(p) as string }));
      const sizes = new Map(folder.request.files.map((f) => [f.path, f.length]));
      const total = toSend.reduce((a, f) => a + (sizes.get(f.path) ?? 0), 0);
      info(
        `uploading ${toSend.length} file(s), ${formatBytes(total)}; ${d.files.length - toSend.length} already on the server`,
      );
      const bars = new MultiBar(
        {
          format: '{name} [{bar}] {percentage}% | {value}/{total} bytes',
          hideCursor: true,
          clearOnComplete: false,
        },
        Presets.shades_classic,
      );
      const totalBar = tty ? bars.create(Math.max(total, 1), 0, { name: 'total    ' }) : undefined;
      let sentBefore = 0;
      try {
        for (const f of toSend) {
          const size = sizes.get(f.path) ?? 0;
          const bar = tty
            ? bars.create(Math.max(size, 1), 0, { name: f.path.slice(-40).padEnd(40) })
            : undefined;
          await client.uploadFile(d.id, f.path, f.file, (n) => {
            bar?.update(n);
            totalBar?.update(sentBefore + n);
          });
          sentBefore += size;
          if (bar) bars.remove(bar);
          if (!tty) info(`uploaded ${f.path} (${formatBytes(size)})`);
        }
      } finally {
        bars.stop();
      }
      const after = await client.getDraft(d.id);
      for (const l of describeDraft(after)) out(l);
      out(`next: approvers run "gatecast draft sign --draft ${d.id} --key <their .key file>"`);
    });
  });

  withTarget(
    draft
      .command('discard')
      .description('Delete an open draft and its uploaded files')
      .requiredOption('--draft <id>', 'draft id'),
  ).action(async (o: TargetOpts & { draft: string }) => {
    await withClient(o, io, PUBLISH_ACCESS.discard, (client) => client.discard(o.draft));
    out(`draft ${o.draft} discarded`);
  });

  withTarget(draft.command('list').description('List drafts')).action(async (o: TargetOpts) => {
    const ds = await withClient(o, io, PUBLISH_ACCESS.read, (client) => client.listDrafts());
    if (!ds.length) out('no drafts');
    for (const d of ds) out(describeDraft(d)[0] as string);
  });

  withTarget(
    draft
      .command('show')
      .description('Show a draft: its files, signatures and the bundle manifest approvers are asked to sign')
      .requiredOption('--draft <id>', 'draft id')
      .option('--manifest', 'also print bundle.json'),
  ).action(async (o: TargetOpts & { draft: string; manifest?: boolean }) => {
    await withClient(o, io, PUBLISH_ACCESS.read, async (client) => {
      const d = await client.getDraft(o.draft);
      for (const l of await reviewLines(client, d)) out(l);
      for (const t of summarisePayload(d.signed).targets)
        out(`  target ${t.path} ${formatBytes(t.length)} sha256:${t.sha256.slice(0, 16)}…`);
      if (o.manifest) out((await client.manifest(o.draft)).toString('utf8'));
    });
  });

  withTarget(
    draft
      .command('sign')
      .description(
        'Show a draft (changes, every target with its length and SHA-256), then sign exactly that payload with your approver key; only the signature leaves this machine',
      )
      .requiredOption('--draft <id>', 'draft id')
      .requiredOption('--key <file>', 'your approver private key (<name>.key)')
      .option('--yes', 'sign without asking for confirmation (scripts)'),
  ).action(async (o: TargetOpts & { draft: string; key: string; yes?: boolean }) => {
    const key = await loadSigningKey(o.key);
    const after = await withClient(o, io, PUBLISH_ACCESS.sign, async (client) => {
      const d = await client.getDraft(o.draft);
      if (!d.approverKeyIds.includes(key.keyId))
        throw new UsageError(
          `${o.key} (key ${key.keyId.slice(0, 12)}…) is not an approver key of ${d.siteGroup}`,
        );
      const manifest = await client.manifest(o.draft);
      // The bytes signed are computed here from the payload shown, never taken from the server.
      const payload = draftSigningPayload(d.signed);
      const summary = summarisePayload(d.signed);
      for (const l of await reviewLines(client, d)) out(l);
      out(
        `  payload: version ${summary.version}, expires ${summary.expires}, ${summary.targets.length} target(s):`,
      );
      for (const t of summary.targets) out(`    ${t.path}  ${t.length} bytes  sha256 ${t.sha256}`);
      out(
        `  signing ${payload.bytes.length} bytes, sha256 ${payload.sha256}, with key ${key.name} (${key.keyId})`,
      );
      if (!o.yes) {
        const answer = await askLine(`Sign draft ${d.id} (${d.siteGroup} version ${d.version})? [y/N] `, io);
        if (answer === undefined)
          throw new UsageError('no answer to "Sign?"; give --yes to sign without asking');
        if (!/^y(es)?$/i.test(answer.trim())) throw new SigningDeclinedError(`draft ${d.id} not signed`);
      }
      const sig = signDraftPayload(d.signed, key, { siteGroup: d.siteGroup, manifest });
      return client.addSignature(o.draft, sig);
    });
    out(`signed draft ${o.draft} as ${key.name} (${after.signedBy.length}/${after.threshold} signatures)`);
    if (after.signedBy.length >= after.threshold)
      out(`threshold met: run "gatecast draft publish --draft ${o.draft}"`);
  });

  withTarget(
    draft
      .command('publish')
      .description('Publish a draft once every file is uploaded and the threshold is met')
      .requiredOption('--draft <id>', 'draft id'),
  ).action(async (o: TargetOpts & { draft: string }) => {
    const r = await withClient(o, io, PUBLISH_ACCESS.publish, (client) => client.publish(o.draft));
    out(`published ${r.siteGroup} version ${r.version}: ${r.targets} targets, ${r.newFiles} new file(s)`);
  });

  draft
    .command('logout')
    .description('End the account session kept for --server and --user, and delete its saved file')
    .requiredOption('--server <url>', 'sync server base URL')
    .requiredOption('--user <name>', 'your account on the sync server')
    .option('--ca <file>', 'PEM of the server certificate or CA to trust')
    .action(async (o: TargetOpts & { server: string; user: string }) => {
      const path = sessionPath(io.env, o.server, o.user);
      const saved = await loadSession(path, Date.now());
      await removeSession(path);
      if (!saved) {
        out(`no saved session for ${o.user} at ${o.server}`);
        return;
      }
      const fetchFn = await fetchFor(o);
      await new HttpPublishClient({
        server: o.server,
        session: saved,
        ...(fetchFn ? { fetch: fetchFn } : {}),
      }).logout();
      out(`signed out of ${o.server} as ${o.user}`);
    });
}
