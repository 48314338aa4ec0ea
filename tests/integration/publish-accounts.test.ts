/**
 * The publishing API on a real SyncServer with accounts: `gatecast draft …` signs in with an
 * account, drafts record who created and who signed, and every mutation is audited (the refusals
 * are publish-refusals.test.ts). Real TUF repository, real accounts database, real HTTP on
 * 127.0.0.1:0.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PublishCliIo } from '../../cli/publish-target.js';
import { DraftView } from '../../protocol/publish-api.js';
import { PASSWORD } from '../helpers/dashboard.js';
import {
  auditLog,
  cliIo,
  gatecast,
  openDrafts,
  type Rig,
  SG,
  startRig,
  stateDir,
} from '../helpers/publish-rig.js';
import { selfSignedCert } from '../helpers/tls.js';

describe('gatecast draft against the sync server, signed in with accounts', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
  });
  afterAll(() => rig.stop());

  it('author creates, two approvers sign with their keys, the second signature publishes; the draft names them', async () => {
    const io = cliIo();
    const as = (user: string) => ['--server', rig.base, '--user', user];
    const key = (i: number) => rig.demo.approverKeyFiles[i]!;
    // Each approver registers their own key with their account first (derived from the .key file).
    const reg = await gatecast(io, 'keys', 'register', ...as('lan'), '--key', key(0));
    expect(reg.out).toMatch(/key approver-1 \([0-9a-f]{64}\) registered to lan/);
    await gatecast(io, 'keys', 'register', ...as('minh'), '--key', key(1));

    const created = await gatecast(
      io,
      'draft',
      'create',
      ...as('tam'),
      '--site-group',
      SG,
      '--media',
      rig.media,
    );
    expect(created.err).toContain(`signed in to ${rig.base} as tam (author)`);
    const id = /draft (\S+) created/.exec(created.out)?.[1] as string;
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
    // The second signature publishes at once, as the dashboard's does.
    const two = await gatecast(io, 'draft', 'sign', ...as('minh'), '--draft', id, '--key', key(1), '--yes');
    expect(two.out).toContain(`threshold met: published ${SG} version 2`);
    expect(rig.server.server.tuf!.repo.roleMetadata(SG)?.signed.version).toBe(2);

    // Publishing by hand is the approvers' act too (and here there is nothing left to publish).
    await expect(gatecast(io, 'draft', 'publish', ...as('tam'), '--draft', id)).rejects.toMatchObject({
      code: 'FORBIDDEN',
      message: expect.stringContaining('needs the approver role'),
    });
    await expect(gatecast(io, 'draft', 'publish', ...as('lan'), '--draft', id)).rejects.toMatchObject({
      code: 'DRAFT_STATE',
    });

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
      ['minh', 'draft.publish', 'ok'],
      ['minh', 'draft.sign', 'ok'],
      ['lan', 'draft.publish', 'failed'],
    ]);
    expect(drafts[0]!.details).toMatchObject({ id, siteGroup: SG, version: 2 });
    expect(drafts[1]).toMatchObject({ target: id, details: { path: `${SG}/media/tourism/en.png` } });
    expect(drafts[3]!.details).toMatchObject({ siteGroup: SG, version: 2 });
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
    const made = await gatecast(
      io,
      'draft',
      'create',
      '--server',
      rig.base,
      '--user',
      'tam',
      '--site-group',
      SG,
      '--media',
      rig.media,
    );
    const id = /draft (\S+) created/.exec(made.out)![1]!;
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
    const made = await gatecast(
      io,
      'draft',
      'create',
      '--server',
      rig.base,
      '--user',
      'tam',
      '--site-group',
      SG,
      '--media',
      rig.media,
    );
    const id = /draft (\S+) created/.exec(made.out)![1]!;
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
    const created = await gatecast(
      tty,
      'draft',
      'create',
      '--server',
      rig.base,
      '--ca',
      cert,
      '--user',
      'tam',
      '--site-group',
      SG,
      '--media',
      rig.media,
    );
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
