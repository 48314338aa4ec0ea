/**
 * Which remote commands this device already ran. The server resends a command until it sees the
 * ack; an ack lost to a reboot or a crash must not run the command again (a resent `reboot` would
 * loop). The SQLite ledger keeps the ids in the device database, written before the command runs.
 */
import type { Db, Migration } from '../store/sqlite.js';

export interface CommandLedger {
  has(id: string): boolean;
  /** Records `id` as run (idempotent). */
  add(id: string, atMs: number): void;
}

/** How many ids are kept; the server's commands expire long before this many arrive. */
export const COMMAND_LEDGER_SIZE = 500;

export class MemoryCommandLedger implements CommandLedger {
  readonly #order: string[] = [];
  readonly #ids = new Set<string>();

  constructor(private readonly size = COMMAND_LEDGER_SIZE) {}

  has(id: string): boolean {
    return this.#ids.has(id);
  }

  add(id: string): void {
    if (this.#ids.has(id)) return;
    this.#order.push(id);
    this.#ids.add(id);
    if (this.#order.length > this.size) this.#ids.delete(this.#order.shift()!);
  }
}

export const COMMAND_LEDGER_MIGRATIONS: readonly Migration[] = [
  {
    name: 'sync-commands-1',
    up: `CREATE TABLE commands_run (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      id TEXT NOT NULL UNIQUE,
      at_ms INTEGER NOT NULL
    )`,
  },
];

/** The ledger in the device database (run COMMAND_LEDGER_MIGRATIONS first). */
export class SqliteCommandLedger implements CommandLedger {
  readonly #has;
  readonly #add;
  readonly #prune;

  constructor(
    db: Db,
    private readonly size = COMMAND_LEDGER_SIZE,
  ) {
    this.#has = db.prepare('SELECT 1 FROM commands_run WHERE id = ?').pluck();
    this.#add = db.prepare('INSERT OR IGNORE INTO commands_run (id, at_ms) VALUES (?, ?)');
    this.#prune = db.prepare(
      'DELETE FROM commands_run WHERE seq NOT IN (SELECT seq FROM commands_run ORDER BY seq DESC LIMIT ?)',
    );
  }

  has(id: string): boolean {
    return this.#has.get(id) !== undefined;
  }

  add(id: string, atMs: number): void {
    if (this.#add.run(id, atMs).changes > 0) this.#prune.run(this.size);
  }
}
