/** Gates (one config per site group), device groups, and when each published bundle version was first seen. */
import type { GateConfig } from '../../protocol/config.js';
import type { SqliteDb } from '../../platform/sqlite.js';
import { rowMapper } from './rows.js';

// Stored by upsert() from a config that was validated on its way in.
const gateRow = rowMapper('gates', (r) => r.json('config') as GateConfig);
const groupRow = rowMapper('group_members', (r) => ({ name: r.str('group_name'), devices: r.num('n') }));
const firstSeenRow = rowMapper('bundle_versions_seen', (r) => r.num('first_seen_at'));

export class GateStore {
  private readonly s;

  constructor(db: SqliteDb) {
    this.s = {
      upsert: db.prepare(
        'INSERT INTO gates (site_group, config) VALUES (?, ?) ON CONFLICT(site_group) DO UPDATE SET config = excluded.config',
      ),
      get: db.prepare('SELECT config FROM gates WHERE site_group = ?'),
      list: db.prepare('SELECT config FROM gates ORDER BY site_group'),
      addMember: db.prepare('INSERT OR IGNORE INTO group_members (group_name, device_id) VALUES (?, ?)'),
      removeMember: db.prepare('DELETE FROM group_members WHERE group_name = ? AND device_id = ?'),
      listGroups: db.prepare(
        'SELECT group_name, count(*) AS n FROM group_members GROUP BY group_name ORDER BY group_name',
      ),
      seeBundle: db.prepare(
        'INSERT OR IGNORE INTO bundle_versions_seen (site_group, version, first_seen_at) VALUES (?, ?, ?)',
      ),
      bundleSeen: db.prepare(
        'SELECT first_seen_at FROM bundle_versions_seen WHERE site_group = ? AND version = ?',
      ),
    };
  }

  upsert(gate: GateConfig): void {
    this.s.upsert.run(gate.siteGroup, JSON.stringify(gate));
  }

  get(siteGroup: string): GateConfig | undefined {
    return gateRow.one(this.s.get.get(siteGroup));
  }

  list(): GateConfig[] {
    return gateRow.all(this.s.list.all());
  }

  addToGroup(group: string, deviceId: string): void {
    this.s.addMember.run(group, deviceId);
  }

  removeFromGroup(group: string, deviceId: string): void {
    this.s.removeMember.run(group, deviceId);
  }

  listGroups(): { name: string; devices: number }[] {
    return groupRow.all(this.s.listGroups.all());
  }

  /** When the server first saw `version` of `siteGroup` published, recording `nowMs` the first time. */
  bundleFirstSeen(siteGroup: string, version: string, nowMs: number): number {
    this.s.seeBundle.run(siteGroup, version, nowMs);
    return firstSeenRow.one(this.s.bundleSeen.get(siteGroup, version))!;
  }
}
