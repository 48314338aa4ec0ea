/**
 * `npm run bench -- first-frame [--runs 5]`
 *
 * Time from `daemon.start()` to the first content frame (the animation frame in which the first
 * item went on air, as the page reports it), with the sync server unreachable and a bundle
 * installed; against a bare Chromium launch (same binary and flags) showing a static local page
 * (time to its first animation frame after `load`). Fresh profile directories each run; runs
 * alternate so both see the same machine load. Headless.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import puppeteer from 'puppeteer-core';
import { Daemon } from '../device/daemon.js';
import { findChromium } from '../device/main.js';
import { ChromiumSupervisor } from '../player/browser/chromium-supervisor.js';
import { kioskArgs } from '../player/browser/launch-args.js';
import { systemClock } from '../protocol/clock.js';
import { memoryLogger } from '../platform/log.js';
import { median, resultLine } from './lib.js';
import { benchBundle, benchConfig, staticContent, tempDir } from './player-fixtures.worker.js';

const WIDTH = 1280;
const HEIGHT = 720;

function arg(args: string[], name: string, def: number): number {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? Number(args[i + 1]) : def;
}

export default async function firstFrame(args: string[]): Promise<void> {
  const runs = arg(args, '--runs', 5);
  const chromium = findChromium(undefined);
  const isRoot = process.getuid?.() === 0;
  const ours: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < runs; i++) {
    if (i % 2 === 0) {
      ours.push(await daemonRun(chromium, isRoot));
      bare.push(await bareRun(chromium, isRoot));
    } else {
      bare.push(await bareRun(chromium, isRoot));
      ours.push(await daemonRun(chromium, isRoot));
    }
    process.stdout.write(
      `  run ${i + 1}: daemon ${ours.at(-1)!.toFixed(0)} ms, bare Chromium ${bare.at(-1)!.toFixed(0)} ms\n`,
    );
  }
  process.stdout.write(
    `first-frame: daemon start → first content frame (server unreachable) vs bare Chromium → static page, ${runs} runs each\n`,
  );
  resultLine('first-frame', median(ours), 'ms', median(bare), 'ratio ≤ 1.3');
}

async function daemonRun(chromium: string, isRoot: boolean): Promise<number> {
  const dir = tempDir('gatecast-bench-ff-');
  const bundle = benchBundle(dir, 2000);
  const config = benchConfig(dir);
  const log = memoryLogger();
  const daemon = new Daemon({
    config,
    content: staticContent(bundle),
    clock: systemClock,
    log,
    createSurface: (server) =>
      new ChromiumSupervisor({
        executablePath: chromium,
        pageUrl: server.pageUrl,
        display: 'none',
        headless: true,
        userDataDir: join(dir, 'chromium'),
        isRoot,
        width: WIDTH,
        height: HEIGHT,
        pageStallMs: config.player.pageStallMs,
        browserMemoryLimitBytes: config.player.browserMemoryLimitBytes,
        log,
      }),
  });
  const first = new Promise<number>((resolve) => daemon.onPlayed((e) => resolve(e.actualStart)));
  const t0 = performance.timeOrigin + performance.now();
  await daemon.start();
  const at = await first;
  await daemon.stop();
  return at - t0;
}

async function bareRun(chromium: string, isRoot: boolean): Promise<number> {
  const dir = tempDir('gatecast-bench-ffb-');
  const page = join(dir, 'static.html');
  writeFileSync(
    page,
    `<!doctype html><html><body style="margin:0;background:#0b1f33;color:#fff;font:48px sans-serif">
<h1>Cửa khẩu Quốc tế Hà Tiên</h1><script>
addEventListener('load', () => requestAnimationFrame((t) => { window.firstFrameAt = performance.timeOrigin + t; }));
</script></body></html>`,
  );
  const t0 = performance.timeOrigin + performance.now();
  const browser = await puppeteer.launch({
    executablePath: chromium,
    headless: true,
    userDataDir: join(dir, 'chromium'),
    args: kioskArgs({ display: 'none', headless: true, width: WIDTH, height: HEIGHT, isRoot }),
    defaultViewport: { width: WIDTH, height: HEIGHT },
  });
  const tab = (await browser.pages())[0] ?? (await browser.newPage());
  await tab.goto(pathToFileURL(page).href, { waitUntil: 'load' });
  const at = (await tab
    .waitForFunction('window.firstFrameAt', { polling: 'raf' })
    .then((h) => h.jsonValue())) as number;
  await browser.close();
  return at - t0;
}
