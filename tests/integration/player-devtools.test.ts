/**
 * The kiosk browser must not be drivable by anyone but the supervisor: no DevTools TCP port (any
 * local user could connect, read file:// and pull the device key out through a download), downloads
 * denied, and no file:// navigation from page content.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { contentUrl } from '../../player/page-server.js';
import { SITE } from '../helpers/player-bundle.js';
import { rigPerTest, slide, started, nextRestart } from '../helpers/player-rig.js';
import { cmdline, listeningTcpPorts, processTree } from '../helpers/proc-sockets.js';
import { tempDir } from '../helpers/temp.js';

const media = (f: string) => contentUrl(`${SITE}/media/${f}`);

/** The checks on one running browser: its command line and every process it spawned. */
function expectNoDevToolsPort(pid: number): void {
  const args = cmdline(pid);
  expect(args.filter((a) => a.startsWith('--remote-debugging-port'))).toEqual([]);
  expect(args).toContain('--remote-debugging-pipe');
  // Chromium's popup blocker stays on (puppeteer's default turns it off).
  expect(args).not.toContain('--disable-popup-blocking');
  const tree = processTree(pid);
  expect(tree.length).toBeGreaterThan(1); // renderers, GPU, utilities: the probe sees the whole tree
  expect(listeningTcpPorts(tree)).toEqual([]);
}

describe('Chromium supervisor: no DevTools port, no downloads, no file://', () => {
  const rigs = rigPerTest('gatecast-devtools-');

  it('drives Chromium over a pipe, with no TCP port listening in its process tree, across a restart', async () => {
    const r = await rigs.start();
    // The probe finds a listener where there is one: the page server in this process.
    expect(listeningTcpPorts([process.pid])).toContain(Number(new URL(r.server.pageUrl).port));
    await r.surface.enqueue(slide({ id: 'a', content: { kind: 'image', src: media('red.png') } }));
    await r.waitFor(started('a'));
    const oldPid = r.surface.pid!;
    expectNoDevToolsPort(oldPid);

    const restarted = nextRestart(r);
    const backOnAir = r.waitFor(started('a'));
    process.kill(oldPid, 'SIGKILL');
    expect((await restarted).reason).toBe('browser disconnected');
    await backOnAir;
    expect(r.surface.pid).not.toBe(oldPid);
    expectNoDevToolsPort(r.surface.pid!);
  });

  it('denies a download started by page content', async () => {
    const home = tempDir('gatecast-home-');
    try {
      const r = await rigs.start({ env: { ...process.env, HOME: home.path } });
      await r.surface.enqueue(slide({ id: 'a', content: { kind: 'image', src: media('red.png') } }));
      await r.waitFor(started('a'));
      const page = await r.surface.inspectPage(async (p) => p);
      const cdp = await page.createCDPSession();
      await cdp.send('Page.enable');
      const outcome = new Promise<string>((resolve) =>
        cdp.on('Page.downloadProgress', (e) => {
          if (e.state !== 'inProgress') resolve(e.state);
        }),
      );
      await page.evaluate(() => {
        const a = document.createElement('a');
        a.href = URL.createObjectURL(new Blob(['device key']));
        a.download = 'identity.key';
        document.body.append(a);
        a.click();
      });
      expect(await outcome).toBe('canceled');
      await cdp.detach();
      const downloads = join(home.path, 'Downloads');
      expect(existsSync(downloads) ? readdirSync(downloads) : []).toEqual([]);
    } finally {
      home.cleanup();
    }
  });

  it('refuses a file:// navigation or frame started by page content, and plays on', async () => {
    const r = await rigs.start();
    await r.surface.enqueue(slide({ id: 'a', content: { kind: 'image', src: media('red.png') } }));
    await r.waitFor(started('a'));
    const page = await r.surface.inspectPage(async (p) => p);
    const refused: string[] = [];
    const twoRefusals = new Promise<void>((resolve) =>
      page.on('console', (m) => {
        if (m.text().startsWith('Not allowed to load local resource: file://')) refused.push(m.text());
        if (refused.length === 2) resolve();
      }),
    );
    await page.evaluate(() => {
      const f = document.createElement('iframe');
      f.src = 'file:///etc/hostname';
      document.body.append(f);
      location.href = 'file:///etc/hostname';
    });
    await twoRefusals;
    expect(new URL(page.url()).origin).toBe(new URL(r.server.pageUrl).origin);
    expect(page.frames().some((f) => f.url().startsWith('file:'))).toBe(false);
    await r.surface.enqueue(
      slide({ id: 'b', startAt: Date.now() + 500, content: { kind: 'image', src: media('green.png') } }),
    );
    await r.waitFor(started('b'));
  });
});
