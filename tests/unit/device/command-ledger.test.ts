import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  COMMAND_LEDGER_MIGRATIONS,
  MemoryCommandLedger,
  SqliteCommandLedger,
} from '../../../device/sync/command-ledger.js';
import { CommandDispatcher } from '../../../device/sync/commands.js';
import { migrate, openDeviceDb } from '../../../device/store/sqlite.js';
import { memoryLogger } from '../../../platform/log.js';
import type { Command } from '../../../protocol/messages.js';
import { tempDir } from '../../helpers/temp.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';

const cleanups = cleanupsAfterEach();

function openLedger(path: string, size?: number) {
  const db = openDeviceDb(path);
  migrate(db, COMMAND_LEDGER_MIGRATIONS);
  return { db, ledger: new SqliteCommandLedger(db, size) };
}

const reboot: Command = { id: 'cmd-reboot-1', name: 'reboot', issuedAtMs: 1000, expiresAtMs: 100_000 };

describe('command ledger', () => {
  it('remembers a command run before a restart: its resend after the reboot is not run again', async () => {
    const dir = tempDir('gc-ledger-');
    cleanups.push(dir.cleanup);
    const path = join(dir.path, 'device.db');
    let reboots = 0;
    const handlers = {
      reboot: async () => {
        reboots++;
      },
    };
    const first = openLedger(path);
    const d1 = new CommandDispatcher(handlers, memoryLogger(), first.ledger);
    expect(d1.hasRun(reboot.id)).toBe(false);
    expect((await d1.run(reboot, 2000)).status).toBe('ok');
    first.db.close(); // the device reboots before the ack reaches the server

    const second = openLedger(path);
    cleanups.push(() => second.db.close());
    const d2 = new CommandDispatcher(handlers, memoryLogger(), second.ledger);
    expect(d2.hasRun(reboot.id)).toBe(true);
    expect(reboots).toBe(1);
  });

  it('keeps the newest ids up to its size, in SQLite and in memory', () => {
    const dir = tempDir('gc-ledger-');
    cleanups.push(dir.cleanup);
    const { db, ledger } = openLedger(join(dir.path, 'device.db'), 3);
    cleanups.push(() => db.close());
    const mem = new MemoryCommandLedger(3);
    for (const l of [ledger, mem]) {
      for (const id of ['a', 'b', 'c', 'c', 'd']) l.add(id, 1);
      expect(['a', 'b', 'c', 'd'].map((id) => l.has(id))).toEqual([false, true, true, true]);
    }
    expect(db.prepare('SELECT COUNT(*) FROM commands_run').pluck().get()).toBe(3);
  });
});
