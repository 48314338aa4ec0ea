/**
 * Set-up for the CPU benchmark: six one-second items, four solid-colour 3840×2160 PNGs and two
 * solid-colour HTML pages, as an installed bundle in a temp dir; and CPU and wake-up counters of a
 * process tree read from /proc. (The `.worker` suffix keeps this file out of `npm run bench`'s list.)
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { crc32, deflateSync } from 'node:zlib';
import type { InstalledBundle, TargetInfo } from '../device/content/installed.js';
import { mediaTargets, parseBundleManifest } from '../protocol/content.js';
import { descendants, parentMap } from '../player/browser/proc-tree.js';
import { SITE } from './player-fixtures.worker.js';

const IMAGES: [string, [number, number, number]][] = [
  ['red.png', [200, 30, 30]],
  ['green.png', [30, 160, 60]],
  ['blue.png', [30, 60, 200]],
  ['amber.png', [230, 160, 20]],
];
const PAGES: [string, string][] = [
  ['teal/index.html', '#0f766e'],
  ['plum/index.html', '#6b21a8'],
];

/** A solid-colour RGB PNG (filter 0 rows, deflated). */
export function solidPng(width: number, height: number, [r, g, b]: [number, number, number]): Buffer {
  const row = Buffer.alloc(1 + width * 3);
  for (let x = 0; x < width; x++) row.set([r, g, b], 1 + x * 3);
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** Media paths relative to `dir`, in play order: image, image, HTML, image, image, HTML. */
export function writeCpuMedia(dir: string): string[] {
  const files: string[] = [];
  for (const [name, rgb] of IMAGES) {
    const p = `${SITE}/media/${name}`;
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), solidPng(3840, 2160, rgb));
    files.push(p);
  }
  for (const [name, colour] of PAGES) {
    const p = `${SITE}/media/${name}`;
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(
      join(dir, p),
      `<!doctype html><html><head><meta charset="utf-8"><style>html,body{margin:0;height:100%;background:${colour}}</style></head><body></body></html>\n`,
    );
    files.push(p);
  }
  const [a, b, c, d, e, f] = files as [string, string, string, string, string, string];
  return [a, b, e, c, d, f];
}

/** The six items as an installed bundle whose default playlist plays them for `itemMs` each. */
export function cpuBundle(dir: string, itemMs: number): { bundle: InstalledBundle; order: string[] } {
  const order = writeCpuMedia(dir);
  const id = (p: string) =>
    p
      .split('/')
      .at(-1)!
      .replace(/\.(png|html)$/, '')
      .replace('index', 'page');
  const items = order.map((p, i) =>
    p.endsWith('.png')
      ? { id: `${id(p)}-${i}`, title: `Image ${i}`, kind: 'image', variants: { vi: { src: p } } }
      : { id: `page-${i}`, title: `Page ${i}`, kind: 'html', variants: { vi: { entry: p, assets: [] } } },
  );
  const manifest = parseBundleManifest({
    schema: 1,
    siteGroup: SITE,
    createdAt: '2026-01-01T00:00:00Z',
    items,
    playlists: [
      {
        id: 'main',
        name: 'Main',
        transition: 'cut',
        entries: items.map((it) => ({ itemId: it.id, durationMs: itemMs })),
      },
    ],
    schedule: { defaultPlaylistId: 'main' },
  });
  const targets = new Map<string, TargetInfo>();
  for (const p of mediaTargets(manifest)) {
    const data = readFileSync(join(dir, p));
    targets.set(p, { sha256: createHash('sha256').update(data).digest('hex'), length: data.length });
  }
  return {
    order,
    bundle: {
      siteGroup: SITE,
      version: 1,
      installedAt: new Date().toISOString(),
      manifest,
      targets,
      filePath: (p) => (targets.has(p) ? join(dir, p) : undefined),
    },
  };
}

let ticksPerSecond: number | undefined;
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/**
 * utime + stime of one process (all its threads, live and exited) plus cutime + cstime (its children
 * that exited and were reaped), in seconds; undefined if gone.
 */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 to 17 of proc_pid_stat(5); the slice starts at field 3.
    const [utime, stime, cutime, cstime] = fields.slice(11, 15).map(Number) as [
      number,
      number,
      number,
      number,
    ];
    return (utime + stime + cutime + cstime) / clockTicks();
  } catch {
    return undefined;
  }
}

/** Voluntary + involuntary context switches over every thread of one process: its wake-ups. */
export function contextSwitches(pid: number): number {
  let sum = 0;
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return 0;
  }
  for (const tid of tasks) {
    try {
      const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
      const v = /^voluntary_ctxt_switches:\s+(\d+)/m.exec(status);
      const n = /^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(status);
      sum += Number(v?.[1] ?? 0) + Number(n?.[1] ?? 0);
    } catch {
      // The thread ended while we read: its switches are gone with it.
    }
  }
  return sum;
}

export interface TreeSample {
  at: number;
  perPid: Map<number, { cpuS: number; switches: number; kind: string }>;
}

/** Chromium's `--type=` (renderer, gpu-process, utility, zygote), `browser` without one, else the name. */
function processKind(pid: number): string {
  try {
    // Chromium rewrites its children's command lines as one space-separated string.
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    const type = /--type=([a-z-]+)/.exec(cmdline)?.[1];
    if (type) return type;
    const exe = cmdline.split(/[\0 ]/)[0] ?? '';
    return /chrom/.test(exe) ? 'browser' : exe.split('/').at(-1) || '?';
  } catch {
    return '?';
  }
}

/** CPU seconds and context switches of `root` and every descendant, now. */
export function sampleTree(root: number): TreeSample {
  const perPid = new Map<number, { cpuS: number; switches: number; kind: string }>();
  for (const pid of descendants(root, parentMap())) {
    const cpuS = cpuSeconds(pid);
    if (cpuS !== undefined) perPid.set(pid, { cpuS, switches: contextSwitches(pid), kind: processKind(pid) });
  }
  return { at: performance.now(), perPid };
}

/**
 * What the processes in `to` spent since `from`, split by `isPart(pid)`. A process born in between
 * counts from zero; one that exited in between is lost (the benchmark prints how many).
 */
export function treeDelta(
  from: TreeSample,
  to: TreeSample,
  isPart: (pid: number) => boolean,
): { seconds: number; cpuS: number; switches: number; exited: number; byKind: Map<string, number> } {
  let cpuS = 0;
  let switches = 0;
  const byKind = new Map<string, number>();
  for (const [pid, v] of to.perPid) {
    if (!isPart(pid)) continue;
    const before = from.perPid.get(pid);
    const spent = v.cpuS - (before?.cpuS ?? 0);
    cpuS += spent;
    switches += v.switches - (before?.switches ?? 0);
    byKind.set(v.kind, (byKind.get(v.kind) ?? 0) + spent);
  }
  let exited = 0;
  for (const pid of from.perPid.keys()) if (isPart(pid) && !to.perPid.has(pid)) exited++;
  return { seconds: (to.at - from.at) / 1000, cpuS, switches, exited, byKind };
}
