/**
 * The sync server refuses a draft with the same named problems `gatecast check-content` finds in
 * its manifest: one check, shared, not a weaker copy on the server.
 */
import { createHash } from 'node:crypto';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mediaTargets } from '../../protocol/content.js';
import { runGatecast } from '../helpers/cli-process.js';
import { login, openDrafts, type Rig, SG, startRig } from '../helpers/publish-rig.js';

describe('draft creation on the server uses the complete content check', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
  });
  afterAll(() => rig.stop());

  it('refuses time zone "Asia/Hanoi" and language "kh" with the problems check-content names', async () => {
    const folder = join(rig.t.path, 'hanoi');
    cpSync(rig.media, folder, { recursive: true });
    const file = join(folder, 'bundle.json');
    const m = JSON.parse(readFileSync(file, 'utf8')) as {
      schedule: { timezone: string };
      items: { variants: Record<string, unknown> }[];
    };
    m.schedule.timezone = 'Asia/Hanoi';
    m.items[1]!.variants['kh'] = m.items[1]!.variants['km'];
    const text = JSON.stringify(m, null, 2);
    writeFileSync(file, text);

    const cli = runGatecast(['check-content', 'bundle.json', '--json'], { cwd: folder });
    expect(cli.status).toBe(1);
    const cliProblems = (JSON.parse(cli.stdout) as { problems: { path: string; message: string }[] })
      .problems;
    expect(cliProblems).toHaveLength(2);

    // Every media file declared with its real length and hash: only the manifest is wrong.
    const files = mediaTargets(m as never).map((target) => {
      const bytes = readFileSync(join(folder, target.slice(SG.length + 1)));
      return { path: target, length: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
    });
    const before = (await openDrafts(rig)).length;
    const author = await login(rig.base, 'tam');
    const res = await fetch(`${rig.base}/api/publish/drafts`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        cookie: author.cookie,
        'x-csrf-token': author.csrfToken,
      },
      body: JSON.stringify({ siteGroup: SG, manifest: text, files }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as {
      error: { code: string; problems: { path: string; message: string }[] };
    };
    expect(body.error.code).toBe('DRAFT_INVALID');
    expect(body.error.problems).toEqual([
      {
        path: 'bundle.json:items.[1].variants.kh',
        message: '"kh" is not a registered language; did you mean "km"?',
      },
      {
        path: 'bundle.json:schedule.timezone',
        message: '"Asia/Hanoi" is not a time zone of the IANA database; did you mean "Asia/Ho_Chi_Minh"?',
      },
    ]);
    expect(body.error.problems).toEqual(cliProblems);
    expect((await openDrafts(rig)).length).toBe(before);
  });
});
