import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { contentUrl } from '../../player/page-server.js';
import { MutableContentSource } from '../helpers/dir-content.js';
import { playerBundle, SITE, TEXTS } from '../helpers/player-bundle.js';
import { type Rig, slide, started, startRig } from '../helpers/player-rig.js';
import { tempDir } from '../helpers/temp.js';

const media = (f: string) => contentUrl(`${SITE}/media/${f}`);

describe('player page in Chromium', () => {
  let dir: ReturnType<typeof tempDir>;
  let rig: Rig;
  let content: MutableContentSource;

  beforeEach(async () => {
    dir = tempDir('gatecast-page-');
    content = new MutableContentSource(playerBundle(dir.path));
    rig = await startRig(content, dir.path);
  });
  /** A file's URL naming its verified bytes, as the player loop builds it. */
  const named = (f: string) => {
    const target = `${SITE}/media/${f}`;
    return contentUrl(target, content.current()!.targets.get(target)!.sha256);
  };
  /** The bundle files the page server opened to answer a request (each request checks its file). */
  const watchFileRequests = () => {
    const opened: string[] = [];
    const verdicts = rig.server.verdicts;
    const open = verdicts.open.bind(verdicts);
    verdicts.open = (path, expected) => {
      opened.push(path.slice(path.lastIndexOf('/') + 1));
      return open(path, expected);
    };
    return opened;
  };
  afterEach(async () => {
    await rig?.stop();
    dir.cleanup();
  });

  it('plays image, video, HTML and text items in order, each at its planned time', async () => {
    // Generous lead: the machine running the tests may be busy with other Chromiums.
    const t0 = Date.now() + 3000;
    const plan = [
      slide({ id: 'img', startAt: t0, content: { kind: 'image', src: media('red.png') } }),
      slide({
        id: 'vid',
        startAt: t0 + 1000,
        content: { kind: 'video', src: media('clip.webm'), loop: true },
      }),
      slide({ id: 'html', startAt: t0 + 2000, content: { kind: 'html', src: media('pkg/index.html') } }),
      slide({
        id: 'text',
        startAt: t0 + 3000,
        transition: 'fade',
        fadeMs: 300,
        lang: 'km',
        content: { kind: 'text', ...TEXTS.km, style: 'notice' },
        ticker: {
          speedPxPerS: 100,
          parts: [
            { lang: 'vi', text: 'Xin chào' },
            { lang: 'km', text: 'សួស្តី' },
          ],
        },
      }),
      slide({ id: 'img2', startAt: t0 + 4000, content: { kind: 'image', src: media('green.png') } }),
    ];
    for (const s of plan) await rig.surface.enqueue(s);
    await rig.waitFor(started('img2'), 15_000);
    const starts = rig.reports.filter((r) => r.type === 'started');
    const errors = rig.reports.filter((r) => r.type === 'error' || r.type === 'page-error');
    expect(
      starts.map((r) => r.type === 'started' && r.slideId),
      JSON.stringify(errors),
    ).toEqual(plan.map((s) => s.id));
    for (const r of starts) {
      if (r.type !== 'started') continue;
      // The switch lands on the animation frame nearest the plan; allow a loaded 2-core machine slack.
      expect(Math.abs(r.actualStart - r.startAt), r.slideId).toBeLessThan(250);
    }
    expect(errors).toEqual([]);
  });

  it('skips a slide that cannot load, reports it, and keeps the current one on screen', async () => {
    await rig.surface.enqueue(slide({ id: 'a', content: { kind: 'image', src: media('red.png') } }));
    await rig.waitFor(started('a'));
    await rig.surface.enqueue(
      slide({ id: 'bad', startAt: Date.now() + 300, content: { kind: 'image', src: media('gone.png') } }),
    );
    const err = await rig.waitFor((r) => r.type === 'error');
    expect(err).toMatchObject({ type: 'error', slideId: 'bad' });
    const hb = await rig.waitFor((r) => r.type === 'heartbeat');
    expect(hb).toMatchObject({ type: 'heartbeat', current: 'a' });
  });

  it('asks the page server once per file for items that come round again', async () => {
    const t0 = Date.now() + 2000;
    const srcs = [named('red.png'), named('pkg/index.html')];
    const plan = [0, 1, 2, 3, 4, 5].map((i) => {
      const src = srcs[i % 2]!;
      return slide({
        id: `s${i}`,
        startAt: t0 + i * 600,
        content: src.includes('.html') ? { kind: 'html', src } : { kind: 'image', src },
      });
    });
    const opened = watchFileRequests();
    for (const s of plan) await rig.surface.enqueue(s);
    await rig.waitFor(started('s5'), 15_000);
    expect(rig.reports.filter((r) => r.type === 'error' || r.type === 'page-error')).toEqual([]);
    // Three plays each: the image and the HTML page are asked for once (no revalidation, no
    // second request to learn the HTML page's status). The page's own style and script are asked
    // by path, so each play revalidates them, as before.
    expect(opened.filter((f) => f === 'red.png')).toHaveLength(1);
    expect(opened.filter((f) => f === 'index.html')).toHaveLength(1);
  });

  it('skips an HTML item the page server refuses, without showing the error page', async () => {
    await rig.surface.enqueue(slide({ id: 'a', content: { kind: 'image', src: media('red.png') } }));
    await rig.waitFor(started('a'));
    const wrong = `${media('pkg/index.html')}?sha256=${'ab'.repeat(32)}`;
    await rig.surface.enqueue(
      slide({ id: 'bad-html', startAt: Date.now() + 300, content: { kind: 'html', src: wrong } }),
    );
    const err = await rig.waitFor((r) => r.type === 'error');
    expect(err).toMatchObject({ type: 'error', slideId: 'bad-html' });
    expect(err.type === 'error' && err.reason).toContain('HTTP 404');
    expect(rig.reports.some((r) => r.type === 'started' && r.slideId === 'bad-html')).toBe(false);
  });
});
