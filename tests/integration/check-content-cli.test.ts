/**
 * `gatecast check-content`, run as its own process: every problem of a bundle at once (model,
 * references, time zone, language tags, media files by their bytes), JSON syntax errors by line
 * and column, and the documented exit codes.
 */
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sampleBundleDir } from '../../sync-server/tuf/demo-repository.js';
import { runGatecast } from '../helpers/cli-process.js';
import { tempDir } from '../helpers/temp.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('gatecast check-content', { timeout: 180_000 }, () => {
  let t: ReturnType<typeof tempDir>;
  afterEach(() => t.cleanup());

  /** A copy of the Hà Tiên sample (bundle.json and its media) with `change` applied to the manifest. */
  function sample(change: (m: Json) => void = () => undefined): string {
    t = tempDir('gatecast-check-');
    cpSync(sampleBundleDir(), t.path, { recursive: true });
    const file = join(t.path, 'bundle.json');
    const m = JSON.parse(readFileSync(file, 'utf8')) as Json;
    change(m);
    writeFileSync(file, JSON.stringify(m, null, 2));
    return file;
  }

  function check(file: string): { status: number | null; problems: { path: string; message: string }[] } {
    const r = runGatecast(['check-content', file, '--json']);
    return { status: r.status, problems: (JSON.parse(r.stdout) as { problems: [] }).problems };
  }

  it('passes the sample bundle with exit code 0', () => {
    const r = runGatecast(['check-content', sample()]);
    expect(r.stdout).toContain('ok — 5 items, 2 playlists, 1 schedule entries');
    expect(r.status).toBe(0);
  });

  it('lists every problem in one run, each with its JSON path, and exits 1', () => {
    const file = sample((m) => {
      m.schedule.timezone = 'Asia/Hanoi';
      m.items[1].variants.kh = m.items[1].variants.km;
      m.items[2].variants.cn = m.items[2].variants['zh-Hans'];
      m.items[2].variants.zh = m.items[2].variants['zh-Hans'];
      m.items[0].variants.vi.src = 'kien-giang/ha-tien/media/welcome/missing.png';
      m.items[0].title = ''; // a shape error does not hide the references below
      m.items.push({ id: 'bad', title: 'x', kind: 'slideshow', variants: {} });
      m.playlists[0].entries.push({ itemId: 'nowhere' });
      m.schedule.defaultPlaylistId = 'gone';
    });
    const { status, problems } = check(file);
    expect(status).toBe(1);
    const at = (path: string) => problems.filter((p) => p.path === `${file}:${path}`).map((p) => p.message);
    expect(at('schedule.timezone')).toEqual([
      '"Asia/Hanoi" is not a time zone of the IANA database; did you mean "Asia/Ho_Chi_Minh"?',
    ]);
    expect(at('items.[1].variants.kh')).toEqual(['"kh" is not a registered language; did you mean "km"?']);
    expect(at('items.[2].variants.cn')).toEqual([
      '"cn" is not a registered language; did you mean "zh-Hans"?',
    ]);
    expect(at('items.[2].variants.zh')).toEqual([
      '"zh" is not one of the gate languages (vi, km, lo, zh-Hans, en); did you mean "zh-Hans"?',
    ]);
    expect(at('items.[0].title')).toHaveLength(1);
    expect(at('items.[5].kind')).toHaveLength(1);
    expect(at('playlists.[0].entries.[5].itemId')).toEqual(['playlist "day" names unknown item "nowhere"']);
    expect(at('schedule.defaultPlaylistId')).toEqual(['default playlist "gone" does not exist']);
    expect(at('items.[0].variants.vi.src')).toEqual([
      expect.stringMatching(
        /^file .*media\/welcome\/missing\.png does not exist \(target "kien-giang\/ha-tien\/media\/welcome\/missing\.png"\)$/,
      ),
    ]);
    expect(problems).toHaveLength(9);
  });

  it('checks each media file by its bytes: the item kind and the name must match them', () => {
    const file = sample();
    const media = join(t.path, 'media');
    // A JPEG named .png in an image item, and a PNG as the video's clip.
    cpSync(join(media, 'gate-clip-poster.jpg'), join(media, 'welcome', 'km.png'));
    cpSync(join(media, 'welcome', 'vi.png'), join(media, 'gate-clip.mp4'));
    rmSync(join(media, 'tourism', 'en.png'));
    const { status, problems } = check(file);
    expect(status).toBe(1);
    expect(problems).toEqual([
      {
        path: `${file}:items.[0].variants.km.src`,
        message: expect.stringMatching(
          /welcome\/km\.png is named \.png \(a PNG image\) but its bytes are a JPEG image$/,
        ),
      },
      {
        path: `${file}:items.[3].variants.zxx.src`,
        message: expect.stringMatching(/gate-clip\.mp4 is a PNG image, but a video item needs a video$/),
      },
      {
        path: `${file}:items.[4].variants.en.src`,
        message: expect.stringMatching(/tourism\/en\.png does not exist/),
      },
    ]);
  });

  it('gives the line and column of a JSON syntax error', () => {
    const file = sample();
    writeFileSync(file, '{\n  "schema": 1,\n  "siteGroup": "kien-giang/ha-tien"\n  "items": []\n}\n');
    const r = runGatecast(['check-content', file]);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`${file}: not valid JSON at line 4, column 3: expected "," or "}", found '"'`);
  });

  it('exits 2 on a file it cannot read or a usage error, and documents the codes in --help', () => {
    t = tempDir('gatecast-check-');
    const unreadable = runGatecast(['check-content', join(t.path, 'none.json')]);
    expect(unreadable.status).toBe(2);
    expect(unreadable.stderr).toContain('cannot read');
    expect(runGatecast(['check-content']).status).toBe(2);
    expect(runGatecast(['check-content', 'a.json', '--bogus']).status).toBe(2);
    const help = runGatecast(['check-content', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(
      /Exit codes:\n {2}0 {2}no problem found\n {2}1 {2}problems found[^\n]*\n {2}2 {2}usage error/,
    );
  });
});
