import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/**
 * A real sd_notify receiver: Node cannot open AF_UNIX datagram sockets, so a tiny python3 process
 * binds one and prints each datagram as a JSON line. It closes any passed fds, which is how
 * systemd-notify's barrier (BARRIER=1 + a pipe fd) learns the message was read.
 */
const SCRIPT = `
import json, os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print(json.dumps({"ready": True}), flush=True)
while True:
    msg, fds, flags, addr = socket.recv_fds(s, 4096, 8)
    for fd in fds:
        os.close(fd)
    print(json.dumps({"msg": msg.decode()}), flush=True)
`;

export async function notifySocket(dir: string): Promise<{
  path: string;
  messages: string[];
  next(): Promise<string>;
  close(): void;
}> {
  const path = join(dir, 'notify.sock');
  const child: ChildProcess = spawn('python3', ['-c', SCRIPT, path], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const messages: string[] = [];
  const waiters: ((m: string) => void)[] = [];
  const rl = createInterface({ input: child.stdout! });
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    rl.on('line', (line) => {
      const j = JSON.parse(line) as { ready?: boolean; msg?: string };
      if (j.ready) return resolve();
      if (j.msg === undefined) return;
      const w = waiters.shift();
      if (w) w(j.msg);
      else messages.push(j.msg);
    });
  });
  return {
    path,
    messages,
    next: () => {
      const m = messages.shift();
      return m !== undefined ? Promise.resolve(m) : new Promise((r) => waiters.push(r));
    },
    close: () => child.kill(),
  };
}
