import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { execRun } from '../../../device/display/exec-run.js';
import { CrashLoopCounter } from '../../../device/watchdog/crash-loop.js';
import { SystemdNotifyCli } from '../../../device/watchdog/notifier.js';
import { fakeClock } from '../../../protocol/clock.js';
import { memoryLogger } from '../../../platform/log.js';
import { notifySocket } from '../../helpers/notify-socket.js';
import { tempDir } from '../../helpers/temp.js';

let cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.reverse()) c();
  cleanups = [];
});

describe('crash-loop counter on disk', () => {
  it('reports a crash loop after restarts and forgets it once acknowledged', async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const clock = fakeClock('2026-03-01T00:00:00Z');
    for (let i = 0; i < 5; i++) {
      // each start is a fresh process: a new counter reading the file
      const c = new CrashLoopCounter(dir.path, clock, memoryLogger());
      const r = await c.recordStart();
      expect(r.isCrashLoop).toBe(i === 4);
      clock.advance(20_000);
    }
    const next = new CrashLoopCounter(dir.path, clock, memoryLogger());
    await next.recordStart();
    expect(next.pending()).toHaveLength(1);
    expect(next.pending()[0]).toMatchObject({ type: 'crash-loop', starts: 6 });
    await next.acknowledge();
    expect(JSON.parse(readFileSync(join(dir.path, 'starts.json'), 'utf8')).pending).toEqual([]);
  });

  it('writes once per start, and survives a damaged file', async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    writeFileSync(join(dir.path, 'starts.json'), '{not json');
    const log = memoryLogger();
    const c = new CrashLoopCounter(dir.path, fakeClock(), log);
    const r = await c.recordStart();
    expect(r).toEqual({ startsInWindow: 1, isCrashLoop: false });
    expect(log.records.map((x) => x.msg)).toContain('starts.json unreadable; starting the count afresh');
    const before = statSync(join(dir.path, 'starts.json')).mtimeMs;
    await c.acknowledge(); // nothing pending: no write
    expect(statSync(join(dir.path, 'starts.json')).mtimeMs).toBe(before);
  });
});

describe('systemd-notify notifier', () => {
  it('delivers WATCHDOG=1 and MAINPID to a real notify socket', async () => {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    const sock = await notifySocket(dir.path);
    cleanups.push(sock.close);
    const n = new SystemdNotifyCli(execRun(10_000, { ...process.env, NOTIFY_SOCKET: sock.path }), 4242);
    await n.notify(['WATCHDOG=1']);
    const msgs = [await sock.next()];
    while (!msgs.join('\n').includes('WATCHDOG=1')) msgs.push(await sock.next());
    const all = msgs.join('\n');
    expect(all).toContain('WATCHDOG=1');
    expect(all).toContain('MAINPID=4242');
  });

  it('fails loudly without a notify socket', async () => {
    const env = { ...process.env };
    delete env['NOTIFY_SOCKET'];
    await expect(new SystemdNotifyCli(execRun(10_000, env), 1).notify(['READY=1'])).rejects.toThrow(
      /systemd-notify exited/,
    );
  });
});

describe('data dir liveness check', () => {
  it('passes for a writable directory and fails for a missing one, writing nothing', async () => {
    const { dataDirWritable } = await import('../../../device/watchdog/checks.js');
    const { readdirSync } = await import('node:fs');
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    expect(await dataDirWritable(dir.path)()).toBe(true);
    expect(readdirSync(dir.path)).toEqual([]);
    expect(await dataDirWritable(join(dir.path, 'gone'))()).toBe(false);
  });
});
