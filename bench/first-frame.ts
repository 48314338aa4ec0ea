/**
 * `npm run bench -- first-frame [--runs 5]`
 *
 * Time from `daemon.start()` to the first content frame (the animation frame in which the first
 * item went on air, as the page reports it), with the sync server unreachable and a bundle
 * installed; against a bare Chromium launch (same binary and flags) showing a static local page
 * (time to its first animation frame after `load`). Fresh profile directories each run; runs
 * alternate so both see the same machine load. Headless. The bundle's playlist plays in a layout
 * (header, main, ticker): the first content frame is the first frame with all three laid out.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { findChromium } from '../device/main.js';
import { memoryLogger } from '../platform/log.js';
import { median, resultLine } from './lib.js';
import { bareChromium, benchBundle, benchConfig, headlessDaemon, tempDir } from './player-fixtures.worker.js';

function arg(args: string[], name: string, def: number): number {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? Number(args[i + 1]) : def;
}

export default async function firstFrame(args: string[]): Promise<void> {
  const runs = arg(args, '--runs', 5);
  const chromium = findChromium(undefined);
  const ours: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < runs; i++) {
    if (i % 2 === 0) {
      ours.push(await daemonRun(chromium));
      bare.push(await bareRun(chromium));
    } else {
      bare.push(await bareRun(chromium));
      ours.push(await daemonRun(chromium));
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

async function daemonRun(chromium: string): Promise<number> {
  const dir = tempDir('gatecast-bench-ff-');
  // The first item plays in the header/main/ticker layout, as a gate screen starts.
  const bundle = benchBundle(dir, 2000, { layout: true });
  const config = benchConfig(dir);
  const log = memoryLogger();
  const daemon = headlessDaemon({ dir, config, bundle, log, chromium });
  const first = new Promise<number>((resolve) => daemon.onPlayed((e) => resolve(e.actualStart)));
  const t0 = performance.timeOrigin + performance.now();
  await daemon.start();
  const at = await first;
  await daemon.stop();
  return at - t0;
}

async function bareRun(chromium: string): Promise<number> {
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
  const { browser, tab } = await bareChromium(chromium, join(dir, 'chromium'));
  await tab.goto(pathToFileURL(page).href, { waitUntil: 'load' });
  const at = (await tab
    .waitForFunction('window.firstFrameAt', { polling: 'raf' })
    .then((h) => h.jsonValue())) as number;
  await browser.close();
  return at - t0;
}
