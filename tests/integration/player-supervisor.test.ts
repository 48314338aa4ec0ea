import type { Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { RestartInfo } from '../../player/browser/chromium-supervisor.js';
import { contentUrl } from '../../player/page-server.js';
import { SITE } from '../helpers/player-bundle.js';
import { type Rig, rigPerTest, slide, started } from '../helpers/player-rig.js';

const media = (f: string) => contentUrl(`${SITE}/media/${f}`);

function nextRestart(rig: Rig, timeoutMs = 15_000): Promise<RestartInfo> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no restart')), timeoutMs);
    const off = rig.surface.onRestart((info) => {
      clearTimeout(t);
      off();
      resolve(info);
    });
  });
}

describe('Chromium supervisor', () => {
  const rigs = rigPerTest('gatecast-sup-');
  const rigWith = rigs.start;
  let other: Server | undefined;

  afterEach(() => {
    other?.close();
    other = undefined;
  });

  it('brings the screen back after the browser is killed, and playback continues', async () => {
    const r = await rigWith();
    await r.surface.enqueue(slide({ id: 'a', content: { kind: 'image', src: media('red.png') } }));
    await r.waitFor(started('a'));
    const next = slide({
      id: 'b',
      startAt: Date.now() + 4000,
      content: { kind: 'image', src: media('green.png') },
    });
    await r.surface.enqueue(next);
    const oldPid = r.surface.pid!;
    const restarted = nextRestart(r);
    const backOnAir = r.waitFor(started('a'));
    process.kill(oldPid, 'SIGKILL');
    expect((await restarted).reason).toBe('browser disconnected');
    await backOnAir; // what was on air is shown again at once
    expect(r.surface.pid).not.toBe(oldPid);
    const b = await r.waitFor(started('b'));
    expect(b.type === 'started' && b.actualStart >= next.startAt - 20).toBe(true);
  });

  it('shows a notice over the content, keeps it across a restart, and removes it when it expires', async () => {
    const r = await rigWith();
    await r.surface.enqueue(slide({ id: 'a', content: { kind: 'image', src: media('red.png') } }));
    await r.waitFor(started('a'));
    const noticeText = () =>
      r.surface.inspectPage((page) =>
        page.evaluate(() => document.getElementById('notice')?.innerText ?? null),
      );
    await r.surface.notice({ lines: ['gc-1234', '192.0.2.7', 'playing'], untilEpochMs: Date.now() + 6000 });
    await expect.poll(noticeText, { timeout: 5000 }).toContain('gc-1234');
    await r.surface.restart('test');
    await expect.poll(noticeText, { timeout: 10_000 }).toContain('192.0.2.7');
    await expect.poll(noticeText, { timeout: 10_000, interval: 500 }).toBeNull();
  });

  it('restarts the browser when the page stops reporting', async () => {
    const r = await rigWith({ pageStallMs: 1500 });
    await r.surface.enqueue(slide({ id: 'a', content: { kind: 'image', src: media('red.png') } }));
    await r.waitFor(started('a'));
    const restarted = nextRestart(r);
    // Hang the page's main thread: no more heartbeats.
    void r.surface.inspectPage((page) => page.evaluate('for (;;) {}')).catch(() => undefined);
    expect((await restarted).reason).toMatch(/^page silent for \d+ ms$/);
    await r.waitFor(started('a'));
  });

  it('restarts the browser when its memory passes the limit', async () => {
    const r = await rigWith({ browserMemoryLimitBytes: 1, memoryCheckIntervalMs: 300 });
    const info = await nextRestart(r);
    expect(info.reason).toMatch(/^memory \d+ bytes over limit$/);
    expect(r.surface.lastMemoryBytes).toBeGreaterThan(10 * 1024 ** 2);
  });
});
