import { describe, expect, it } from 'vitest';
import { contentUrl } from '../../player/page-server.js';
import { SITE } from '../helpers/player-bundle.js';
import { rigPerTest, slide, started, nextRestart } from '../helpers/player-rig.js';

const media = (f: string) => contentUrl(`${SITE}/media/${f}`);

describe('Chromium supervisor', () => {
  const rigs = rigPerTest('gatecast-sup-');
  const rigWith = rigs.start;

  it('brings the screen back after the browser is killed, and playback continues', async () => {
    const r = await rigWith();
    await r.surface.enqueue(slide({ id: 'a', content: { kind: 'image', src: media('red.png') } }));
    await r.waitFor(started('a'));
    const next = slide({
      id: 'b',
      startAt: Date.now() + 4000,
      durationMs: 120_000,
      content: { kind: 'image', src: media('green.png') },
    });
    await r.surface.enqueue(next);
    const oldPid = r.surface.pid!;
    const restarted = nextRestart(r, 60_000);
    // Whatever should be on air when the page is back is shown at once: 'a' if the restart beat b's
    // start, b if b was due by then (a loaded machine takes longer than that to start Chromium).
    const backOnAir = r.waitFor((x) => x.type === 'started', 60_000);
    const bOnAir = r.waitFor(started('b'), 60_000);
    process.kill(oldPid, 'SIGKILL');
    expect((await restarted).reason).toBe('browser disconnected');
    const first = await backOnAir;
    const b = await bOnAir;
    expect(r.surface.pid).not.toBe(oldPid);
    if (first.type !== 'started' || b.type !== 'started') throw new Error('not a started report');
    expect(['a', 'b']).toContain(first.slideId);
    if (first.slideId === 'a') expect(first.actualStart).toBeLessThan(next.startAt);
    expect(b.actualStart).toBeGreaterThanOrEqual(next.startAt - 20);
    // One restart, the kill's: the page's liveness checks did not count the restart as a stall.
    expect(r.surface.restartCount).toBe(1);
  });

  it('shows a notice over the content, keeps it across a restart, and removes it when it expires', async () => {
    const r = await rigWith();
    await r.surface.enqueue(slide({ id: 'a', content: { kind: 'image', src: media('red.png') } }));
    await r.waitFor(started('a'));
    const noticeText = () =>
      r.surface
        .inspectPage((page) => page.evaluate(() => document.getElementById('notice')?.innerText ?? null))
        .catch(() => 'no page');
    // Long enough to outlast a restart on a loaded machine; its expiry is checked below.
    const lines = ['gc-1234', '192.0.2.7', 'playing'];
    await r.surface.notice({ lines, untilEpochMs: Date.now() + 120_000 });
    await expect.poll(noticeText, { timeout: 5000 }).toContain('gc-1234');
    await r.surface.restart('test');
    await expect.poll(noticeText, { timeout: 10_000 }).toContain('192.0.2.7');
    // The same notice, now due to expire soon: it goes when it does, and a restart does not bring
    // it back.
    await r.surface.notice({ lines, untilEpochMs: Date.now() + 1500 });
    await expect.poll(noticeText, { timeout: 10_000, interval: 250 }).toBeNull();
    await r.surface.restart('test');
    expect(await noticeText()).toBeNull();
    expect(r.surface.restartCount).toBe(2);
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
