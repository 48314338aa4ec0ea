/**
 * The end secrets of emergencies and the commands that revealed them (schema.ts
 * registry-emergency-ends-1). Made once per registry with `registry.featureStore(emergencyEndStore)`.
 */
import type { SqliteDb } from '../../platform/sqlite.js';
import { columns } from '../registry/rows.js';

export interface EmergencyEndRow {
  siteGroup: string;
  emergencyId: string;
  secret: string;
  commitment: string;
  createdAtMs: number;
  expiresAtMs: number;
  endedAtMs: number | null;
  endedBy: string | null;
}

const endRow = columns('emergency_ends', {
  siteGroup: 'str',
  emergencyId: 'str',
  secret: 'str',
  commitment: 'str',
  createdAtMs: ['num', 'created_at'],
  expiresAtMs: ['num', 'expires_at'],
  endedAtMs: ['numOrNull', 'ended_at'],
  endedBy: 'strOrNull',
});
const commandRow = columns('emergency_end_commands', { deviceId: 'str', commandId: 'str' });

export class EmergencyEndStore {
  private readonly s;

  constructor(private readonly db: SqliteDb) {
    this.s = {
      insert: db.prepare(
        'INSERT INTO emergency_ends (site_group, emergency_id, secret, commitment, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      get: db.prepare('SELECT * FROM emergency_ends WHERE site_group = ? AND emergency_id = ?'),
      byEmergencyId: db.prepare('SELECT * FROM emergency_ends WHERE emergency_id = ? ORDER BY site_group'),
      markEnded: db.prepare(
        'UPDATE emergency_ends SET ended_at = ?, ended_by = ? WHERE site_group = ? AND emergency_id = ? AND ended_at IS NULL',
      ),
      endedInGroup: db.prepare(
        'SELECT * FROM emergency_ends WHERE site_group = ? AND ended_at IS NOT NULL AND expires_at > ? ORDER BY ended_at',
      ),
      ended: db.prepare(
        'SELECT * FROM emergency_ends WHERE ended_at IS NOT NULL AND expires_at > ? ORDER BY ended_at',
      ),
      addCommand: db.prepare(
        'INSERT OR IGNORE INTO emergency_end_commands (site_group, emergency_id, device_id, command_id) VALUES (?, ?, ?, ?)',
      ),
      commands: db.prepare(
        'SELECT device_id, command_id FROM emergency_end_commands WHERE site_group = ? AND emergency_id = ? ORDER BY device_id',
      ),
    };
  }

  add(r: Omit<EmergencyEndRow, 'endedAtMs' | 'endedBy'>): void {
    this.s.insert.run(r.siteGroup, r.emergencyId, r.secret, r.commitment, r.createdAtMs, r.expiresAtMs);
  }

  get(siteGroup: string, emergencyId: string): EmergencyEndRow | undefined {
    return endRow.one(this.s.get.get(siteGroup, emergencyId));
  }

  /** The emergencies with this id, in every site group (ids are drawn per site group). */
  byEmergencyId(emergencyId: string): EmergencyEndRow[] {
    return endRow.all(this.s.byEmergencyId.all(emergencyId));
  }

  /** Records the end; false when it was already recorded (nothing changes). */
  markEnded(siteGroup: string, emergencyId: string, atMs: number, by: string): boolean {
    return this.s.markEnded.run(atMs, by, siteGroup, emergencyId).changes === 1;
  }

  /** Emergencies ended early and not yet expired (of one site group, or all). */
  endedBefore(nowMs: number, siteGroup?: string): EmergencyEndRow[] {
    return endRow.all(siteGroup ? this.s.endedInGroup.all(siteGroup, nowMs) : this.s.ended.all(nowMs));
  }

  /** Records the command that reveals the end to a screen; false when that screen already has one. */
  addCommand(siteGroup: string, emergencyId: string, deviceId: string, commandId: string): boolean {
    return this.s.addCommand.run(siteGroup, emergencyId, deviceId, commandId).changes === 1;
  }

  commands(siteGroup: string, emergencyId: string): { deviceId: string; commandId: string }[] {
    return commandRow.all(this.s.commands.all(siteGroup, emergencyId));
  }

  /** Runs `fn` in one transaction. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }
}

export const emergencyEndStore = (db: SqliteDb): EmergencyEndStore => new EmergencyEndStore(db);
