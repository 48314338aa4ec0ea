/**
 * The alerts' saved state in the registry database: the active alerts (one JSON record per key) and
 * the history of what happened to them. The records are JSON values here; store.ts checks their shape.
 */
import type { SqliteDb } from '../../platform/sqlite.js';
import type { Registry } from '../registry/registry.js';
import { columns } from '../registry/rows.js';

const activeRow = columns('alerts_active', { key: 'str', record: 'json' });
const historyRow = columns('alerts_history', {
  id: 'num',
  at: 'num',
  type: 'str',
  key: 'str',
  record: 'json',
});

export class AlertStateStore {
  private readonly s;

  constructor(private readonly db: SqliteDb) {
    this.s = {
      active: db.prepare('SELECT key, record FROM alerts_active ORDER BY key'),
      clearActive: db.prepare('DELETE FROM alerts_active'),
      insertActive: db.prepare('INSERT INTO alerts_active (key, record) VALUES (?, ?)'),
      insertHistory: db.prepare('INSERT INTO alerts_history (at, type, key, record) VALUES (?, ?, ?, ?)'),
      pruneHistory: db.prepare('DELETE FROM alerts_history WHERE at < ?'),
      history: db.prepare(
        'SELECT id, at, type, key, record FROM alerts_history ORDER BY at DESC, id DESC LIMIT ?',
      ),
    };
  }

  /** The stored active alerts as saved. */
  loadActive(): { key: string; record: unknown }[] {
    return activeRow.all(this.s.active.all());
  }

  /** Replaces the stored active alerts with `records`, atomically. */
  saveActive(records: readonly { key: string }[]): void {
    this.db.transaction(() => {
      this.s.clearActive.run();
      for (const r of records) this.s.insertActive.run(r.key, JSON.stringify(r));
    })();
  }

  /** Appends events to the history and forgets events older than `keepFromMs`, in one transaction. */
  appendHistory(
    events: readonly { at: number; type: string; key: string; record: unknown }[],
    keepFromMs: number,
  ): void {
    this.db.transaction(() => {
      for (const e of events) this.s.insertHistory.run(e.at, e.type, e.key, JSON.stringify(e.record));
      this.s.pruneHistory.run(keepFromMs);
    })();
  }

  /** The newest `limit` events, newest first. */
  history(limit: number): { id: number; at: number; type: string; key: string; record: unknown }[] {
    return historyRow.all(this.s.history.all(limit));
  }
}

const openAlertState = (db: SqliteDb): AlertStateStore => new AlertStateStore(db);

/** The alerts' state store over `registry`'s database (one per open registry). */
export const alertStateOf = (registry: Pick<Registry, 'featureStore'>): AlertStateStore =>
  registry.featureStore(openAlertState);
