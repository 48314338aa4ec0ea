/**
 * `npm run bench -- emergency [--runs 20]`
 *
 * Publication of an emergency → every gate language of it on screen. A daemon plays the bench
 * bundle in its header/main/ticker layout (headless, server unreachable); each run publishes a bundle
 * with an emergency (the content source's change, as an install hands it to the player) and times
 * until the first animation frame in which the page shows the emergency with all four languages'
 * parts laid out inside the viewport (watched in the page, on every frame, from before the
 * publication). Then the bundle without it comes back and the layout is on air again before the
 * next run.
 *
 * Baseline: the bare page's text render in the same tab: from Node, the four texts put into the
 * page through the same DevTools pipe, to the first frame they are laid out in.
 */
import type { Page } from 'puppeteer-core';
import { findChromium } from '../device/main.js';
import type { ChromiumSupervisor } from '../player/browser/chromium-supervisor.js';
import { memoryLogger } from '../platform/log.js';
import { createScheduleEngine } from '../protocol/schedule-engine.js';
import { dirBundle, MutableContentSource, placeFixtures } from '../tests/helpers/dir-content.js';
import { playerFiles } from '../tests/helpers/player-bundle.js';
import { median, numberArg, percentile, resultLine } from './lib.js';
import {
  benchConfig,
  benchEmergency,
  benchManifest,
  headlessDaemon,
  LANGUAGES,
  SITE,
  tempDir,
} from './player-fixtures.worker.js';

const epochNow = () => performance.timeOrigin + performance.now();

/** Installs the watcher: the epoch of the first frame with every part of an emergency on screen. */
const WATCH = (count: number) => `(() => {
  window.__emergencyAt = 0;
  const look = (ts) => {
    const parts = document.querySelectorAll('#stage .layer.front .emergency-part');
    const all = document.body.classList.contains('emergency') && parts.length === ${count} &&
      [...parts].every((p) => { const b = p.getBoundingClientRect();
        return b.height > 0 && b.top >= 0 && b.bottom <= innerHeight && p.textContent.length > 0; });
    if (all) window.__emergencyAt = performance.timeOrigin + ts;
    else requestAnimationFrame(look);
  };
  requestAnimationFrame(look);
})()`;

async function until<T>(fn: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`emergency bench: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export default async function emergency(args: string[]): Promise<void> {
  const runs = numberArg(args, 'runs', 20);
  const dir = tempDir('gatecast-bench-em-');
  placeFixtures(dir, playerFiles(SITE));
  let version = 1;
  const plain = () => dirBundle(dir, benchManifest(4000, { layout: true }), version++);
  const content = new MutableContentSource(plain());
  let supervisor: ChromiumSupervisor | undefined;
  const daemon = headlessDaemon({
    dir,
    config: benchConfig(dir),
    bundle: content,
    log: memoryLogger(),
    chromium: findChromium(undefined),
    onSupervisor: (s) => {
      supervisor = s;
    },
    // The schedule engine on the system clock (taken as trusted): it puts emergencies on air.
    planner: (b, config) => {
      const engine = createScheduleEngine(b.manifest, config.gate);
      return (t) => {
        const { current, next } = engine.now(t);
        return { ...(current ? { current } : {}), ...(next ? { next } : {}) };
      };
    },
  });
  await daemon.start();
  const page = () => supervisor!.inspectPage(async (p) => p) as Promise<Page>;
  const layoutOnAir = async () =>
    ((await (
      await page()
    ).evaluate(
      '(() => { const r = window.gatecast.regions(); return r.layout && !r.emergency; })()',
    )) as boolean) || undefined;
  await until(layoutOnAir, 'the layout on air');

  const ours: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < runs; i++) {
    const p = await page();
    await p.evaluate(WATCH(LANGUAGES.length));
    const withEmergency = dirBundle(
      dir,
      {
        ...benchManifest(4000, { layout: true }),
        emergencies: [benchEmergency(Date.now() - 1000, `pause-${i}`)],
      },
      version++,
    );
    const t0 = epochNow();
    content.set(withEmergency);
    const at = await until(
      async () => ((await p.evaluate('window.__emergencyAt')) as number) || undefined,
      'the emergency',
    );
    ours.push(at - t0);
    bare.push(await bareTextRender(p));
    content.set(plain());
    await until(layoutOnAir, 'the layout back on air');
    process.stdout.write(
      `  run ${i + 1}: ${ours.at(-1)!.toFixed(0)} ms (bare text ${bare.at(-1)!.toFixed(0)} ms)\n`,
    );
  }
  await daemon.stop();
  process.stdout.write(
    `emergency: publication → all ${LANGUAGES.length} languages on screen, ${runs} runs: median ${median(ours).toFixed(0)} ms, ` +
      `p99 ${percentile(ours, 99).toFixed(0)} ms; bare text render median ${median(bare).toFixed(0)} ms\n`,
  );
  resultLine(
    'emergency',
    Math.round(median(ours)),
    'ms',
    Math.round(median(bare)),
    `≤ 1000 ms median and p99 (p99 ${Math.round(percentile(ours, 99))} ms)`,
  );
}

/** Four texts into the page from Node, to the first frame they are laid out in. */
async function bareTextRender(p: Page): Promise<number> {
  const t0 = epochNow();
  const at = (await p.evaluate(`new Promise((resolve) => {
    const box = document.createElement('div');
    box.style.cssText = 'position:fixed;inset:0;z-index:200;background:#000;color:#fff;font-size:40px';
    for (const [lang, t] of [['vi', 'Tạm dừng làm thủ tục'], ['km', 'ផ្អាកការត្រួតពិនិត្យបណ្ដោះអាសន្ន'],
        ['en', 'Checks paused'], ['zh-Hans', '暂停办理通关手续']]) {
      const d = document.createElement('div'); d.lang = lang; d.textContent = t; box.appendChild(d);
    }
    document.body.appendChild(box);
    box.getBoundingClientRect();
    requestAnimationFrame((ts) => { resolve(performance.timeOrigin + ts); box.remove(); });
  })`)) as number;
  return at - t0;
}
