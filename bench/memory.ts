/**
 * `npm run bench -- memory [--minutes 3] [--item-ms 1000] [--sample-s 10]`
 *
 * Runs the daemon in a child process playing 1-second items (mixed image, video, HTML, text) and
 * samples /proc every few seconds: the daemon's own RSS (the node process alone, without
 * Chromium), and Chromium's memory (sum of PSS over the browser's process tree, as the supervisor
 * measures it; the RSS sum, which counts shared libraries once per process, is printed too). The baseline is
 * Chromium's memory after the first minute; the value is its memory at the end of the run (median
 * of the last three samples). `--minutes 60` gives the one-hour run.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { pssBytes, rssBytes, treePssBytes, treeRssBytes } from '../player/browser/proc-tree.js';
import { median, resultLine } from './lib.js';

function arg(args: string[], name: string, def: number): number {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? Number(args[i + 1]) : def;
}

const MB = 1024 * 1024;

export default async function memory(args: string[]): Promise<void> {
  const minutes = arg(args, '--minutes', 3);
  const itemMs = arg(args, '--item-ms', 1000);
  const sampleS = arg(args, '--sample-s', 10);
  const worker = fileURLToPath(new URL('./memory-daemon.worker.js', import.meta.url));
  const child = spawn(process.execPath, [worker, '--item-ms', String(itemMs)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let played = 0;
  const restarts: string[] = [];
  const ready = new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`daemon exited (${code})`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let msg: { ready?: boolean; played?: number; restart?: string };
      try {
        msg = JSON.parse(line);
      } catch {
        return; // a log line
      }
      if (msg.ready) resolve();
      if (typeof msg.played === 'number') played = msg.played;
      if (msg.restart) restarts.push(msg.restart);
    });
  });
  await ready;
  const t0 = Date.now();
  const samples: { t: number; daemon: number; chromium: number; chromiumRss: number }[] = [];
  const endAt = t0 + minutes * 60_000;
  while (Date.now() < endAt) {
    await new Promise((r) => setTimeout(r, Math.min(sampleS * 1000, Math.max(0, endAt - Date.now()))));
    const daemon = rssBytes(child.pid!);
    const chromium = treePssBytes(child.pid!) - pssBytes(child.pid!);
    const chromiumRss = treeRssBytes(child.pid!) - daemon;
    const t = (Date.now() - t0) / 1000;
    samples.push({ t, daemon, chromium, chromiumRss });
    process.stdout.write(
      `  t=${t.toFixed(0)} s: daemon RSS ${(daemon / MB).toFixed(1)} MB, Chromium PSS ${(chromium / MB).toFixed(1)} MB (RSS sum ${(chromiumRss / MB).toFixed(1)} MB), ${played} items played\n`,
    );
  }
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  const near = (t: number) => samples.reduce((a, b) => (Math.abs(b.t - t) < Math.abs(a.t - t) ? b : a));
  const firstMinute = near(60).chromium;
  const end = median(samples.slice(-3).map((s) => s.chromium));
  const firstMinuteRss = near(60).chromiumRss;
  const endRss = median(samples.slice(-3).map((s) => s.chromiumRss));
  const daemonMax = Math.max(...samples.map((s) => s.daemon));
  process.stdout.write(
    `memory: ${minutes} min of ${itemMs} ms items, ${played} items played, ${restarts.length} browser restarts${restarts.length ? ` (${restarts.join('; ')})` : ''}\n` +
      `  daemon RSS without Chromium: max ${(daemonMax / MB).toFixed(1)} MB, median ${(median(samples.map((s) => s.daemon)) / MB).toFixed(1)} MB (goal ≤ 80 MB)\n` +
      `  Chromium PSS: ${(firstMinute / MB).toFixed(1)} MB after the first minute, ${(end / MB).toFixed(1)} MB at the end (${(((end - firstMinute) / firstMinute) * 100).toFixed(1)} %)\n` +
      `  Chromium RSS sum: ${(firstMinuteRss / MB).toFixed(1)} MB after the first minute, ${(endRss / MB).toFixed(1)} MB at the end (${(((endRss - firstMinuteRss) / firstMinuteRss) * 100).toFixed(1)} %)\n`,
  );
  resultLine(
    'memory',
    Number((end / MB).toFixed(1)),
    'MB Chromium PSS at end',
    Number((firstMinute / MB).toFixed(1)),
    `ratio ≤ 1.10; daemon RSS ≤ 80 MB (max ${(daemonMax / MB).toFixed(1)} MB)`,
  );
}
