/**
 * The publishing API on a real SyncServer with accounts: `gatecast draft …` signs in with an
 * account, drafts record who created and who signed, every mutation is audited, and roles, CSRF and
 * passwords are enforced. Real TUF repository, real accounts database, real HTTP on 127.0.0.1:0.
 */
import { createHash } from 'node:crypto';
import { cpSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type PublishCliIo, registerPublishCommands } from '../../cli/publish-commands.js';
import { memoryLogger } from '../../platform/log.js';
import { DraftView } from '../../protocol/publish-api.js';
import { HttpPublishClient } from '../../provisioning/publish-client.js';
import { type ServerConfigInput, TUF_AUTHOR_TOKEN_DEPRECATED } from '../../sync-server/config/config.js';
import {
  createDemoRepository,
  type DemoRepository,
  sampleBundleDir,
} from '../../sync-server/tuf/demo-repository.js';
import { createUsers, PASSWORD } from '../helpers/dashboard.js';
import { startServer } from '../helpers/sync.js';
import { createHttpApp } from '../../sync-server/web/http-app.js';
import { publishRoutes } from '../../sync-server/content/publish-routes.js';
import { tempDir } from '../helpers/temp.js';
import { selfSignedCert } from '../helpers/tls.js';

const SG = 'kien-giang/ha-tien';
const USERS = [
  { username: 'admin', role: 'admin' },
  { username: 'tam', role: 'author' },
  { username: 'lan', role: 'approver' },
  { username: 'minh', role: 'approver' },
  { username: 'vy', role: 'viewer' },
] as const;

/** Where the CLI keeps its account sessions in these tests (never the real home directory). */
const stateDir = tempDir('gatecast-cli-state-');
afterAll(() => stateDir.cleanup());

function cliIo(env: Record<string, string> = { GATECAST_PASSWORD: PASSWORD }): PublishCliIo {
  return {
    stdin: Object.assign(Readable.from([]), { isTTY: false }),
    stderr: new PassThrough(),
    env: { XDG_STATE_HOME: stateDir.path, ...env },
  };
}

/** Runs `gatecast <args>` in-process through the real command definitions; returns stdout and stderr. */
async function gatecast(io: PublishCliIo, ...args: string[]): Promise<{ out: string; err: string }> {
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

async function login(base: string, username: string, password = PASSWORD) {
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

interface AuditRow {
  actor: string | null;
  action: string;
  target: string | null;
  outcome: string;
  details: Record<string, unknown>;
}

async function auditLog(base: string): Promise<AuditRow[]> {
  const admin = await login(base, 'admin');
  const res = await fetch(`${base}/api/audit?limit=1000`, { headers: { cookie: admin.cookie } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { entries: AuditRow[] }).entries.reverse();
}

interface Rig {
  t: ReturnType<typeof tempDir>;
  demo: DemoRepository;
  media: string;
  base: string;
  server: Awaited<ReturnType<typeof startServer>>;
  stop(): Promise<void>;
}

/** A repository (sample published as version 1), accounts, a running server, and a changed media folder. */
async function startRig(
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

/** `gatecast draft create` of the rig's media as `user` (after `before`, e.g. `--ca FILE`); returns the output and the draft's id. */
async function createDraft(io: PublishCliIo, rig: Rig, user: string, ...before: string[]) {
  const made = await gatecast(
    io,
    'draft',
    'create',
    '--server',
    rig.base,
    ...before,
    '--user',
    user,
    '--site-group',
    SG,
    '--media',
    rig.media,
  );
  return { ...made, id: /draft (\S+) created/.exec(made.out)?.[1] as string };
}

/** Drafts not yet published or discarded (the sample's version 1 is a published draft). */
const openDrafts = async (rig: Rig) =>
  (await rig.server.server.tuf!.drafts.list()).filter((d) => d.status === 'open');

describe('gatecast draft against the sync server, signed in with accounts', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
  });
  afterAll(() => rig.stop());

  it('author creates, two approvers sign with their keys, an approver publishes; the draft names them', async () => {
    const io = cliIo();
    const as = (user: string) => ['--server', rig.base, '--user', user];
    const key = (i: number) => rig.demo.approverKeyFiles[i]!;
    // Each approver registers their own key with their account first (derived from the .key file).
    const reg = await gatecast(io, 'keys', 'register', ...as('lan'), '--key', key(0));
    expect(reg.out).toMatch(/key approver-1 \([0-9a-f]{64}\) registered to lan/);
    await gatecast(io, 'keys', 'register', ...as('minh'), '--key', key(1));

    const created = await createDraft(io, rig, 'tam');
    expect(created.err).toContain(`signed in to ${rig.base} as tam (author)`);
    const id = created.id;
    expect(created.out).toContain('version 2');
    expect(created.out).toContain('created by: tam');
    expect(created.out).toContain('still to upload: 0');
    // An approver reads what the draft changes against the version on air, through the server.
    const review = await gatecast(io, 'draft', 'show', ...as('lan'), '--draft', id);
    expect(review.out).toContain('changes against the version on air:');
    expect(review.out).toContain(`  ~ media ${SG}/media/tourism/en.png (new bytes)`);

    // The author may not sign, even with an approver's key file: the server refuses the role.
    await expect(
      gatecast(io, 'draft', 'sign', ...as('tam'), '--draft', id, '--key', key(0), '--yes'),
    ).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringMatching(
        /"tam" \(role author\) may not sign or publish drafts: that needs the approver role/,
      ),
    });

    const one = await gatecast(io, 'draft', 'sign', ...as('lan'), '--draft', id, '--key', key(0), '--yes');
    expect(one.out).toContain('(1/2 signatures)');
    const two = await gatecast(io, 'draft', 'sign', ...as('minh'), '--draft', id, '--key', key(1), '--yes');
    expect(two.out).toContain('threshold met');

    // Publishing is the approvers' act too.
    await expect(gatecast(io, 'draft', 'publish', ...as('tam'), '--draft', id)).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringContaining('needs the approver role'),
    });
    const published = await gatecast(io, 'draft', 'publish', ...as('lan'), '--draft', id);
    expect(published.out).toContain(`published ${SG} version 2`);
    expect(rig.server.server.tuf!.repo.roleMetadata(SG)?.signed.version).toBe(2);

    // A viewer reads it: who created and who signed.
    const shown = await gatecast(io, 'draft', 'show', ...as('vy'), '--draft', id);
    expect(shown.out).toContain('(published)');
    expect(shown.out).toContain('created by: tam');
    expect(shown.out).toMatch(/by lan, .* by minh\)/);
    const view = DraftView.parse(await rig.server.server.tuf!.drafts.get(id));
    expect(view.createdBy).toBe('tam');
    expect(view.signatures.map((s) => s.by)).toEqual(['lan', 'minh']);

    const audit = await auditLog(rig.base);
    const drafts = audit.filter((e) => e.action.startsWith('draft.'));
    expect(drafts.map((e) => [e.actor, e.action, e.outcome])).toEqual([
      ['tam', 'draft.create', 'ok'],
      ['tam', 'draft.upload', 'ok'],
      ['lan', 'draft.sign', 'ok'],
      ['minh', 'draft.sign', 'ok'],
      ['lan', 'draft.publish', 'ok'],
    ]);
    expect(drafts[0]!.details).toMatchObject({ id, siteGroup: SG, version: 2 });
    expect(drafts[1]).toMatchObject({ target: id, details: { path: `${SG}/media/tourism/en.png` } });
    expect(drafts[4]!.details).toMatchObject({ siteGroup: SG, version: 2 });
    const denied = audit.filter((e) => e.action === 'access.denied');
    expect(denied.map((e) => [e.actor, e.details['needs']])).toEqual([
      ['tam', 'draft.approve'],
      ['tam', 'draft.approve'],
    ]);
    // Each person signed in once: later commands reused the saved session.
    const count = (action: string, who: string) =>
      audit.filter((e) => e.action === action && e.actor === who && e.outcome === 'ok').length;
    for (const who of ['tam', 'lan', 'minh', 'vy']) expect(count('session.login', who)).toBe(1);
  });

  it('an approver running list, show and sign in a row signs in once; draft logout ends the session', async () => {
    const io = cliIo();
    const as = ['--server', rig.base, '--user', 'minh'];
    const before = (await auditLog(rig.base)).filter(
      (e) => e.action === 'session.login' && e.target === 'minh',
    ).length;
    const { id } = await createDraft(io, rig, 'tam');
    // No saved session for minh to start from.
    await gatecast(io, 'draft', 'logout', ...as);
    await gatecast(io, 'draft', 'list', ...as);
    await gatecast(io, 'draft', 'show', ...as, '--draft', id);
    const signed = await gatecast(
      io,
      'draft',
      'sign',
      ...as,
      '--draft',
      id,
      '--key',
      rig.demo.approverKeyFiles[1]!,
      '--yes',
    );
    expect(signed.out).toContain('signed draft');
    const logins = (await auditLog(rig.base)).filter(
      (e) => e.action === 'session.login' && e.target === 'minh',
    );
    expect(logins.length - before).toBe(1);
    // The session file is the user's alone.
    const dir = join(stateDir.path, 'gatecast', 'sessions');
    const files = readdirSync(dir);
    for (const f of files) expect(statSync(join(dir, f)).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    const count = files.length;

    const out = await gatecast(io, 'draft', 'logout', ...as);
    expect(out.out).toContain(`signed out of ${rig.base} as minh`);
    expect(readdirSync(dir)).toHaveLength(count - 1);
    const audit = await auditLog(rig.base);
    expect(audit.filter((e) => e.action === 'session.logout' && e.actor === 'minh').length).toBeGreaterThan(
      0,
    );
    // The next command signs in again.
    await gatecast(io, 'draft', 'list', ...as);
    const again = (await auditLog(rig.base)).filter(
      (e) => e.action === 'session.login' && e.target === 'minh',
    );
    expect(again.length - before).toBe(2);
  });
});

describe('gatecast draft sign shows what it signs and signs exactly that', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
  });
  afterAll(() => rig.stop());

  /** Runs `draft sign` as lan; `onPrompt` runs when the confirmation is asked, then `answer` is typed. */
  async function signInteractively(id: string, answer: string, onPrompt: () => void = () => undefined) {
    const stdin = new PassThrough();
    const stderr = new PassThrough();
    let asked = '';
    stderr.on('data', (c: Buffer) => {
      asked += c.toString();
      if (asked.includes('? [y/N] ')) {
        onPrompt();
        stdin.write(`${answer}\n`);
      }
    });
    const io: PublishCliIo = {
      stdin: Object.assign(stdin, { isTTY: false }),
      stderr,
      env: { XDG_STATE_HOME: stateDir.path, GATECAST_PASSWORD: PASSWORD },
    };
    const key = rig.demo.approverKeyFiles[0]!;
    return gatecast(io, 'draft', 'sign', '--server', rig.base, '--user', 'lan', '--draft', id, '--key', key);
  }

  it('prints the changes and every target with length and SHA-256, asks, and refuses (409) a draft changed meanwhile', async () => {
    const io = cliIo();
    await gatecast(
      io,
      'keys',
      'register',
      '--server',
      rig.base,
      '--user',
      'lan',
      '--key',
      rig.demo.approverKeyFiles[0]!,
    );
    const { id } = await createDraft(io, rig, 'tam');
    const drafts = rig.server.server.tuf!.drafts;
    const view = await drafts.get(id);
    const payloadSha = createHash('sha256')
      .update(await drafts.canonical(id))
      .digest('hex');

    // "no": nothing is signed, and the approver saw what they were asked to sign.
    await expect(signInteractively(id, 'n')).rejects.toMatchObject({ code: 'SIGNING_DECLINED' });
    expect((await drafts.get(id)).signatures).toEqual([]);

    // The draft changes on the server while the approver reads it: the upload names the digest shown.
    const file = join(rig.demo.repoDir, 'drafts', id, 'draft.json');
    const changeDraft = () => {
      const rec = JSON.parse(readFileSync(file, 'utf8')) as { signed: { expires: string } };
      rec.signed.expires = '2099-01-01T00:00:00Z';
      writeFileSync(file, JSON.stringify(rec));
    };
    const original = readFileSync(file);
    await expect(signInteractively(id, 'y', changeDraft)).rejects.toMatchObject({
      code: 'DRAFT_PAYLOAD_CHANGED',
      status: 409,
      message: expect.stringContaining(`not the ${payloadSha} that was reviewed`),
    });
    expect((await drafts.get(id)).signatures).toEqual([]);

    // Back as it was, "y" signs, and the output lists what was signed.
    writeFileSync(file, original);
    const ok = await signInteractively(id, 'y');
    expect(ok.out).toContain('changes against the version on air:');
    for (const f of [...view.files, { path: `${SG}/bundle.json`, length: -1, sha256: '' }]) {
      const t = (view.signed['targets'] as Record<string, { length: number; hashes: { sha256: string } }>)[
        f.path
      ]!;
      expect(ok.out).toContain(`    ${f.path}  ${t.length} bytes  sha256 ${t.hashes.sha256}`);
    }
    expect(ok.out).toContain(`sha256 ${payloadSha}, with key approver-1`);
    expect(ok.out).toContain('(1/2 signatures)');
  });
});

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
    await expect(createDraft(cliIo(), rig, 'vy')).rejects.toMatchObject({
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

describe('over https with a pinned certificate, the password asked on the terminal', () => {
  let rig: Rig;
  let cert: string;
  beforeAll(async () => {
    rig = await startRig({}, (dir) => {
      const pem = selfSignedCert(dir);
      cert = pem.cert;
      return { tls: { certFile: pem.cert, keyFile: pem.key } };
    });
  });
  afterAll(() => rig.stop());

  it('creates a draft with uploads through --ca, asking for the password without echo', async () => {
    expect(rig.base).toMatch(/^https:/);
    const stderr = new PassThrough();
    let prompt = '';
    stderr.on('data', (c: Buffer) => (prompt += c.toString()));
    const tty: PublishCliIo = {
      stdin: Object.assign(Readable.from([Buffer.from(`${PASSWORD}\n`)]), { isTTY: true }),
      stderr,
      env: { XDG_STATE_HOME: stateDir.path },
    };
    const created = await createDraft(tty, rig, 'tam', '--ca', cert);
    expect(prompt).toBe(`Password for tam at ${rig.base}: \n`);
    expect(created.err).toContain('uploading 1 file(s)');
    expect(created.out).toContain('still to upload: 0');
    expect(created.out).toContain('created by: tam');
    const [open] = await openDrafts(rig);
    expect(open).toMatchObject({ createdBy: 'tam', missing: [] });

    // Without the pinned certificate the server is not trusted.
    await expect(
      gatecast(cliIo(), 'draft', 'list', '--server', rig.base, '--user', 'vy'),
    ).rejects.toMatchObject({ code: 'SERVER_UNREACHABLE' });
    await expect(
      gatecast(
        cliIo(),
        'draft',
        'list',
        '--server',
        rig.base.replace('https', 'http'),
        '--ca',
        cert,
        '--user',
        'vy',
      ),
    ).rejects.toMatchObject({ code: 'USAGE', message: expect.stringContaining('https://') });
  });
});
