/**
 * `npm run bench -- cpu [--seconds 60] [--warmup-s 30] [--rounds 1]`
 *
 * What playing costs in CPU: six one-second items (four solid-colour 3840×2160 PNGs, two
 * solid-colour HTML pages) played for `--seconds`, headless at 1280×720, twice per round:
 * - the daemon (a child process: page server, supervised Chromium, player loop, offline), measured
 *   as the CPU seconds (utime + stime from /proc/PID/stat) of the node process plus its Chromium
 *   process tree;
 * - the baseline: a bare Chromium (same binary and flags) showing a page that swaps an `<img>` after
 *   `decode()` (or an `<iframe>` after `load`) every second, its process tree only.
 * Both are measured over the same length of time after a warm-up, one after the other, so both see
 * the same machine load. Wake-ups are the context switches (voluntary + involuntary, summed over
 * every thread, /proc/PID/task/TID/status) of the Chromium processes in the same window. The value
 * and the baseline are CPU seconds per minute (medians over the rounds).
 *
 * The warm-up (30 s by default; it was 8 s) leaves out what a start costs once, not per minute of a
 * screen that plays for months: the supervisor's first reading of the browser's memory (PSS of
 * every Chromium process, ~170 ms of the daemon's CPU, at its first check 15 s after start; then
 * every 5 minutes) and V8's memory reducer, which compacts the daemon's heap some 25 s after start
 * (~60 ms). With 8 s both fell inside the measured minute.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { findChromium } from '../device/main.js';
import { cpuBundle, sampleTree, treeDelta } from './cpu-fixtures.worker.js';
import { median, numberArg, percentile, resultLine } from './lib.js';
import { bareChromium, tempDir } from './player-fixtures.worker.js';

interface Measured {
  /** CPU seconds per minute. */
  chromium: number;
  node: number;
  /** Context switches per second of the Chromium processes. */
  wakeups: number;
  exited: number;
  /** CPU seconds per minute by Chromium process type. */
  byKind: Map<string, number>;
  jitterMs?: number[];
}

const perMinute = (d: { seconds: number; byKind: Map<string, number> }) =>
  new Map([...d.byKind].map(([k, v]) => [k, (v / d.seconds) * 60]));

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

export default async function cpu(args: string[]): Promise<void> {
  const seconds = numberArg(args, 'seconds', 60);
  const warmupS = numberArg(args, 'warmup-s', 30);
  const rounds = numberArg(args, 'rounds', 1);
  const chromium = findChromium(undefined);
  process.stdout.write(
    `cpu: six 1 s items (4 × 3840×2160 PNG, 2 × HTML), ${seconds} s measured after ${warmupS} s, ${rounds} round(s)\n`,
  );
  const ours: Measured[] = [];
  const bare: Measured[] = [];
  for (let i = 0; i < rounds; i++) {
    ours.push(await daemonRun(seconds, warmupS));
    print('gatecast daemon', ours.at(-1)!);
    bare.push(await bareRun(chromium, seconds, warmupS));
    print('bare Chromium page', bare.at(-1)!);
  }
  const total = (m: Measured) => m.chromium + m.node;
  const value = median(ours.map(total));
  const baseline = median(bare.map(total));
  process.stdout.write(
    `  medians: daemon ${value.toFixed(2)} CPU-s/min (Chromium ${median(ours.map((m) => m.chromium)).toFixed(2)}, node ${median(ours.map((m) => m.node)).toFixed(2)}), ` +
      `Chromium wake-ups ${median(ours.map((m) => m.wakeups)).toFixed(0)}/s vs bare ${median(bare.map((m) => m.wakeups)).toFixed(0)}/s\n`,
  );
  resultLine('cpu', round2(value), 'CPU-s per minute', round2(baseline), '≤ 1.2');
}

const round2 = (n: number) => Math.round(n * 100) / 100;

function print(name: string, m: Measured): void {
  const jitter = m.jitterMs?.length
    ? `; start jitter median ${median(m.jitterMs).toFixed(1)} ms, |jitter| p99 ${percentile(
        m.jitterMs.map(Math.abs),
        99,
      ).toFixed(1)} ms over ${m.jitterMs.length} items`
    : '';
  process.stdout.write(
    `  ${name}: ${(m.chromium + m.node).toFixed(2)} CPU-s/min (Chromium tree ${m.chromium.toFixed(2)}, node ${m.node.toFixed(2)}), ` +
      `Chromium wake-ups ${m.wakeups.toFixed(0)}/s${m.exited ? `, ${m.exited} processes exited` : ''}${jitter}\n` +
      `    by process type: ${[...m.byKind]
        .sort((a, b) => b[1] - a[1])
        .map(([k, v]) => `${k} ${v.toFixed(2)}`)
        .join(', ')}\n`,
  );
}

async function daemonRun(seconds: number, warmupS: number): Promise<Measured> {
  const worker = fileURLToPath(new URL('./cpu-daemon.worker.js', import.meta.url));
  const child = spawn(process.execPath, [worker], { stdio: ['ignore', 'pipe', 'inherit'] });
  let jitter: (v: number[]) => void = () => undefined;
  const jitterMs = new Promise<number[]>((r) => (jitter = r));
  const ready = new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`daemon exited (${code})`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let msg: { ready?: boolean; jitterMs?: number[] };
      try {
        msg = JSON.parse(line);
      } catch {
        return; // a log line
      }
      if (msg.ready) resolve();
      if (msg.jitterMs) jitter(msg.jitterMs);
    });
  });
  await ready;
  const pid = child.pid!;
  await wait(warmupS * 1000);
  const from = sampleTree(pid);
  await wait(seconds * 1000);
  const to = sampleTree(pid);
  const c = treeDelta(from, to, (p) => p !== pid);
  const n = treeDelta(from, to, (p) => p === pid);
  child.kill('SIGTERM');
  const all = await jitterMs;
  await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
  return {
    chromium: (c.cpuS / c.seconds) * 60,
    node: (n.cpuS / n.seconds) * 60,
    wakeups: c.switches / c.seconds,
    exited: c.exited,
    byKind: perMinute(c),
    // The items started inside the measured window (one per second, the last ones).
    jitterMs: all.slice(-seconds),
  };
}

const BARE_JS = `
const stage = document.getElementById('s');
const items = JSON.parse(document.getElementById('items').textContent);
let i = 0;
async function next() {
  const src = items[i++ % items.length];
  let el;
  if (src.endsWith('.png')) {
    el = new Image();
    el.src = src;
    await el.decode();
    stage.replaceChildren(el);
  } else {
    el = document.createElement('iframe');
    el.style.visibility = 'hidden';
    const loaded = new Promise((r) => el.addEventListener('load', r, { once: true }));
    el.src = src;
    stage.append(el);
    await loaded;
    el.style.visibility = '';
    for (const c of [...stage.children]) if (c !== el) c.remove();
  }
}
setInterval(next, 1000);
next();
`;

/** The baseline: a bare page swapping the same six items every second, nothing else. */
async function bareRun(chromium: string, seconds: number, warmupS: number): Promise<Measured> {
  const dir = tempDir('gatecast-bench-cpub-');
  const { order } = cpuBundle(dir, 1000);
  const html = `<!doctype html><html><head><meta charset="utf-8"><style>
html,body{margin:0;height:100%;background:#0b1f33;overflow:hidden}
#s>*{position:absolute;inset:0;width:100%;height:100%;border:0;object-fit:contain;display:block}
</style></head><body><div id="s"></div>
<script type="application/json" id="items">${JSON.stringify(order.map((p) => `/content/${p}`))}</script>
<script src="/bare.js"></script></body></html>`;
  const serve = async (req: IncomingMessage, res: ServerResponse) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (path === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return void res.end(html);
    }
    if (path === '/bare.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      return void res.end(BARE_JS);
    }
    const target = path.slice('/content/'.length);
    if (path.startsWith('/content/') && order.includes(target)) {
      const body = await readFile(join(dir, target));
      res.writeHead(200, {
        'content-type': target.endsWith('.png') ? 'image/png' : 'text/html; charset=utf-8',
        'cache-control': 'no-cache',
      });
      return void res.end(body);
    }
    res.writeHead(404);
    res.end();
  };
  const server = createServer((req, res) => {
    void serve(req, res).catch(() => {
      res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { browser, tab: page } = await bareChromium(chromium, join(dir, 'profile'));
  try {
    await page.goto(`${origin}/`, { waitUntil: 'load' });
    const pid = browser.process()!.pid!;
    await wait(warmupS * 1000);
    const from = sampleTree(pid);
    await wait(seconds * 1000);
    const to = sampleTree(pid);
    const c = treeDelta(from, to, () => true);
    return {
      chromium: (c.cpuS / c.seconds) * 60,
      node: 0,
      wakeups: c.switches / c.seconds,
      exited: c.exited,
      byKind: perMinute(c),
    };
  } finally {
    await browser.close();
    server.close();
  }
}
