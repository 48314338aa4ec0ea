/** Devices, their connection sessions and their display state as ops last commanded it. */
import type { SqliteDb } from '../../platform/sqlite.js';
import { columns, rowMapper } from './rows.js';

export interface DeviceRow {
  id: string;
  siteGroup: string;
  screenName: string;
  publicKey: string;
  enrolledAtMs: number;
  revokedAtMs: number | null;
  /** When ops retired it (its key is revoked too); null while in service. */
  retiredAtMs: number | null;
  lastSeenMs: number | null;
  online: boolean;
  appVersion: string | null;
}

export interface NewDevice {
  id: string;
  siteGroup: string;
  screenName: string;
  publicKey: string;
  nowMs: number;
  appVersion?: string | undefined;
}

const deviceRow = rowMapper('devices', (r): DeviceRow => ({
  id: r.str('id'),
  siteGroup: r.str('site_group'),
  screenName: r.str('screen_name'),
  publicKey: r.str('public_key'),
  enrolledAtMs: r.num('enrolled_at'),
  revokedAtMs: r.numOrNull('revoked_at'),
  retiredAtMs: r.numOrNull('retired_at'),
  lastSeenMs: r.numOrNull('last_seen'),
  online: r.isOne('online'),
  appVersion: r.strOrNull('app_version'),
}));
const idRow = rowMapper('devices', (r) => r.str('id'));
const sessionRow = columns('device_sessions', {
  from: ['num', 'connected_at'],
  to: ['numOrNull', 'disconnected_at'],
});
const displayCommandRow = columns('commands', { deviceId: 'str', name: 'str' });

export class DeviceStore {
  private readonly s;

  constructor(private readonly db: SqliteDb) {
    this.s = {
      insert: db.prepare(
        'INSERT INTO devices (id, site_group, screen_name, public_key, enrolled_at, app_version) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      byId: db.prepare('SELECT * FROM devices WHERE id = ?'),
      byKey: db.prepare('SELECT id FROM devices WHERE public_key = ?'),
      list: db.prepare('SELECT * FROM devices ORDER BY site_group, screen_name'),
      listInGroup: db.prepare(
        'SELECT d.* FROM devices d JOIN group_members g ON g.device_id = d.id WHERE g.group_name = ? ORDER BY d.id',
      ),
      ids: db.prepare('SELECT id FROM devices'),
      revoke: db.prepare('UPDATE devices SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
      rename: db.prepare('UPDATE devices SET screen_name = ? WHERE id = ?'),
      move: db.prepare('UPDATE devices SET site_group = ? WHERE id = ?'),
      retire: db.prepare(
        'UPDATE devices SET retired_at = ?, revoked_at = coalesce(revoked_at, ?) WHERE id = ? AND retired_at IS NULL',
      ),
      setOnline: db.prepare(
        'UPDATE devices SET online = ?, last_seen = ?, app_version = coalesce(?, app_version) WHERE id = ?',
      ),
      closeSessions: db.prepare(
        'UPDATE device_sessions SET disconnected_at = max(connected_at, ?) WHERE device_id = ? AND disconnected_at IS NULL',
      ),
      openSession: db.prepare('INSERT INTO device_sessions (device_id, connected_at) VALUES (?, ?)'),
      sessionsBetween: db.prepare(
        'SELECT connected_at, disconnected_at FROM device_sessions WHERE device_id = ? AND connected_at < ? AND (disconnected_at IS NULL OR disconnected_at > ?) ORDER BY connected_at',
      ),
      setSeen: db.prepare('UPDATE devices SET last_seen = max(coalesce(last_seen, 0), ?) WHERE id = ?'),
      // Sessions left open by a stopped server end when their device was last heard from.
      closeAllSessions: db.prepare(
        'UPDATE device_sessions SET disconnected_at = max(connected_at, coalesce((SELECT last_seen FROM devices d WHERE d.id = device_sessions.device_id), connected_at)) WHERE disconnected_at IS NULL',
      ),
      allOffline: db.prepare('UPDATE devices SET online = 0'),
      displayCommands: db.prepare(
        "SELECT device_id, name FROM commands WHERE name IN ('display-on', 'display-off') AND state NOT IN ('failed', 'expired', 'unsupported') ORDER BY issued_at, rowid",
      ),
    };
  }

  /** Adds a device without a token (benchmarks and migrations from another system; enrolment uses a token). */
  add(d: NewDevice): void {
    this.s.insert.run(d.id, d.siteGroup, d.screenName, d.publicKey, d.nowMs, d.appVersion ?? null);
  }

  /** Adds many devices in one transaction (fleet imports, benchmarks). */
  addMany(list: readonly Omit<NewDevice, 'appVersion'>[]): void {
    this.db.transaction(() => {
      for (const d of list) this.add(d);
    })();
  }

  idForKey(publicKey: string): string | undefined {
    return idRow.one(this.s.byKey.get(publicKey));
  }

  /** Every device id (revoked ones too). */
  ids(): string[] {
    return idRow.all(this.s.ids.all());
  }

  get(id: string): DeviceRow | undefined {
    return deviceRow.one(this.s.byId.get(id));
  }

  list(group?: string): DeviceRow[] {
    return deviceRow.all(group ? this.s.listInGroup.all(group) : this.s.list.all());
  }

  revoke(id: string, nowMs: number): boolean {
    return this.s.revoke.run(nowMs, id).changes === 1;
  }

  rename(id: string, screenName: string): boolean {
    return this.s.rename.run(screenName, id).changes === 1;
  }

  /** Moves a device to another gate (site group): its next refresh brings that gate's config and content. */
  move(id: string, siteGroup: string): boolean {
    return this.s.move.run(siteGroup, id).changes === 1;
  }

  /** Takes a device out of service for good: retired and its key revoked (if it was not already). */
  retire(id: string, nowMs: number): boolean {
    return this.s.retire.run(nowMs, nowMs, id).changes === 1;
  }

  /** Marks a device connected or not, and records the change in its session history. */
  setOnline(id: string, online: boolean, nowMs: number, appVersion?: string): void {
    this.db.transaction(() => {
      this.s.setOnline.run(online ? 1 : 0, nowMs, appVersion ?? null, id);
      this.s.closeSessions.run(nowMs, id);
      if (online) this.s.openSession.run(id, nowMs);
    })();
  }

  /** Nobody is connected to a server that just started. */
  markAllOffline(): void {
    this.db.transaction(() => {
      this.s.closeAllSessions.run();
      this.s.allOffline.run();
    })();
  }

  /** Connected spans of a device overlapping [fromMs, toMs); an open session ends at null. */
  sessions(deviceId: string, fromMs: number, toMs: number): { from: number; to: number | null }[] {
    return sessionRow.all(this.s.sessionsBetween.all(deviceId, toMs, fromMs));
  }

  setLastSeen(entries: Iterable<[string, number]>): void {
    this.db.transaction(() => {
      for (const [id, at] of entries) this.s.setSeen.run(at, id);
    })();
  }

  /** Devices whose newest display command that did not fail is "display-off" (ops turned the panel off). */
  displayOffByCommand(): Set<string> {
    const last = new Map<string, string>();
    for (const r of displayCommandRow.all(this.s.displayCommands.all())) last.set(r.deviceId, r.name);
    return new Set([...last].filter(([, name]) => name === 'display-off').map(([id]) => id));
  }
}
