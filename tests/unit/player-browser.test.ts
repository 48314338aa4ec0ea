import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { chromiumCandidates, kioskArgs } from '../../player/browser/launch-args.js';
import {
  descendants,
  isPssBoundUnder,
  parseStatParent,
  ProcessTree,
  treePssBytes,
  treeRssBytes,
} from '../../player/browser/proc-tree.js';
import { tempDir } from '../helpers/temp.js';

describe('kiosk command line', () => {
  const base = { width: 1920, height: 1080, isRoot: false };

  it('runs a maximised kiosk window on Wayland with no dialogs, bubbles or info bars', () => {
    const a = kioskArgs({ ...base, display: 'wayland', headless: false });
    for (const f of [
      '--kiosk',
      '--start-maximized',
      '--ozone-platform=wayland',
      '--noerrdialogs',
      '--disable-infobars',
      '--disable-session-crashed-bubble',
      '--autoplay-policy=no-user-gesture-required',
    ])
      expect(a).toContain(f);
    expect(a).not.toContain('--no-sandbox');
  });

  it('uses the X11 backend in an X session and a sized window when headless', () => {
    expect(kioskArgs({ ...base, display: 'x11', headless: false })).toContain('--ozone-platform=x11');
    const h = kioskArgs({ ...base, display: 'none', headless: true, isRoot: true });
    expect(h).toContain('--window-size=1920,1080');
    expect(h).toContain('--no-sandbox');
    expect(h).not.toContain('--kiosk');
  });

  it('keeps everything but the loopback unreachable', () => {
    const a = kioskArgs({ ...base, display: 'none', headless: true });
    expect(a.find((f) => f.startsWith('--host-resolver-rules='))).toContain('MAP * ~NOTFOUND');
    expect(a).toContain('--disable-background-networking');
  });

  it('sends the whole loopback but the page server to the dead proxy when given its origin', () => {
    const a = kioskArgs({ ...base, display: 'none', headless: true, pageOrigin: 'http://127.0.0.1:43117' });
    expect(a).toContain('--proxy-server=http://127.0.0.1:1');
    expect(a).toContain('--proxy-bypass-list=<-loopback>;127.0.0.1:43117');
    expect(
      kioskArgs({ ...base, display: 'none', headless: true }).some((f) =>
        f.startsWith('--proxy-bypass-list'),
      ),
    ).toBe(false);
  });

  it('looks for the configured Chromium first, then the Debian and Pi OS names', () => {
    expect(chromiumCandidates('/opt/c')).toEqual([
      '/opt/c',
      '/usr/bin/chromium',
      '/usr/bin/chromium-browser',
    ]);
    expect(chromiumCandidates(undefined)).toEqual(['/usr/bin/chromium', '/usr/bin/chromium-browser']);
  });
});

describe('process tree memory', () => {
  let dir: ReturnType<typeof tempDir> | undefined;
  afterEach(() => dir?.cleanup());

  it('reads the parent pid after a process name with spaces and parentheses', () => {
    expect(parseStatParent('1234 (chromium (renderer) x) S 1200 1234 1234 0 -1')).toBe(1200);
    expect(parseStatParent('garbage')).toBeUndefined();
  });

  it('sums VmRSS over a process and all its descendants, not its siblings', () => {
    dir = tempDir('gatecast-proc-');
    const proc = (pid: number, ppid: number, rssKb: number) => {
      mkdirSync(join(dir!.path, String(pid)));
      writeFileSync(join(dir!.path, String(pid), 'stat'), `${pid} (p ${pid}) S ${ppid} 0 0`);
      writeFileSync(join(dir!.path, String(pid), 'status'), `Name:\tp\nVmRSS:\t  ${rssKb} kB\n`);
    };
    proc(10, 1, 100); // browser
    proc(11, 10, 200); // renderer
    proc(12, 11, 300); // grandchild
    proc(20, 1, 5000); // unrelated
    mkdirSync(join(dir.path, 'self'));
    expect(
      descendants(
        10,
        new Map([
          [11, 10],
          [12, 11],
          [20, 1],
        ]),
      ).sort(),
    ).toEqual([10, 11, 12]);
    expect(treeRssBytes(10, dir.path)).toBe((100 + 200 + 300) * 1024);
    // PSS where the kernel gives it (shared pages split between sharers), RSS otherwise.
    writeFileSync(join(dir.path, '11', 'smaps_rollup'), 'Rss:  200 kB\nPss:   50 kB\n');
    expect(treePssBytes(10, dir.path)).toBe((100 + 50 + 300) * 1024);
  });

  it('keeps the tree between scans of /proc: the RSS sum reads its members only, until one is gone or PSS is read', () => {
    dir = tempDir('gatecast-proc-');
    const proc = (pid: number, ppid: number, rssKb: number) => {
      mkdirSync(join(dir!.path, String(pid)), { recursive: true });
      writeFileSync(join(dir!.path, String(pid), 'stat'), `${pid} (p ${pid}) S ${ppid} 0 0`);
      writeFileSync(join(dir!.path, String(pid), 'status'), `Name:\tp\nVmRSS:\t  ${rssKb} kB\n`);
    };
    proc(10, 1, 100);
    proc(11, 10, 200);
    const tree = new ProcessTree(10, dir.path);
    expect(tree.rssBytes()).toBe(300 * 1024);
    // A member's RSS is read again; a process born since is not looked for.
    proc(11, 10, 250);
    proc(12, 10, 1000);
    expect(tree.rssBytes()).toBe(350 * 1024);
    // A PSS reading looks the tree up again, and the RSS sums after it count the newcomer.
    expect(tree.pssBytes()).toBe((100 + 250 + 1000) * 1024);
    expect(tree.rssBytes()).toBe(1350 * 1024);
    // A member gone: the tree is looked up again at once.
    rmSync(join(dir.path, '11'), { recursive: true });
    proc(13, 10, 40);
    expect(tree.rssBytes()).toBe((100 + 1000 + 40) * 1024);
  });

  it('reads PSS again only when the RSS growth since the last reading could take it over the limit, or it is old', () => {
    const MB = 1024 ** 2;
    const last = { pssBytes: 600 * MB, rssBytes: 1300 * MB, at: 1000 };
    // No reading yet: read.
    expect(isPssBoundUnder(undefined, 1300 * MB, 1000, 1024 * MB, 60_000)).toBe(false);
    // RSS sum over the limit, but PSS + growth under it: no need to read.
    expect(isPssBoundUnder(last, 1300 * MB, 2000, 1024 * MB, 60_000)).toBe(true);
    expect(isPssBoundUnder(last, 1700 * MB, 2000, 1024 * MB, 60_000)).toBe(true);
    expect(isPssBoundUnder(last, 1200 * MB, 2000, 1024 * MB, 60_000)).toBe(true);
    // Grown by more than the headroom: read.
    expect(isPssBoundUnder(last, 1725 * MB, 2000, 1024 * MB, 60_000)).toBe(false);
    // Too old: read.
    expect(isPssBoundUnder(last, 1300 * MB, 61_000, 1024 * MB, 60_000)).toBe(false);
  });
});
