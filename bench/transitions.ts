/**
 * `npm run bench -- transitions [--transitions 1000] [--item-ms 250]`
 *
 * Plays a long run of mixed image / video / HTML / text slides (every third a fade) back to back in
 * headless Chromium, twice in the same run: through the gatecast page (double buffer, page server,
 * supervisor) and through a naive player that swaps `src` on one element per kind when the item is
 * due, without preloading (the baseline).
 *
 * Method: both pages run the same per-frame accounting in requestAnimationFrame (the gatecast page
 * only when opened with `?frames=1`, as here; its switches are timed as on a screen). A frame is
 * **blank** when the element on air has nothing painted (image not decoded/complete, video below
 * HAVE_CURRENT_DATA, iframe not loaded); **stale** when the next slide was due more than one frame
 * ago and is still not on air. Start jitter is the time between the planned start and the first
 * animation frame in which the new item is on air and painted (gatecast: the frame it switched in,
 * as reported to the daemon). Frames are counted from the first item on.
 *
 * The gatecast run plays its slides in a layout of three regions (header with the gate's name, clock
 * and countdown; main; ticker), and counts blank and stale frames in every region: main's as above,
 * the header's when it shows no name or time, the ticker's when its band is up with nothing in it.
 * The naive baseline has the one full-screen region.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { findChromium } from '../device/main.js';
import { defaultPlaylistSlots } from '../device/playback/default-playlist-plan.js';
import { resolveSlide } from '../device/playback/resolve-slide.js';
import { ChromiumSupervisor } from '../player/browser/chromium-supervisor.js';
import { PageServer } from '../player/page-server.js';
import type { Slide } from '../player/slide.js';
import { memoryLogger } from '../platform/log.js';
import { median, percentile, resultLine } from './lib.js';
import { bareChromium, benchBundle, LANGUAGES, staticContent, tempDir } from './player-fixtures.worker.js';

const WIDTH = 1280;
const HEIGHT = 720;

function arg(args: string[], name: string, def: number): number {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? Number(args[i + 1]) : def;
}

interface RegionStats {
  frames: number;
  blankFrames: number;
  staleFrames: number;
  switches: number;
}

interface RunResult {
  /** Per region (gatecast only): main, header, ticker. */
  regions: Record<string, RegionStats>;
  frames: number;
  blank: number;
  stale: number;
  shown: number;
  errors: number;
  jitterMs: number[];
}

export default async function transitions(args: string[]): Promise<void> {
  const count = arg(args, '--transitions', 1000);
  const itemMs = arg(args, '--item-ms', 250);
  const dir = tempDir('gatecast-bench-tr-');
  // The slides play in a header/main/ticker layout: every region is watched for blank and stale frames.
  const bundle = benchBundle(dir, itemMs, { layout: true });
  const slots = defaultPlaylistSlots(bundle, LANGUAGES);
  const chromium = findChromium(undefined);
  const isRoot = process.getuid?.() === 0;

  /** count+1 slides (count transitions), mixed kinds, every third a fade. */
  const plan = (t0: number): Slide[] =>
    Array.from({ length: count + 1 }, (_, i) => {
      const slot = slots[i % slots.length]!;
      const item = {
        ...slot,
        startAt: t0 + i * itemMs,
        durationMs: itemMs,
        transition: i % 3 === 2 ? ('fade' as const) : ('cut' as const),
        fadeMs: Math.min(120, Math.floor(itemMs / 3)),
      };
      const r = resolveSlide(item, bundle, LANGUAGES);
      if (!r.ok) throw new Error(r.reason);
      return { ...r.slide, id: `${r.slide.id}#${i}` };
    });

  process.stdout.write(
    `transitions: ${count} transitions of ${itemMs} ms items (image, video, HTML, image, text ×4 languages)\n`,
  );
  const ours = await runGatecast(chromium, isRoot, dir, bundle, plan, count, itemMs);
  report('gatecast (double buffer, layout: header/main/ticker)', ours);
  for (const [name, r] of Object.entries(ours.regions))
    process.stdout.write(
      `    region ${name}: ${r.frames} frames, blank ${r.blankFrames}, stale ${r.staleFrames}, ${r.switches} switches\n`,
    );
  const naive = await runNaive(chromium, isRoot, dir, plan, count, itemMs);
  report('naive (swap src, no preload)', naive);
  resultLine(
    'transitions',
    ours.blank + ours.stale,
    'blank+stale frames',
    naive.blank + naive.stale,
    `0 frames; |jitter| p99 ≤ 16.7 ms (gatecast p99 ${fmt(percentile(ours.jitterMs.map(Math.abs), 99))} ms)`,
  );
}

const fmt = (n: number) => n.toFixed(1);

function report(name: string, r: RunResult): void {
  const abs = r.jitterMs.map(Math.abs);
  process.stdout.write(
    `  ${name}: ${r.shown} items shown, ${r.errors} errors, ${r.frames} frames, blank ${r.blank}, stale ${r.stale}; ` +
      `start jitter median ${fmt(median(r.jitterMs))} ms, |jitter| p95 ${fmt(percentile(abs, 95))} ms, ` +
      `p99 ${fmt(percentile(abs, 99))} ms, max ${fmt(Math.max(...abs))} ms\n`,
  );
}

async function runGatecast(
  chromium: string,
  isRoot: boolean,
  dir: string,
  bundle: ReturnType<typeof benchBundle>,
  plan: (t0: number) => Slide[],
  count: number,
  itemMs: number,
): Promise<RunResult> {
  const server = new PageServer({ content: staticContent(bundle), log: memoryLogger() });
  await server.start();
  const sup = new ChromiumSupervisor({
    executablePath: chromium,
    // Frame accounting on: a screen's page runs no per-frame work between switches.
    pageUrl: `${server.pageUrl}?frames=1`,
    display: 'none',
    headless: true,
    userDataDir: join(dir, 'profile-gatecast'),
    isRoot,
    width: WIDTH,
    height: HEIGHT,
    pageStallMs: 30_000,
    browserMemoryLimitBytes: 8 * 1024 ** 3,
    recycleEveryMs: 0,
    log: memoryLogger(),
  });
  const jitter: number[] = [];
  const late = new Map<string, number>();
  let errors = 0;
  let shown = 0;
  let lastId = '';
  const done = new Promise<void>((resolve) => {
    sup.onReport((r) => {
      if (r.type === 'started') {
        shown++;
        jitter.push(r.actualStart - r.startAt);
        if (r.actualStart - r.startAt > 1000 / 60) {
          const kind = r.slideId.split('/')[0]!;
          late.set(kind, (late.get(kind) ?? 0) + 1);
        }
        if (r.slideId === lastId) resolve();
      } else if (r.type === 'error') {
        errors++;
        if (errors <= 3) process.stdout.write(`  gatecast error: ${r.slideId}: ${r.reason}\n`);
        if (r.slideId === lastId) resolve();
      }
    });
  });
  await sup.start();
  const slides = plan(Date.now() + 2000);
  lastId = slides.at(-1)!.id;
  // Like the player loop: each slide is queued about a second before it is due.
  let next = 0;
  const feeder = setInterval(() => {
    while (next < slides.length && slides[next]!.startAt - Date.now() < 1000)
      void sup.enqueue(slides[next++]!);
  }, 50);
  await Promise.race([done, new Promise((r) => setTimeout(r, (count + 1) * itemMs + 30_000))]);
  clearInterval(feeder);
  if (late.size)
    process.stdout.write(
      `  gatecast late starts (> 1 frame) by item: ${JSON.stringify(Object.fromEntries(late))}\n`,
    );
  const stats = (await sup.inspectPage((page) => page.evaluate('window.gatecast.stats()'))) as {
    regions: Record<string, RegionStats>;
  };
  await sup.stop();
  await server.stop();
  // Every region counts: a blank header or ticker frame is as much a defect as a blank main one.
  const regions = Object.values(stats.regions);
  const sum = (k: keyof RegionStats) => regions.reduce((n, r) => n + r[k], 0);
  if (!stats.regions['header'] || !stats.regions['ticker'])
    process.stdout.write(`  gatecast: the layout's header or ticker was never on screen\n`);
  return {
    regions: stats.regions,
    frames: stats.regions['main']?.frames ?? 0,
    blank: sum('blankFrames'),
    stale: sum('staleFrames'),
    shown,
    errors,
    jitterMs: jitter,
  };
}

const NAIVE_HTML = `<!doctype html><html><head><meta charset="utf-8"><style>
html,body{margin:0;height:100%;background:#0b1f33;color:#fff;overflow:hidden;font-family:"Noto Sans",sans-serif}
#s>*{position:absolute;inset:0;width:100%;height:100%;border:0;display:none;object-fit:contain}
#t{font-size:5vh;padding:6vh}
</style></head><body><div id="s"><img id="i"><video id="v" muted playsinline loop></video><iframe id="f" sandbox="allow-scripts"></iframe><div id="t"></div></div>
<script src="/naive.js"></script></body></html>`;

/** The baseline: one element per kind, `src` swapped when the item is due, nothing preloaded. */
const NAIVE_JS = `
const img = document.getElementById('i'), vid = document.getElementById('v'),
  frame = document.getElementById('f'), text = document.getElementById('t');
const els = { image: img, video: vid, html: frame, text };
let onAir = null, frameLoaded = false, frameMs = 1000 / 60, last = 0;
const st = { frames: 0, blank: 0, stale: 0, shown: 0, errors: 0, jitter: [] };
const due = [];
frame.addEventListener('load', () => { frameLoaded = true; });
function show(s) {
  const c = s.content;
  for (const [k, e] of Object.entries(els)) e.style.display = k === c.kind ? 'block' : 'none';
  let painted;
  if (c.kind === 'image') { img.src = c.src; painted = () => img.complete && img.naturalWidth > 0; }
  else if (c.kind === 'video') { vid.src = c.src; vid.play().catch(() => st.errors++); painted = () => vid.readyState >= 2; }
  else if (c.kind === 'html') { frameLoaded = false; frame.src = c.src; painted = () => frameLoaded; }
  else { text.lang = s.lang; text.textContent = (c.title ? c.title + ' — ' : '') + c.body; painted = () => true; }
  onAir = { s, painted, seen: false };
  st.shown++;
}
function tick(ts) {
  if (last) { const d = ts - last; if (d > 4 && d < 100) frameMs = frameMs * 0.9 + d * 0.1; }
  last = ts;
  const now = performance.timeOrigin + ts;
  if (onAir) {
    st.frames++;
    if (!onAir.painted()) st.blank++;
    else if (!onAir.seen) { onAir.seen = true; st.jitter.push(now - onAir.s.startAt); }
    if (due.length && now - due[0].startAt > frameMs) st.stale++;
  }
  requestAnimationFrame(tick);
}
requestAnimationFrame(tick);
window.naive = {
  play(slides) {
    for (const s of slides) {
      due.push(s);
      setTimeout(() => { due.shift(); show(s); }, Math.max(0, s.startAt - Date.now()));
    }
  },
  stats: () => st,
};
`;

async function runNaive(
  chromium: string,
  isRoot: boolean,
  dir: string,
  plan: (t0: number) => Slide[],
  count: number,
  itemMs: number,
): Promise<RunResult> {
  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    try {
      if (path === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        return void res.end(NAIVE_HTML);
      }
      if (path === '/naive.js') {
        res.writeHead(200, { 'content-type': 'text/javascript' });
        return void res.end(NAIVE_JS);
      }
      if (path.startsWith('/content/') && !path.includes('..')) {
        const file = join(dir, path.slice('/content/'.length));
        const type = file.endsWith('.png')
          ? 'image/png'
          : file.endsWith('.webm')
            ? 'video/webm'
            : file.endsWith('.html')
              ? 'text/html'
              : file.endsWith('.css')
                ? 'text/css'
                : 'text/javascript';
        const body = await readFile(file);
        res.writeHead(200, { 'content-type': type, 'cache-control': 'no-cache' });
        return void res.end(body);
      }
    } catch {
      // fall through to 404
    }
    res.writeHead(404);
    res.end();
  };
  // serve() catches its own failures (a failed read answers 404), so its promise never rejects.
  const server = createServer((req, res) => void serve(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { browser, tab: page } = await bareChromium(chromium, join(dir, 'profile-naive'));
  await page.goto(`${origin}/`, { waitUntil: 'load' });
  const slides = plan(Date.now() + 2000);
  await page.evaluate(
    (s) => (window as unknown as { naive: { play(x: unknown): void } }).naive.play(s),
    slides as never,
  );
  await new Promise((r) => setTimeout(r, (count + 1) * itemMs + 2000 + 1500));
  const st = (await page.evaluate('window.naive.stats()')) as {
    frames: number;
    blank: number;
    stale: number;
    shown: number;
    errors: number;
    jitter: number[];
  };
  await browser.close();
  server.close();
  return {
    regions: {},
    frames: st.frames,
    blank: st.blank,
    stale: st.stale,
    shown: st.shown,
    errors: st.errors,
    jitterMs: st.jitter,
  };
}
