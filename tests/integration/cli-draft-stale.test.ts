/**
 * `gatecast draft list` and `draft show` say when a draft is out of date, by the server's rule
 * (DraftService, the same the dashboard shows): the built CLI as its own process against a real sync
 * server on 127.0.0.1:0 with a real TUF repository and accounts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { approvalRig } from '../helpers/approval.js';
import { cleanupsAfterEach } from '../helpers/cleanups.js';
import { runGatecastAsync } from '../helpers/cli-process.js';
import { PASSWORD } from '../helpers/dashboard.js';
import { staleScene } from '../helpers/stale-drafts.js';

const cleanups = cleanupsAfterEach();

describe('gatecast draft list / show: out-of-date drafts', () => {
  it('names the version each out-of-date draft was made from and the one on air, and who it waits for', async () => {
    const r = await approvalRig();
    cleanups.push(r.close);
    const state = mkdtempSync(join(tmpdir(), 'gc-cli-stale-state-'));
    cleanups.push(() => rmSync(state, { recursive: true, force: true }));
    const env = { GATECAST_PASSWORD: PASSWORD, XDG_STATE_HOME: state };
    const cli = (user: string, ...args: string[]) =>
      runGatecastAsync([...args, '--server', r.base, '--user', user], { env });
    const { sentBack, open } = await staleScene(r);

    const listed = await cli('ap1', 'draft', 'list');
    expect(listed.status, listed.stderr).toBe(0);
    const line = (id: string) => listed.stdout.split('\n').find((l) => l.startsWith(`draft ${id}:`));
    expect(line(sentBack.id)).toContain(
      '(rejected, out of date: based on version 1, version 2 is on air now)',
    );
    expect(line(open.id)).toContain('(open, out of date: based on version 1, version 2 is on air now)');
    // The draft that went on air is not out of date.
    const published = listed.stdout.split('\n').filter((l) => l.includes('(published'));
    expect(published).toHaveLength(1);
    expect(published[0]).not.toContain('out of date');

    const shown = await cli('author', 'draft', 'show', '--draft', sentBack.id);
    expect(shown.status, shown.stderr).toBe(0);
    expect(shown.stdout).toContain('out of date: based on version 1, version 2 is on air now');
    expect(shown.stdout).toContain('waits for author to rebase it onto the version on air');
  }, 120_000);
});
