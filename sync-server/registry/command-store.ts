/** Commands queued for devices, their answers, and the screenshots some of them return. */
import type { CommandName, CommandStatus } from '../../protocol/messages.js';
import type { SqliteDb } from '../../platform/sqlite.js';
import { rowMapper } from './rows.js';

export type CommandState = 'queued' | 'sent' | 'acked' | CommandStatus;

export interface CommandRow {
  id: string;
  deviceId: string;
  name: CommandName;
  args: Record<string, unknown> | null;
  issuedAtMs: number;
  expiresAtMs: number;
  state: CommandState;
  message: string | null;
  updatedAtMs: number;
  hasScreenshot: boolean;
}

// name and state were checked on the way in (createCommand, setState) and are read back as written.
const commandRow = rowMapper('commands', (r): CommandRow => ({
  id: r.str('id'),
  deviceId: r.str('device_id'),
  name: r.str('name') as CommandName,
  args: r.strOrNull('args') ? (r.json('args') as Record<string, unknown>) : null,
  issuedAtMs: r.num('issued_at'),
  expiresAtMs: r.num('expires_at'),
  state: r.str('state') as CommandState,
  message: r.strOrNull('message'),
  updatedAtMs: r.num('updated_at'),
  hasScreenshot: r.isOne('has_screenshot'),
}));
const idRow = rowMapper('commands', (r) => r.str('id'));
const pngRow = rowMapper('screenshots', (r) => r.blob('png'));
const stateCountRow = rowMapper('commands', (r) => ({ state: r.str('state'), n: r.num('n') }));

export class CommandStore {
  private readonly s;

  constructor(db: SqliteDb) {
    this.s = {
      insert: db.prepare(
        'INSERT INTO commands (id, device_id, name, args, issued_at, expires_at, state, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      byId: db.prepare(
        'SELECT c.*, (s.command_id IS NOT NULL) AS has_screenshot FROM commands c LEFT JOIN screenshots s ON s.command_id = c.id WHERE c.id = ?',
      ),
      forDevice: db.prepare(
        'SELECT c.*, (s.command_id IS NOT NULL) AS has_screenshot FROM commands c LEFT JOIN screenshots s ON s.command_id = c.id WHERE c.device_id = ? ORDER BY c.issued_at DESC LIMIT ?',
      ),
      deliverable: db.prepare(
        "SELECT c.*, 0 AS has_screenshot FROM commands c WHERE c.device_id = ? AND c.state IN ('queued', 'sent') AND c.expires_at > ? ORDER BY c.issued_at",
      ),
      setState: db.prepare(
        'UPDATE commands SET state = ?, message = coalesce(?, message), updated_at = ? WHERE id = ?',
      ),
      expire: db.prepare(
        "UPDATE commands SET state = 'expired', message = 'expired before the device answered', updated_at = ? WHERE state IN ('queued', 'sent', 'acked') AND expires_at <= ? RETURNING id",
      ),
      countByState: db.prepare('SELECT state, count(*) AS n FROM commands GROUP BY state'),
      insertScreenshot: db.prepare(
        'INSERT OR REPLACE INTO screenshots (command_id, png, taken_at) VALUES (?, ?, ?)',
      ),
      screenshot: db.prepare('SELECT png FROM screenshots WHERE command_id = ?'),
    };
  }

  create(c: {
    id: string;
    deviceId: string;
    name: CommandName;
    args?: Record<string, unknown> | undefined;
    issuedAtMs: number;
    expiresAtMs: number;
  }): CommandRow {
    this.s.insert.run(
      c.id,
      c.deviceId,
      c.name,
      c.args ? JSON.stringify(c.args) : null,
      c.issuedAtMs,
      c.expiresAtMs,
      'queued',
      c.issuedAtMs,
    );
    return this.get(c.id)!;
  }

  get(id: string): CommandRow | undefined {
    return commandRow.one(this.s.byId.get(id));
  }

  list(deviceId: string, limit = 100): CommandRow[] {
    return commandRow.all(this.s.forDevice.all(deviceId, limit));
  }

  /** Commands queued or sent but not answered and not expired, oldest first. */
  deliverable(deviceId: string, nowMs: number): CommandRow[] {
    return commandRow.all(this.s.deliverable.all(deviceId, nowMs));
  }

  setState(id: string, state: CommandState, nowMs: number, message?: string): void {
    this.s.setState.run(state, message ?? null, nowMs, id);
  }

  /** Marks every unanswered command past its expiry 'expired'; returns their ids. */
  expire(nowMs: number): string[] {
    return idRow.all(this.s.expire.all(nowMs, nowMs));
  }

  /** How many commands are in each state, for monitoring. */
  countByState(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of stateCountRow.all(this.s.countByState.all())) out[r.state] = r.n;
    return out;
  }

  saveScreenshot(commandId: string, png: Buffer, nowMs: number): void {
    this.s.insertScreenshot.run(commandId, png, nowMs);
  }

  screenshot(commandId: string): Buffer | undefined {
    return pngRow.one(this.s.screenshot.get(commandId));
  }
}
