/**
 * SqliteAccountStore: users, sessions and the audit log in better-sqlite3 (WAL). It may share the
 * sync server's database file or have its own; its migrations are recorded in its own table
 * (`accounts_migrations`) under names "accounts-N", so it never collides with other subsystems.
 */
import {
  openAndMigrate,
  type SqliteDb,
  type SqliteMigration,
  type SqlitePragmas,
  type SqliteStatement as Statement,
} from '../../platform/sqlite.js';
import { AccountStoreError, KeyRegisteredError, UserExistsError, UserNotFoundError } from './errors.js';
import { isRole, type Role } from '../web/roles.js';
import type {
  AccountKeyRecord,
  AccountStore,
  AuditEntry,
  AuditQuery,
  NewAccountKey,
  NewAuditEntry,
  NewUser,
  SessionRecord,
  UserPatch,
  UserRecord,
} from './store.js';

type Db = SqliteDb;

export const ACCOUNTS_MIGRATIONS: readonly SqliteMigration[] = [
  {
    name: 'accounts-1',
    up: `
      CREATE TABLE account_users (
        id INTEGER PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        display_name TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('admin','operator','author','approver','viewer')),
        password_hash TEXT NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE TABLE account_sessions (
        id_hash TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES account_users(id) ON DELETE CASCADE,
        csrf_token TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        ip TEXT NOT NULL,
        user_agent TEXT NOT NULL
      );
      CREATE INDEX account_sessions_user ON account_sessions(user_id);
      CREATE INDEX account_sessions_expiry ON account_sessions(expires_at);
      CREATE TABLE account_audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        actor TEXT,
        action TEXT NOT NULL,
        target TEXT,
        ip TEXT,
        outcome TEXT NOT NULL CHECK (outcome IN ('ok','denied','failed')),
        details TEXT NOT NULL
      );
      CREATE INDEX account_audit_at ON account_audit(at);
    `,
  },
  {
    // Approver keys belong to accounts: a signature counts only from the account its key is registered to.
    name: 'accounts-2',
    up: `
      CREATE TABLE account_keys (
        keyid TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES account_users(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        public_hex TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX account_keys_user ON account_keys(user_id);
    `,
  },
  {
    // Accounts with several roles: `roles` lists them (comma-separated, main role first); `role`
    // stays the main one. Existing accounts keep their single role.
    name: 'accounts-3',
    up: `
      ALTER TABLE account_users ADD COLUMN roles TEXT NOT NULL DEFAULT '';
      UPDATE account_users SET roles = role;
    `,
  },
];

/** Accounts database settings: WAL, foreign keys (sessions and keys cascade with their user). */
const ACCOUNTS_PRAGMAS: SqlitePragmas = { synchronous: 'NORMAL', foreignKeys: true, busyTimeoutMs: 5000 };

interface UserRow {
  id: number;
  username: string;
  display_name: string;
  role: string;
  roles: string;
  password_hash: string;
  disabled: number;
  created_at: number;
  updated_at: number;
}

interface SessionRow {
  id_hash: string;
  user_id: number;
  csrf_token: string;
  created_at: number;
  last_seen_at: number;
  expires_at: number;
  ip: string;
  user_agent: string;
}

interface AuditRow {
  id: number;
  at: number;
  actor: string | null;
  action: string;
  target: string | null;
  ip: string | null;
  outcome: 'ok' | 'denied' | 'failed';
  details: string;
}

interface KeyRow {
  keyid: string;
  user_id: number;
  username: string;
  name: string;
  public_hex: string;
  created_at: number;
}

const toKey = (r: KeyRow): AccountKeyRecord => ({
  keyid: r.keyid,
  userId: r.user_id,
  username: r.username,
  name: r.name,
  publicHex: r.public_hex,
  createdAt: r.created_at,
});

const KEY_SELECT =
  'SELECT k.keyid, k.user_id, u.username, k.name, k.public_hex, k.created_at FROM account_keys k JOIN account_users u ON u.id = k.user_id';

function toUser(r: UserRow): UserRecord {
  const roles = (r.roles || r.role).split(',').filter((x) => x !== '');
  const bad = roles.find((x) => !isRole(x));
  if (bad !== undefined || !isRole(r.role))
    throw new AccountStoreError(`user ${r.username} has unknown role ${bad ?? r.role}`);
  return {
    id: r.id,
    username: r.username,
    displayName: r.display_name,
    role: r.role,
    roles: roles as Role[],
    passwordHash: r.password_hash,
    disabled: r.disabled !== 0,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

const toSession = (r: SessionRow): SessionRecord => ({
  idHash: r.id_hash,
  userId: r.user_id,
  csrfToken: r.csrf_token,
  createdAt: r.created_at,
  lastSeenAt: r.last_seen_at,
  expiresAt: r.expires_at,
  ip: r.ip,
  userAgent: r.user_agent,
});

const toAudit = (r: AuditRow): AuditEntry => ({
  id: r.id,
  at: r.at,
  actor: r.actor,
  action: r.action,
  target: r.target,
  ip: r.ip,
  outcome: r.outcome,
  details: JSON.parse(r.details) as Record<string, unknown>,
});

function mainRole(roles: readonly Role[]): Role {
  const r = roles[0];
  if (r === undefined) throw new AccountStoreError('an account has at least one role');
  return r;
}

export class SqliteAccountStore implements AccountStore {
  private readonly statements = new Map<string, Statement>();

  /** `db` must have had ACCOUNTS_MIGRATIONS applied (openSqliteAccountStore does both). */
  constructor(private readonly db: Db) {}

  private stmt(sql: string): Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  getUserByName(username: string): UserRecord | undefined {
    const r = this.stmt('SELECT * FROM account_users WHERE username = ?').get(username) as
      UserRow | undefined;
    return r && toUser(r);
  }

  getUserById(id: number): UserRecord | undefined {
    const r = this.stmt('SELECT * FROM account_users WHERE id = ?').get(id) as UserRow | undefined;
    return r && toUser(r);
  }

  listUsers(): UserRecord[] {
    return (this.stmt('SELECT * FROM account_users ORDER BY username').all() as UserRow[]).map(toUser);
  }

  insertUser(u: NewUser): UserRecord {
    try {
      const info = this.stmt(
        `INSERT INTO account_users (username, display_name, role, roles, password_hash, disabled, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, 0, ?, ?)`,
      ).run(
        u.username,
        u.displayName,
        mainRole(u.roles),
        u.roles.join(','),
        u.passwordHash,
        u.createdAt,
        u.createdAt,
      );
      return this.getUserById(Number(info.lastInsertRowid))!;
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE')
        throw new UserExistsError(`user "${u.username}" already exists`, { cause: err });
      throw new AccountStoreError('cannot insert user', { cause: err });
    }
  }

  updateUser(id: number, patch: UserPatch): UserRecord {
    const cur = this.getUserById(id);
    if (!cur) throw new UserNotFoundError(`no user with id ${id}`);
    this.stmt(
      `UPDATE account_users SET display_name = ?, role = ?, roles = ?, password_hash = ?, disabled = ?,
       updated_at = ? WHERE id = ?`,
    ).run(
      patch.displayName ?? cur.displayName,
      mainRole(patch.roles ?? cur.roles),
      (patch.roles ?? cur.roles).join(','),
      patch.passwordHash ?? cur.passwordHash,
      (patch.disabled ?? cur.disabled) ? 1 : 0,
      patch.updatedAt,
      id,
    );
    return this.getUserById(id)!;
  }

  deleteUser(id: number): void {
    const info = this.stmt('DELETE FROM account_users WHERE id = ?').run(id);
    if (info.changes === 0) throw new UserNotFoundError(`no user with id ${id}`);
  }

  countActiveAdmins(): number {
    return (
      this.stmt(
        "SELECT count(*) AS n FROM account_users WHERE (',' || roles || ',') LIKE '%,admin,%' AND disabled = 0",
      ).get() as {
        n: number;
      }
    ).n;
  }

  insertSession(s: SessionRecord): void {
    this.stmt(
      `INSERT INTO account_sessions (id_hash, user_id, csrf_token, created_at, last_seen_at, expires_at, ip, user_agent)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(s.idHash, s.userId, s.csrfToken, s.createdAt, s.lastSeenAt, s.expiresAt, s.ip, s.userAgent);
  }

  getSession(idHash: string): SessionRecord | undefined {
    const r = this.stmt('SELECT * FROM account_sessions WHERE id_hash = ?').get(idHash) as
      SessionRow | undefined;
    return r && toSession(r);
  }

  touchSession(idHash: string, lastSeenAt: number): void {
    this.stmt('UPDATE account_sessions SET last_seen_at = ? WHERE id_hash = ?').run(lastSeenAt, idHash);
  }

  deleteSession(idHash: string): void {
    this.stmt('DELETE FROM account_sessions WHERE id_hash = ?').run(idHash);
  }

  deleteUserSessions(userId: number, keepIdHash?: string): number {
    return this.stmt('DELETE FROM account_sessions WHERE user_id = ? AND id_hash IS NOT ?').run(
      userId,
      keepIdHash ?? null,
    ).changes;
  }

  deleteExpiredSessions(now: number, idleTimeoutMs: number): number {
    return this.stmt('DELETE FROM account_sessions WHERE expires_at <= ? OR last_seen_at <= ?').run(
      now,
      now - idleTimeoutMs,
    ).changes;
  }

  insertKey(k: NewAccountKey): AccountKeyRecord {
    const owner = this.getKey(k.keyid);
    if (owner && owner.userId !== k.userId)
      throw new KeyRegisteredError(`key ${k.keyid} is already registered to account "${owner.username}"`);
    if (!owner)
      this.stmt(
        'INSERT INTO account_keys (keyid, user_id, name, public_hex, created_at) VALUES (?, ?, ?, ?, ?)',
      ).run(k.keyid, k.userId, k.name, k.publicHex, k.createdAt);
    return this.getKey(k.keyid)!;
  }

  getKey(keyid: string): AccountKeyRecord | undefined {
    const r = this.stmt(`${KEY_SELECT} WHERE k.keyid = ?`).get(keyid) as KeyRow | undefined;
    return r && toKey(r);
  }

  listKeys(userId?: number): AccountKeyRecord[] {
    const rows =
      userId === undefined
        ? this.stmt(`${KEY_SELECT} ORDER BY k.created_at, k.keyid`).all()
        : this.stmt(`${KEY_SELECT} WHERE k.user_id = ? ORDER BY k.created_at, k.keyid`).all(userId);
    return (rows as KeyRow[]).map(toKey);
  }

  deleteKey(keyid: string): boolean {
    return this.stmt('DELETE FROM account_keys WHERE keyid = ?').run(keyid).changes > 0;
  }

  appendAudit(e: NewAuditEntry): AuditEntry {
    const details = JSON.stringify(e.details);
    const info = this.stmt(
      'INSERT INTO account_audit (at, actor, action, target, ip, outcome, details) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ).run(e.at, e.actor, e.action, e.target, e.ip, e.outcome, details);
    return {
      ...e,
      details: JSON.parse(details) as Record<string, unknown>,
      id: Number(info.lastInsertRowid),
    };
  }

  listAudit(q: AuditQuery): AuditEntry[] {
    // Each filter the query gives, as its condition and its value.
    const filters: [string, string | number | undefined][] = [
      ['at >= ?', q.from],
      ['at < ?', q.to],
      ['actor = ?', q.actor],
      ['action = ?', q.action],
      ['outcome = ?', q.outcome],
      ['id < ?', q.beforeId],
    ];
    const given = filters.filter((f): f is [string, string | number] => f[1] !== undefined);
    const where = given.map(([condition]) => condition);
    const args = given.map(([, value]) => value);
    const sql = `SELECT * FROM account_audit ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...args, q.limit) as AuditRow[]).map(toAudit);
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  close(): void {
    this.db.close();
  }
}

/** Opens the accounts database at `path`, migrates it, and returns the store. */
export function openSqliteAccountStore(path: string): SqliteAccountStore {
  // Their own table of applied migrations: the accounts may share a file with other subsystems.
  const db = openAndMigrate(path, {
    pragmas: ACCOUNTS_PRAGMAS,
    migrations: ACCOUNTS_MIGRATIONS,
    table: 'accounts_migrations',
  });
  return new SqliteAccountStore(db);
}
