/**
 * The accounts port: users, sessions and the audit log. `SqliteAccountStore` (sqlite-accounts.ts)
 * is the implementation; the service and routes only see this interface. Times are epoch ms.
 */
import type { Role } from '../web/roles.js';

export interface UserRecord {
  id: number;
  /** Lower-case login name. */
  username: string;
  displayName: string;
  /** The main role: the first of `roles`. */
  role: Role;
  /** Every role the account holds (an officer may watch, command and approve with one account). */
  roles: Role[];
  /** scrypt hash string from password.ts. */
  passwordHash: string;
  disabled: boolean;
  createdAt: number;
  updatedAt: number;
}

export interface NewUser {
  username: string;
  displayName: string;
  roles: Role[];
  passwordHash: string;
  createdAt: number;
}

export interface UserPatch {
  displayName?: string;
  roles?: Role[];
  passwordHash?: string;
  disabled?: boolean;
  updatedAt: number;
}

export interface SessionRecord {
  /** SHA-256 (hex) of the cookie token; the token itself is never stored. */
  idHash: string;
  userId: number;
  /** Synchronizer token the client must echo in `x-csrf-token` on every mutating request. */
  csrfToken: string;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  ip: string;
  userAgent: string;
}

export type AuditOutcome = 'ok' | 'denied' | 'failed';

export interface NewAuditEntry {
  at: number;
  /** Username of who acted; null for an anonymous request (e.g. a failed login). */
  actor: string | null;
  /** What was done, dotted: "user.create", "session.login", "access.denied". */
  action: string;
  /** What it was done to, e.g. a username, a device id; null if nothing in particular. */
  target: string | null;
  /** Client address the request came from; null for the CLI. */
  ip: string | null;
  outcome: AuditOutcome;
  details: Record<string, unknown>;
}

export interface AuditEntry extends NewAuditEntry {
  id: number;
}

export interface AuditQuery {
  from?: number;
  to?: number;
  actor?: string;
  action?: string;
  outcome?: AuditOutcome;
  /** Entries with id below this (paging backwards, newest first). */
  beforeId?: number;
  limit: number;
}

/** An approver's public key, registered to one account (a key id belongs to one account only). */
export interface AccountKeyRecord {
  /** TUF key id (sha256 of the key's canonical JSON). */
  keyid: string;
  userId: number;
  username: string;
  /** The key's name from its public key file, e.g. "approver-1". */
  name: string;
  /** Ed25519 public key, 64 hex digits. */
  publicHex: string;
  createdAt: number;
}

export interface NewAccountKey {
  keyid: string;
  userId: number;
  name: string;
  publicHex: string;
  createdAt: number;
}

export interface AccountStore {
  getUserByName(username: string): UserRecord | undefined;
  getUserById(id: number): UserRecord | undefined;
  listUsers(): UserRecord[];
  /** Throws UserExistsError when the username is taken. */
  insertUser(user: NewUser): UserRecord;
  updateUser(id: number, patch: UserPatch): UserRecord;
  deleteUser(id: number): void;
  /** Admins that are not disabled. */
  countActiveAdmins(): number;

  insertSession(session: SessionRecord): void;
  getSession(idHash: string): SessionRecord | undefined;
  touchSession(idHash: string, lastSeenAt: number): void;
  deleteSession(idHash: string): void;
  /** Ends every session of the user, except `keepIdHash` when given. */
  deleteUserSessions(userId: number, keepIdHash?: string): number;
  deleteExpiredSessions(now: number, idleTimeoutMs: number): number;

  /** Throws KeyRegisteredError (naming the owner) when the key id belongs to an account already. */
  insertKey(key: NewAccountKey): AccountKeyRecord;
  getKey(keyid: string): AccountKeyRecord | undefined;
  /** One account's keys, or every account's (oldest first). */
  listKeys(userId?: number): AccountKeyRecord[];
  /** False when there was no such key. */
  deleteKey(keyid: string): boolean;

  appendAudit(entry: NewAuditEntry): AuditEntry;
  /** Newest first. */
  listAudit(query: AuditQuery): AuditEntry[];

  /** Runs `fn` atomically. */
  transaction<T>(fn: () => T): T;
  close(): void;
}
