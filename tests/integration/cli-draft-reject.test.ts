/**
 * `gatecast draft reject` and `gatecast draft resubmit`, and `--note` on `draft create`: the built
 * CLI (dist/cli/gatecast.js) as its own process against a real sync server on 127.0.0.1:0 with a
 * real TUF repository and accounts. Sending back and resubmitting go through DraftService, the
 * service the dashboard's buttons reach, so its rules hold here too: a rejection says why, only an
 * approver sends back, only the author resubmits (an emergency: whoever may create emergencies).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { approvalRig, bundleText, SG } from '../helpers/approval.js';
import { cleanupsAfterEach } from '../helpers/cleanups.js';
import { runGatecastAsync } from '../helpers/cli-process.js';
import { PASSWORD } from '../helpers/dashboard.js';

const cleanups = cleanupsAfterEach();

async function rig() {
  const r = await approvalRig();
  cleanups.push(r.close);
  const state = mkdtempSync(join(tmpdir(), 'gc-cli-reject-state-'));
  cleanups.push(() => rmSync(state, { recursive: true, force: true }));
  const env = { GATECAST_PASSWORD: PASSWORD, XDG_STATE_HOME: state };
  /** Runs the built CLI as `user` against the rig's server. */
  const cli = (user: string, ...args: string[]) =>
    runGatecastAsync([...args, '--server', r.base, '--user', user], { env });
  return { ...r, cli };
}

/** A folder as `gatecast draft create --media` reads it: bundle.json with a new welcome text only. */
function mediaFolder(dir: string): string {
  const media = join(dir, 'media');
  mkdirSync(media, { recursive: true });
  const m = JSON.parse(bundleText('Chào mừng quý khách đến Hà Tiên')) as {
    items: { id: string }[];
    playlists: { entries: { itemId: string }[] }[];
  };
  m.items = m.items.filter((i) => i.id === 'welcome');
  for (const p of m.playlists) p.entries = p.entries.filter((e) => e.itemId === 'welcome');
  writeFileSync(join(media, 'bundle.json'), `${JSON.stringify(m, null, 2)}\n`);
  return media;
}

describe('gatecast draft reject / resubmit / create --note', () => {
  it('an author creates a draft with a note, an approver sends it back with a comment, the author resubmits it with a new note', async () => {
    const r = await rig();
    const media = mediaFolder(r.dir.path);
    const created = await r.cli(
      'author',
      'draft',
      'create',
      '--site-group',
      SG,
      '--media',
      media,
      '--note',
      'Lời chào mới',
    );
    expect(created.status, created.stderr).toBe(0);
    const id = /draft (\S+) created/.exec(created.stdout)?.[1] as string;
    expect((await r.s.server.tuf!.drafts.get(id)).note).toBe('Lời chào mới');

    const rejected = await r.cli('ap1', 'draft', 'reject', id, '--comment', 'Thiếu dấu chấm cuối câu');
    expect(rejected.status, rejected.stderr).toBe(0);
    expect(rejected.stdout).toContain(`draft ${id} sent back to author: 0 signature(s) void`);
    const after = await r.s.server.tuf!.drafts.get(id);
    expect(after.status).toBe('rejected');
    expect(after.rejections).toEqual([
      expect.objectContaining({ by: 'ap1', comment: 'Thiếu dấu chấm cuối câu', voidedSignatures: 0 }),
    ]);
    // The author reads why with `draft show`.
    const shown = await r.cli('author', 'draft', 'show', '--draft', id);
    expect(shown.stdout).toContain('sent back by ap1');
    expect(shown.stdout).toContain('Thiếu dấu chấm cuối câu');

    // Only its author resubmits it.
    const notTheirs = await r.cli('ap2', 'draft', 'resubmit', id);
    expect(notTheirs.status).not.toBe(0);
    expect((await r.s.server.tuf!.drafts.get(id)).status).toBe('rejected');
    const again = await r.cli('author', 'draft', 'resubmit', '--draft', id, '--note', 'Đã thêm dấu chấm');
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toContain(`draft ${id} resubmitted: open for approval again (0/2 signatures)`);
    expect(again.stdout).toContain('note: Đã thêm dấu chấm');
    const reopened = await r.s.server.tuf!.drafts.get(id);
    expect(reopened).toMatchObject({ status: 'open', note: 'Đã thêm dấu chấm' });

    const audit = (await r.call(await r.login('admin'), 'GET', '/api/audit?limit=1000')).body.entries as {
      action: string;
      actor: string;
      outcome: string;
    }[];
    expect(
      audit
        .filter((e) => e.action === 'draft.reject' || e.action === 'draft.resubmit')
        .map((e) => `${e.actor} ${e.action} ${e.outcome}`),
    ).toEqual(expect.arrayContaining(['ap1 draft.reject ok', 'author draft.resubmit ok']));
  }, 120_000);

  it('refuses a rejection without a comment, by the service’s rule, and changes nothing', async () => {
    const r = await rig();
    const d = await r.contentDraft({ username: 'author', role: 'author' });
    for (const args of [[], ['--comment', '   ']]) {
      const res = await r.cli('ap1', 'draft', 'reject', d.id, ...args);
      expect(res.status).not.toBe(0);
      expect(res.stderr).toContain(`say why draft ${d.id} is rejected: its author reads the comment`);
      expect(res.stderr).toContain('[REJECTION_COMMENT_REQUIRED]');
    }
    expect((await r.cli('ap1', 'draft', 'reject', d.id)).stderr).toContain('(give --comment TEXT)');
    const still = await r.s.server.tuf!.drafts.get(d.id);
    expect(still.status).toBe('open');
    expect(still.rejections).toEqual([]);
    // An author may not send back a draft: the approvers' act.
    const byAuthor = await r.cli('author', 'draft', 'reject', d.id, '--comment', 'x');
    expect(byAuthor.status).not.toBe(0);
    expect(byAuthor.stderr).toContain('[FORBIDDEN]');
    expect((await r.s.server.tuf!.drafts.get(d.id)).status).toBe('open');
  }, 120_000);

  it('lets the operator who requested an emergency resubmit it after an approver sent it back', async () => {
    const r = await rig();
    const op = await r.login('op');
    const em = await r.call(op, 'POST', '/api/content/emergencies', {
      siteGroup: SG,
      text: {
        vi: { body: 'Tạm dừng thông quan' },
        km: { body: 'ផ្អាកការឆ្លងដែន' },
        en: { body: 'Crossing suspended' },
      },
    });
    expect(em.status).toBe(201);
    const id = em.body.draft.id as string;
    const rejected = await r.cli('ap2', 'draft', 'reject', id, '--comment', 'Ghi rõ thời gian');
    expect(rejected.status, rejected.stderr).toBe(0);
    // The operator may not submit content drafts, but may resubmit the emergency they requested.
    const again = await r.cli('op', 'draft', 'resubmit', id, '--note', 'Đến 17:00');
    expect(again.status, again.stderr).toBe(0);
    expect(await r.s.server.tuf!.drafts.get(id)).toMatchObject({
      kind: 'emergency',
      status: 'open',
      note: 'Đến 17:00',
    });
  }, 120_000);
});
