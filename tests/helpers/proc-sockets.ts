/**
 * What a process tree exposes on the network, read from /proc: the TCP sockets in LISTEN state
 * (from /proc/net/tcp and tcp6) whose inodes one of the processes holds open (/proc/PID/fd).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { descendants, parentMap } from '../../player/browser/proc-tree.js';

const TCP_LISTEN = '0A';

/** `pid` and all its descendants, now. */
export function processTree(pid: number): number[] {
  return descendants(pid, parentMap());
}

/** The command line of a process, one element per argument. */
export function cmdline(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
}

/** Local ports of the TCP sockets in LISTEN state held open by any of `pids`. */
export function listeningTcpPorts(pids: number[]): number[] {
  const listening = new Map<string, number>(); // socket inode → local port
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue; // no IPv6 on this kernel
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      if (f.length < 10 || f[3] !== TCP_LISTEN) continue;
      listening.set(f[9]!, parseInt(f[1]!.split(':')[1]!, 16));
    }
  }
  const ports = new Set<number>();
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // exited while we looked
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue; // closed while we looked
      }
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      const port = inode ? listening.get(inode) : undefined;
      if (port !== undefined) ports.add(port);
    }
  }
  return [...ports].sort((a, b) => a - b);
}
