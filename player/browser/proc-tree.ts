/**
 * Memory of a process tree, from /proc: the browser and every process it spawned (renderers, GPU,
 * utilities). The limit uses PSS (proportional set size, /proc/PID/smaps_rollup): Chromium's
 * processes share most of their libraries, so a plain sum of RSS counts them once per process —
 * measured ~1 GB of RSS sum against ~270 MB of PSS for one headless player — and would trip any
 * sensible limit with nothing leaking. Where smaps_rollup is missing (kernels before 4.14), RSS.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Parent pid of each process, from /proc/PID/stat (field 4, after the parenthesised name). */
export function parentMap(procRoot = '/proc'): Map<number, number> {
  const parents = new Map<number, number>();
  for (const name of readdirSync(procRoot)) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`${procRoot}/${name}/stat`, 'utf8');
      const ppid = parseStatParent(stat);
      if (ppid !== undefined) parents.set(Number(name), ppid);
    } catch {
      // The process exited while we looked: not part of anything any more.
    }
  }
  return parents;
}

export function parseStatParent(stat: string): number | undefined {
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = stat.slice(close + 2).split(' ');
  const ppid = Number(fields[1]);
  return Number.isInteger(ppid) ? ppid : undefined;
}

/** `root` and all its descendants. */
export function descendants(root: number, parents: ReadonlyMap<number, number>): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of parents) {
    const list = children.get(ppid);
    if (list) list.push(pid);
    else children.set(ppid, [pid]);
  }
  const out: number[] = [];
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop()!;
    out.push(pid);
    stack.push(...(children.get(pid) ?? []));
  }
  return out;
}

/** VmRSS of one process in bytes (0 if it is gone). */
export function rssBytes(pid: number, procRoot = '/proc'): number {
  try {
    const status = readFileSync(`${procRoot}/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** PSS of one process in bytes; its RSS when the kernel has no smaps_rollup; 0 if it is gone. */
export function pssBytes(pid: number, procRoot = '/proc'): number {
  try {
    const rollup = readFileSync(`${procRoot}/${pid}/smaps_rollup`, 'utf8');
    const m = /^Pss:\s+(\d+)\s+kB/m.exec(rollup);
    if (m) return Number(m[1]) * 1024;
  } catch {
    // No smaps_rollup (old kernel) or the process is gone: fall back to RSS.
  }
  return rssBytes(pid, procRoot);
}

/** The last reading of a tree's PSS, with its RSS sum at the time. */
export interface PssReading {
  pssBytes: number;
  rssBytes: number;
  at: number;
}

/**
 * Whether the tree is shown under `limitBytes` without reading PSS again. smaps_rollup walks every
 * page table (~18 ms of the reader's CPU per Chromium process measured on an x86_64 VM, ~170 ms for
 * a headless player's tree, against ~1 ms for their RSS counters), so it is read only when needed:
 * a tree's PSS grows by no more than its RSS sum does, so the last reading plus the RSS growth
 * since bounds it, for `maxAgeMs`: a process outside the tree that stops sharing pages with it
 * raises the tree's PSS unseen, a process born in the tree since the reading is counted only from
 * the next one, and the reading is the figure the screen's health report shows.
 */
export function isPssBoundUnder(
  last: PssReading | undefined,
  rssBytesNow: number,
  now: number,
  limitBytes: number,
  maxAgeMs: number,
): boolean {
  if (!last || now - last.at >= maxAgeMs) return false;
  return last.pssBytes + Math.max(0, rssBytesNow - last.rssBytes) <= limitBytes;
}

/**
 * A process tree whose members are found by a scan of /proc and then kept: the RSS of ten known
 * processes costs ~0.2 ms of the reader's CPU, the scan that finds them ~5 ms (it reads the stat
 * file of every process on the machine). The members are looked up again when one of them is gone
 * and with every PSS reading, so a process born since is counted from the next PSS reading on.
 */
export class ProcessTree {
  private members: number[] | undefined;

  constructor(
    readonly root: number,
    private readonly procRoot = '/proc',
  ) {}

  /** Sum of RSS over the members (shared pages counted once per process), in bytes. */
  rssBytes(): number {
    const known = this.members;
    if (known) {
      let sum = 0;
      for (const pid of known) {
        const bytes = rssBytesIfAlive(pid, this.procRoot);
        if (bytes === undefined) return this.rssBytesOf(this.scan());
        sum += bytes;
      }
      return sum;
    }
    return this.rssBytesOf(this.scan());
  }

  /** Sum of PSS over `root` and its descendants, looked up afresh, in bytes. */
  pssBytes(): number {
    return this.scan().reduce((sum, pid) => sum + pssBytes(pid, this.procRoot), 0);
  }

  private scan(): number[] {
    this.members = descendants(this.root, parentMap(this.procRoot));
    return this.members;
  }

  private rssBytesOf(pids: number[]): number {
    return pids.reduce((sum, pid) => sum + rssBytes(pid, this.procRoot), 0);
  }
}

/** VmRSS of one process in bytes (0 for a zombie), or undefined once it is gone. */
function rssBytesIfAlive(pid: number, procRoot: string): number | undefined {
  let status: string;
  try {
    status = readFileSync(`${procRoot}/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}

/** Sum of RSS over `root` and its descendants, in bytes (shared pages counted once per process). */
export function treeRssBytes(root: number, procRoot = '/proc'): number {
  return descendants(root, parentMap(procRoot)).reduce((sum, pid) => sum + rssBytes(pid, procRoot), 0);
}

/** Sum of PSS over `root` and its descendants, in bytes: what the tree really costs. */
export function treePssBytes(root: number, procRoot = '/proc'): number {
  return descendants(root, parentMap(procRoot)).reduce((sum, pid) => sum + pssBytes(pid, procRoot), 0);
}

/** The process group of `pid` (/proc/PID/stat field 5), or undefined if it is gone. */
export function processGroupOf(pid: number, procRoot = '/proc'): number | undefined {
  try {
    const stat = readFileSync(`${procRoot}/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const pgrp = Number(fields[2]);
    return Number.isInteger(pgrp) && pgrp > 0 ? pgrp : undefined;
  } catch {
    return undefined;
  }
}

/**
 * SIGKILL to every process of group `pgid`: it reaches stopped (SIGSTOPped) processes too, which no
 * request to close ever does. Returns false when the group is already empty.
 */
export function killProcessGroup(pgid: number): boolean {
  try {
    process.kill(-pgid, 'SIGKILL');
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}
