import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { REPORT_BINDING } from '../../player/browser/chromium-supervisor.js';
import { contentUrl } from '../../player/page-server.js';
import { SITE } from '../helpers/player-bundle.js';
import { rigPerTest, slide, started } from '../helpers/player-rig.js';
import { decodePng } from '../helpers/png.js';

const media = (f: string) => contentUrl(`${SITE}/media/${f}`);

describe('Chromium supervisor: isolation, recycling, screenshots', () => {
  const rigs = rigPerTest('gatecast-sup-');
  const rigWith = rigs.start;
  let other: Server | undefined;

  afterEach(() => {
    other?.close();
    other = undefined;
  });

  it('blocks requests to anything but the page server', async () => {
    let hits = 0;
    other = createServer((_req, res) => {
      hits++;
      res.end('x');
    });
    await new Promise<void>((res) => other!.listen(0, '127.0.0.1', () => res()));
    const otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}/x.png`;
    const r = await rigWith();
    // Through the page's own CSP:
    await r.surface.enqueue(slide({ id: 'off', content: { kind: 'image', src: otherUrl } }));
    await r.waitFor((x) => x.type === 'error' && x.slideId === 'off');
    // With CSP out of the way, request interception still aborts it.
    const page = await r.surface.inspectPage(async (p) => p);
    await page.setBypassCSP(true);
    await page.reload();
    const outcome = await page.evaluate(
      (u) =>
        fetch(u).then(
          () => 'loaded',
          (e: Error) => `failed: ${e.message}`,
        ),
      otherUrl,
    );
    expect(outcome).toMatch(/^failed/);
    expect(hits).toBe(0);
    expect(r.log.records.some((x) => x.msg === 'blocked request off the page server')).toBe(true);
  });

  it('takes reports from the player page only, not from an HTML item that calls the report binding', async () => {
    const r = await rigWith();
    await r.surface.enqueue(slide({ id: 'pkg', content: { kind: 'html', src: media('pkg/index.html') } }));
    await r.waitFor(started('pkg'));
    const forged = JSON.stringify({
      type: 'started',
      pageId: 'forged',
      slideId: 'never-shown',
      startAt: 1,
      actualStart: 1,
    });
    const item = await r.surface.inspectPage(async (p) => p.frames().find((f) => f !== p.mainFrame()));
    // The binding is there in the item's frame too; its call must not count.
    const called = await item!.evaluate(
      (name, report) => {
        const f = (window as unknown as Record<string, unknown>)[name];
        if (typeof f !== 'function') return false;
        (f as (s: string) => void)(report);
        return true;
      },
      REPORT_BINDING,
      forged,
    );
    expect(called).toBe(true);
    await expect
      .poll(() =>
        r.log.records.some((x) => x.msg === 'report from a frame other than the player page ignored'),
      )
      .toBe(true);
    // The page's own reports still count.
    await r.surface.enqueue(
      slide({ id: 'b', startAt: Date.now() + 300, content: { kind: 'image', src: media('green.png') } }),
    );
    await r.waitFor(started('b'));
    expect(r.reports.filter((x) => x.type === 'started').map((x) => x.pageId)).not.toContain('forged');
  });

  it('recycles the page at an item boundary, shows the same item again, and plays on', async () => {
    const r = await rigWith({ recycleEveryMs: 1000 });
    await r.surface.enqueue(slide({ id: 'a', content: { kind: 'image', src: media('red.png') } }));
    await r.waitFor(started('a'));
    await r.surface.enqueue(
      slide({ id: 'b', startAt: Date.now() + 1200, content: { kind: 'image', src: media('green.png') } }),
    );
    await r.waitFor(started('b'));
    // Due for recycling: the page reloads right after the switch and puts 'b' back up.
    await r.waitFor(started('b'));
    expect(r.log.records.some((x) => x.msg === 'recycling page')).toBe(true);
    expect(r.surface.restartCount).toBe(0);
    await r.surface.enqueue(
      slide({
        id: 'c',
        startAt: Date.now() + 800,
        content: { kind: 'text', body: 'tiếp tục', style: 'standard' },
      }),
    );
    await r.waitFor(started('c'));
  });

  it('takes a screenshot on demand', async () => {
    const r = await rigWith();
    await r.surface.enqueue(slide({ id: 'a', content: { kind: 'image', src: media('red.png') } }));
    await r.waitFor(started('a'));
    const png = decodePng(await r.surface.screenshot());
    expect([png.width, png.height]).toEqual([800, 450]);
    // The middle of the red fixture image (scaled to fit) is red.
    const i = (225 * png.width + 600) * 4;
    expect(png.data[i]! > 150 && png.data[i + 1]! < 100).toBe(true);
  });
});
