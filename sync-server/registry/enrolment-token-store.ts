/** Enrolment tokens: created by ops, redeemed once by a device to enrol. */
import type { SqliteDb } from '../../platform/sqlite.js';
import type { DeviceStore, NewDevice } from './device-store.js';
import { rowMapper } from './rows.js';

export interface TokenRow {
  id: string;
  siteGroup: string;
  screenName: string;
  createdAtMs: number;
  expiresAtMs: number;
  usedAtMs: number | null;
  deviceId: string | null;
  revokedAtMs: number | null;
}

const tokenRow = rowMapper('enrolment_tokens', (r): TokenRow => ({
  id: r.str('id'),
  siteGroup: r.str('site_group'),
  screenName: r.str('screen_name'),
  createdAtMs: r.num('created_at'),
  expiresAtMs: r.num('expires_at'),
  usedAtMs: r.numOrNull('used_at'),
  deviceId: r.strOrNull('device_id'),
  revokedAtMs: r.numOrNull('revoked_at'),
}));

export class EnrolmentTokenStore {
  private readonly s;

  constructor(
    private readonly db: SqliteDb,
    private readonly devices: DeviceStore,
  ) {
    this.s = {
      insert: db.prepare(
        'INSERT INTO enrolment_tokens (id, token_hash, site_group, screen_name, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      byHash: db.prepare('SELECT * FROM enrolment_tokens WHERE token_hash = ?'),
      byId: db.prepare('SELECT * FROM enrolment_tokens WHERE id = ?'),
      list: db.prepare('SELECT * FROM enrolment_tokens ORDER BY created_at DESC'),
      use: db.prepare(
        'UPDATE enrolment_tokens SET used_at = ?, device_id = ? WHERE id = ? AND used_at IS NULL AND revoked_at IS NULL',
      ),
      revoke: db.prepare('UPDATE enrolment_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
    };
  }

  insert(t: {
    id: string;
    tokenHash: string;
    siteGroup: string;
    screenName: string;
    createdAtMs: number;
    expiresAtMs: number;
  }): void {
    this.s.insert.run(t.id, t.tokenHash, t.siteGroup, t.screenName, t.createdAtMs, t.expiresAtMs);
  }

  byHash(hash: string): TokenRow | undefined {
    return tokenRow.one(this.s.byHash.get(hash));
  }

  get(id: string): TokenRow | undefined {
    return tokenRow.one(this.s.byId.get(id));
  }

  list(): TokenRow[] {
    return tokenRow.all(this.s.list.all());
  }

  revoke(id: string, nowMs: number): boolean {
    return this.s.revoke.run(nowMs, id).changes === 1;
  }

  /** Marks the token used and creates the device, atomically; false when the token was used meanwhile. */
  enrolDevice(tokenId: string, d: NewDevice): boolean {
    return this.db.transaction(() => {
      if (this.s.use.run(d.nowMs, d.id, tokenId).changes !== 1) return false;
      this.devices.add(d);
      return true;
    })();
  }
}
