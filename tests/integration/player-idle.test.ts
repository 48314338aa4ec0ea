/**
 * Between switches the screen's page does nothing: no animation frames (the compositor idles) and
 * no requests (no heartbeat fetch); the supervisor still hears that it is alive, over its pipe.
 * Frame accounting, for the benchmarks, runs on every frame only with `?frames=1`.
 */
import { describe, expect, it } from 'vitest';
import { contentUrl } from '../../player/page-server.js';
import type { SupervisorTimers } from '../../player/browser/chromium-supervisor.js';
import type { PageReport } from '../../player/slide.js';
import { SITE } from '../helpers/player-bundle.js';
import { type Rig, rigPerTest, slide, started } from '../helpers/player-rig.js';

const media = (f: string) => contentUrl(`${SITE}/media/${f}`);

/** Runs before the player's script: records the time of every animation frame callback. */
const COUNT_FRAMES = `(() => {
  window.__frameTimes = [];
  const raf = window.requestAnimationFrame.bind(window);
  window.requestAnimationFrame = (cb) =>
    raf((ts) => {
      window.__frameTimes.push(performance.timeOrigin + ts);
      cb(ts);
    });
})();`;

interface IdleRun {
  frames: number[];
  requests: { at: number; method: string; url: string }[];
  from: number;
  to: number;
  startAt: number;
  actualStart: number;
  /** The supervisor's first state read after `b` went on air (the page said nothing more). */
  heartbeat: PageReport;
}

/**
 * Shows `a`, then `b` four seconds later, on the player page opened with `query`; returns the
 * animation frames and requests of the page until the supervisor, hearing nothing more, has read
 * its state, and the window in which it had nothing to do (from 1.5 s after `b` was queued, time to
 * load it, to 200 ms before its start).
 */
async function playTwo(r: Rig, query: string): Promise<IdleRun> {
  const page = await r.surface.inspectPage(async (p) => p);
  await page.evaluateOnNewDocument(COUNT_FRAMES);
  await page.goto(`${r.server.pageUrl}${query}`, { waitUntil: 'domcontentloaded' });
  await page.waitForFunction(() => 'gatecast' in window);
  const cdp = await page.createCDPSession();
  const requests: IdleRun['requests'] = [];
  cdp.on('Network.requestWillBeSent', (e) =>
    requests.push({ at: e.wallTime * 1000, method: e.request.method, url: e.request.url }),
  );
  await cdp.send('Network.enable');
  await r.surface.enqueue(slide({ id: 'a', content: { kind: 'image', src: media('red.png') } }));
  await r.waitFor(started('a'));
  const queuedAt = Date.now();
  const b = slide({ id: 'b', startAt: queuedAt + 4000, content: { kind: 'image', src: media('green.png') } });
  await r.surface.enqueue(b);
  const s = await r.waitFor(started('b'));
  const heartbeat = await r.waitFor((x) => x.type === 'heartbeat');
  const frames = (await page.evaluate('window.__frameTimes')) as number[];
  await cdp.detach();
  return {
    frames,
    requests,
    from: queuedAt + 1500,
    to: b.startAt - 200,
    startAt: b.startAt,
    actualStart: s.type === 'started' ? s.actualStart : Number.NaN,
    heartbeat,
  };
}

const within = (times: number[], from: number, to: number) => times.filter((t) => t > from && t < to);

describe('player page between switches', () => {
  const rigs = rigPerTest('gatecast-idle-');

  it('requests no animation frames and makes no requests while waiting for the next switch, and switches on time', async () => {
    const r = await rigs.start();
    const w = await playTwo(r, '');
    expect(within(w.frames, w.from, w.to)).toEqual([]);
    expect(
      within(
        w.requests.map((x) => x.at),
        w.from,
        w.to,
      ),
    ).toEqual([]);
    // It woke for the switch: the frame it switched in is one it asked for.
    expect(w.frames).toContain(w.actualStart);
    expect(Math.abs(w.actualStart - w.startAt)).toBeLessThan(250);
    // Around the switch it watched at most the frame just gone that Chromium may hand over first,
    // one more, and the switch, which also emptied the old layer: nothing after it.
    const around = within(w.frames, w.startAt - 200, w.startAt + 100);
    expect(around.length).toBeLessThanOrEqual(3);
    expect(around.at(-1)).toBe(w.actualStart);
    // The supervisor still hears from the page: it reads the page's state over its pipe.
    expect(w.heartbeat).toMatchObject({ type: 'heartbeat', current: 'b', queued: 0 });
  });

  it('is not asked for its state while its own reports show it alive, and is asked again once it goes quiet; the supervisor wakes no timer meanwhile', async () => {
    // The supervisor's timers, counted as they fire.
    const fired: number[] = [];
    const timers: SupervisorTimers = {
      setTimeout: (fn, ms) =>
        setTimeout(() => {
          fired.push(Date.now());
          fn();
        }, ms),
      clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
    };
    // Asked every second when quiet (pageStallMs / 3); no memory check in the window.
    const r = await rigs.start({ pageStallMs: 3000, memoryCheckIntervalMs: 600_000, timers });
    const t0 = Date.now() + 1500;
    const ids = Array.from({ length: 12 }, (_, i) => `s${i}`);
    for (const [i, id] of ids.entries()) {
      const src = media(i % 2 ? 'green.png' : 'red.png');
      await r.surface.enqueue(
        slide({ id, startAt: t0 + i * 400, durationMs: 400, content: { kind: 'image', src } }),
      );
    }
    await r.waitFor(started(ids[0]!));
    const from = r.reports.length;
    const firedFrom = Date.now();
    await r.waitFor(started(ids.at(-1)!));
    const during = r.reports.slice(from);
    // Eleven switches in 4.4 s, each a report over the pipe: no state read in between, and no
    // timer of the supervisor's fired (no watch polling at a fixed rate).
    expect(during.filter((x) => x.type === 'started')).toHaveLength(ids.length - 1);
    expect(during.filter((x) => x.type === 'heartbeat')).toEqual([]);
    expect(fired.filter((t) => t >= firedFrom)).toEqual([]);
    // On air for good now: the page says nothing, so the supervisor asks, woken once for it.
    const quietFrom = Date.now();
    const hb = await r.waitFor((x) => x.type === 'heartbeat', 5000);
    expect(hb).toMatchObject({ type: 'heartbeat', current: ids.at(-1), queued: 0 });
    expect(Date.now() - quietFrom).toBeLessThan(2500);
    expect(fired.filter((t) => t >= quietFrom)).toHaveLength(1);
  });

  it('reports its switches over the pipe: the only requests are for the content it shows', async () => {
    const r = await rigs.start();
    const w = await playTwo(r, '');
    expect(w.requests.map((x) => `${x.method} ${new URL(x.url).pathname}`)).toEqual([
      `GET ${media('red.png')}`,
      `GET ${media('green.png')}`,
    ]);
  });

  it('paints only the layer on air: the next slide waits loaded in a hidden layer, and a fade shows both', async () => {
    const r = await rigs.start();
    await r.surface.enqueue(slide({ id: 'a', content: { kind: 'image', src: media('red.png') } }));
    await r.waitFor(started('a'));
    const startAt = Date.now() + 4000;
    await r.surface.enqueue(
      slide({
        id: 'b',
        startAt,
        transition: 'fade',
        fadeMs: 1500,
        content: { kind: 'image', src: media('green.png') },
      }),
    );
    const layers = () =>
      r.surface.inspectPage((p) =>
        p.evaluate(() =>
          Array.from(document.querySelectorAll('.layer')).map((l) => ({
            visibility: getComputedStyle(l).visibility,
            img: (l.querySelector('img')?.src ?? '').split('/').pop(),
            isLoaded: !!l.querySelector('img')?.complete,
          })),
        ),
      );
    // b is loaded (decoded) well before its start, in a layer that is not painted.
    await expect
      .poll(async () => (await layers()).some((l) => l.img === 'green.png' && l.isLoaded), { timeout: 3000 })
      .toBe(true);
    expect(Date.now()).toBeLessThan(startAt);
    const waiting = await layers();
    expect(waiting.filter((l) => l.visibility === 'visible').map((l) => l.img)).toEqual(['red.png']);
    // During the fade both are painted; after it, only b.
    await r.waitFor(started('b'));
    const fading = await layers();
    expect(
      fading
        .filter((l) => l.visibility === 'visible')
        .map((l) => l.img)
        .sort(),
    ).toEqual(['green.png', 'red.png']);
    await expect
      .poll(async () => (await layers()).filter((l) => l.visibility === 'visible').map((l) => l.img), {
        timeout: 5000,
      })
      .toEqual(['green.png']);
  });

  it('counts every frame when opened with ?frames=1 (the benchmarks)', async () => {
    const r = await rigs.start();
    const w = await playTwo(r, '?frames=1');
    expect(within(w.frames, w.from, w.to).length).toBeGreaterThan(20);
    const stats = (await r.surface.inspectPage((p) => p.evaluate('window.gatecast.stats()'))) as {
      frames: number;
    };
    expect(stats.frames).toBeGreaterThan(20);
  });
});
