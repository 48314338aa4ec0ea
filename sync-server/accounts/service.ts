/**
 * Account logic: log in and out, sessions with expiry and idle timeout, user administration,
 * password changes, and an audit entry for each of them. Storage is the AccountStore port; the
 * clock and the rate limiter are injected.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../../protocol/clock.js';
import type { Logger } from '../../platform/log.js';
import { isKeyFileError, parsePublicKeyFile } from '../../platform/tuf-keys.js';
import { zodProblems } from '../../protocol/validate.js';
import {
  AccountInputError,
  AdminExistsError,
  AuthFailedError,
  KeyNotFoundError,
  LastAdminError,
  RateLimitedError,
  UserNotFoundError,
} from './errors.js';
import {
  DEFAULT_SCRYPT_PARAMS,
  hashPassword,
  needsRehash,
  type ScryptParams,
  verifyPassword,
} from './password.js';
import { LoginRateLimiter } from './rate-limit.js';
import { normaliseRoles, ROLES, type Role, rolesProblem } from '../web/roles.js';
import type {
  AccountKeyRecord,
  AccountStore,
  AuditEntry,
  AuditOutcome,
  AuditQuery,
  SessionRecord,
  UserRecord,
} from './store.js';

export const Username = z
  .string()
  .transform((s) => s.trim().toLowerCase())
  .pipe(
    z.string().regex(/^[a-z0-9][a-z0-9._-]{1,63}$/, {
      message: 'usernames are 2–64 characters: letters, digits, ".", "_" or "-"',
    }),
  );
export const Password = z
  .string()
  .min(12, { message: 'passwords have at least 12 characters' })
  .max(1024, { message: 'passwords have at most 1024 characters' });
export const DisplayName = z.string().trim().min(1).max(200);

/** An account's roles: one (`role`) or several (`roles`), checked together by rolesProblem. */
const RoleList = z
  .array(z.enum(ROLES))
  .min(1, { message: 'an account has at least one role' })
  .max(ROLES.length)
  .transform((r) => normaliseRoles(r))
  .superRefine((r, ctx) => {
    const problem = rolesProblem(r);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

export const NewUserInput = z
  .object({
    username: Username,
    displayName: DisplayName,
    role: z.enum(ROLES).optional(),
    roles: RoleList.optional(),
    password: Password,
  })
  .refine((u) => u.role !== undefined || u.roles !== undefined, {
    message: 'give the account a role',
    path: ['roles'],
  })
  .refine((u) => u.role === undefined || u.roles === undefined || u.roles.includes(u.role), {
    message: 'role must be one of roles',
    path: ['role'],
  })
  .transform(({ role, roles, ...u }) => ({ ...u, roles: roles ?? [role!] }));
export type NewUserInput = z.input<typeof NewUserInput>;

export const UserPatchInput = z
  .object({
    displayName: DisplayName.optional(),
    role: z.enum(ROLES).optional(),
    roles: RoleList.optional(),
    password: Password.optional(),
    disabled: z.boolean().optional(),
  })
  .strict()
  .refine((p) => Object.keys(p).length > 0, { message: 'nothing to change' })
  .refine((p) => p.role === undefined || p.roles === undefined, {
    message: 'give either role or roles',
    path: ['roles'],
  })
  .transform(({ role, roles, ...p }) => ({
    ...p,
    ...(roles !== undefined ? { roles } : role !== undefined ? { roles: [role] } : {}),
  }));
export type UserPatchInput = z.input<typeof UserPatchInput>;

/** An account's roles in the audit log: `role`, and `roles` too when it holds several. */
const roleDetails = (roles: readonly Role[]) =>
  roles.length > 1 ? { role: roles[0], roles: [...roles] } : { role: roles[0] };

function parse<S extends z.ZodType>(schema: S, raw: unknown, what: string): z.infer<S> {
  const r = schema.safeParse(raw);
  if (!r.success) throw new AccountInputError(what, zodProblems(r.error));
  return r.data;
}

/** A user as shown to clients: never the hash. */
export interface PublicUser {
  username: string;
  displayName: string;
  /** The main role (the first of `roles`). */
  role: Role;
  /** Every role the account holds; what it may do is what any of them allows (web/roles.ts). */
  roles: Role[];
  disabled: boolean;
  createdAt: number;
  updatedAt: number;
}

export const publicUser = (u: UserRecord): PublicUser => ({
  username: u.username,
  displayName: u.displayName,
  role: u.role,
  roles: [...u.roles],
  disabled: u.disabled,
  createdAt: u.createdAt,
  updatedAt: u.updatedAt,
});

/** A registered approver key as shown to clients. */
export interface PublicAccountKey {
  keyid: string;
  name: string;
  /** The account the key belongs to. */
  username: string;
  publicHex: string;
  createdAt: number;
}

const publicKeyOf = (k: AccountKeyRecord): PublicAccountKey => ({
  keyid: k.keyid,
  name: k.name,
  username: k.username,
  publicHex: k.publicHex,
  createdAt: k.createdAt,
});

const KeyId = z.string().regex(/^[0-9a-f]{64}$/, { message: 'a key id is 64 lower-case hex digits' });

/** Who is acting and from where; `sessionIdHash` is absent for the CLI. */
export interface Actor {
  user: PublicUser;
  ip: string | null;
  sessionIdHash?: string;
}

/**
 * Who an audited action is attributed to: a signed-in account, or a machine holding the ops token
 * (no account: the entry says so in its details, `via: 'ops-token'`, and keeps the caller's address).
 */
export type AuditActor = Actor | { via: 'ops-token'; ip: string | null };

export interface RequestInfo {
  ip: string;
  userAgent: string;
}

export interface LoginResult {
  /** Goes in the session cookie; only its hash is stored. */
  token: string;
  csrfToken: string;
  user: PublicUser;
  expiresAt: number;
}

export interface AuthenticatedSession {
  session: SessionRecord;
  user: PublicUser;
}

export interface AccountServiceOptions {
  /** Absolute lifetime of a session. */
  sessionTtlMs?: number;
  /** A session unused this long ends. */
  idleTimeoutMs?: number;
  /** lastSeenAt is written at most this often, to spare the database one write per request. */
  touchEveryMs?: number;
  scrypt?: ScryptParams;
}

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** Constant-time string comparison (false when lengths differ). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export class AccountService {
  private readonly sessionTtlMs: number;
  private readonly idleTimeoutMs: number;
  private readonly touchEveryMs: number;
  private readonly scrypt: ScryptParams;
  private dummyHash: Promise<string> | undefined;

  constructor(
    private readonly store: AccountStore,
    private readonly clock: Clock,
    private readonly limiter: LoginRateLimiter,
    private readonly log: Logger,
    options: AccountServiceOptions = {},
  ) {
    this.sessionTtlMs = options.sessionTtlMs ?? 12 * 3_600_000;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 30 * 60_000;
    this.touchEveryMs = options.touchEveryMs ?? 60_000;
    this.scrypt = options.scrypt ?? DEFAULT_SCRYPT_PARAMS;
  }

  get sessionLifetimeMs(): number {
    return this.sessionTtlMs;
  }

  /** Appends to the audit log; other parts of the server call this for their own actions too. */
  audit(
    actor: AuditActor | null,
    action: string,
    target: string | null,
    outcome: AuditOutcome,
    details: Record<string, unknown> = {},
    ip: string | null = actor?.ip ?? null,
  ): AuditEntry {
    const machine = actor !== null && 'via' in actor;
    return this.store.appendAudit({
      at: this.clock.now(),
      actor: actor === null || machine ? null : actor.user.username,
      action,
      target,
      ip,
      outcome,
      details: machine ? { via: actor.via, ...details } : details,
    });
  }

  async login(usernameRaw: unknown, passwordRaw: unknown, req: RequestInfo): Promise<LoginResult> {
    const username = typeof usernameRaw === 'string' ? usernameRaw.trim().toLowerCase().slice(0, 64) : '';
    const password = typeof passwordRaw === 'string' ? passwordRaw.slice(0, 1024) : '';
    const now = this.clock.now();
    const gate = this.limiter.attempt(username, req.ip, now);
    if (!gate.allowed) {
      this.audit(null, 'session.login', username || null, 'denied', { reason: 'rate-limited' }, req.ip);
      throw new RateLimitedError(gate.retryAfterMs);
    }
    const user = username ? this.store.getUserByName(username) : undefined;
    // Hash even for an unknown user so timing does not tell which usernames exist.
    this.dummyHash ??= hashPassword(randomBytes(16).toString('hex'), this.scrypt);
    const ok = await verifyPassword(password, user?.passwordHash ?? (await this.dummyHash));
    if (user && ok && !user.disabled) this.limiter.succeeded(gate.ticket, this.clock.now());
    else {
      this.audit(
        null,
        'session.login',
        username || null,
        'failed',
        {
          reason: !user ? 'unknown-user' : user.disabled ? 'disabled' : 'wrong-password',
          userAgent: req.userAgent,
        },
        req.ip,
      );
      throw new AuthFailedError('wrong username or password');
    }
    if (needsRehash(user.passwordHash, this.scrypt))
      this.store.updateUser(user.id, {
        passwordHash: await hashPassword(password, this.scrypt),
        updatedAt: now,
      });
    const token = randomBytes(32).toString('base64url');
    const session: SessionRecord = {
      idHash: hashToken(token),
      userId: user.id,
      csrfToken: randomBytes(32).toString('base64url'),
      createdAt: now,
      lastSeenAt: now,
      expiresAt: now + this.sessionTtlMs,
      ip: req.ip,
      userAgent: req.userAgent.slice(0, 512),
    };
    this.store.transaction(() => {
      this.store.deleteExpiredSessions(now, this.idleTimeoutMs);
      this.store.insertSession(session);
    });
    const pub = publicUser(user);
    this.audit({ user: pub, ip: req.ip }, 'session.login', user.username, 'ok', {
      userAgent: session.userAgent,
    });
    this.log.info('login', { user: user.username, ip: req.ip });
    return { token, csrfToken: session.csrfToken, user: pub, expiresAt: session.expiresAt };
  }

  /** The live session for a cookie token, or undefined (unknown, expired, idle, or user disabled). */
  authenticate(token: string | undefined): AuthenticatedSession | undefined {
    if (!token || token.length > 128) return undefined;
    const idHash = hashToken(token);
    const session = this.store.getSession(idHash);
    if (!session) return undefined;
    const now = this.clock.now();
    if (now >= session.expiresAt || now - session.lastSeenAt >= this.idleTimeoutMs) {
      this.store.deleteSession(idHash);
      return undefined;
    }
    const user = this.store.getUserById(session.userId);
    if (!user || user.disabled) {
      this.store.deleteSession(idHash);
      return undefined;
    }
    if (now - session.lastSeenAt >= this.touchEveryMs) {
      this.store.touchSession(idHash, now);
      session.lastSeenAt = now;
    }
    return { session, user: publicUser(user) };
  }

  logout(actor: Actor): void {
    if (actor.sessionIdHash) this.store.deleteSession(actor.sessionIdHash);
    this.audit(actor, 'session.logout', actor.user.username, 'ok');
  }

  listUsers(): PublicUser[] {
    return this.store.listUsers().map(publicUser);
  }

  async createUser(actor: Actor | null, raw: unknown): Promise<PublicUser> {
    const input = parse(NewUserInput, raw, 'invalid user');
    const passwordHash = await hashPassword(input.password, this.scrypt);
    const user = this.store.transaction(() =>
      this.store.insertUser({
        username: input.username,
        displayName: input.displayName,
        roles: input.roles,
        passwordHash,
        createdAt: this.clock.now(),
      }),
    );
    this.audit(actor, 'user.create', user.username, 'ok', {
      ...roleDetails(user.roles),
      displayName: user.displayName,
    });
    return publicUser(user);
  }

  /**
   * Creates the first admin (CLI). Refuses when an admin already exists: later admins are made by
   * an admin in the dashboard, where it is audited under their name.
   */
  async createFirstAdmin(raw: {
    username: unknown;
    displayName: unknown;
    password: unknown;
  }): Promise<PublicUser> {
    const input = parse(NewUserInput, { ...raw, role: 'admin' }, 'invalid admin');
    const passwordHash = await hashPassword(input.password, this.scrypt);
    const user = this.store.transaction(() => {
      if (this.store.countActiveAdmins() > 0)
        throw new AdminExistsError('an admin already exists; add more admins from the dashboard');
      return this.store.insertUser({
        username: input.username,
        displayName: input.displayName,
        roles: ['admin'],
        passwordHash,
        createdAt: this.clock.now(),
      });
    });
    this.audit(null, 'user.create', user.username, 'ok', { role: 'admin', via: 'cli' });
    return publicUser(user);
  }

  async updateUser(actor: Actor, usernameRaw: string, raw: unknown): Promise<PublicUser> {
    const patch = parse(UserPatchInput, raw, 'invalid change');
    const passwordHash =
      patch.password === undefined ? undefined : await hashPassword(patch.password, this.scrypt);
    const user = this.store.transaction(() => {
      const cur = this.requireUser(usernameRaw);
      const losesAdmin =
        cur.roles.includes('admin') &&
        !cur.disabled &&
        ((patch.roles && !patch.roles.includes('admin')) || patch.disabled === true);
      if (losesAdmin && this.store.countActiveAdmins() <= 1)
        throw new LastAdminError('this is the last active admin; make another admin first');
      const next = this.store.updateUser(cur.id, {
        ...(patch.displayName !== undefined && { displayName: patch.displayName }),
        ...(patch.roles !== undefined && { roles: patch.roles }),
        ...(patch.disabled !== undefined && { disabled: patch.disabled }),
        ...(passwordHash !== undefined && { passwordHash }),
        updatedAt: this.clock.now(),
      });
      // A new role, a reset password or a disabled account must not ride on old sessions.
      if (patch.roles !== undefined || patch.disabled || passwordHash !== undefined)
        this.store.deleteUserSessions(cur.id);
      return next;
    });
    const { password: _password, roles, ...shown } = patch;
    this.audit(actor, 'user.update', user.username, 'ok', {
      ...(roles !== undefined && roleDetails(roles)),
      ...shown,
      ...(passwordHash !== undefined && { passwordReset: true }),
    });
    return publicUser(user);
  }

  deleteUser(actor: Actor, usernameRaw: string): void {
    const user = this.store.transaction(() => {
      const cur = this.requireUser(usernameRaw);
      if (cur.roles.includes('admin') && !cur.disabled && this.store.countActiveAdmins() <= 1)
        throw new LastAdminError('this is the last active admin; make another admin first');
      this.store.deleteUser(cur.id);
      return cur;
    });
    this.audit(actor, 'user.delete', user.username, 'ok', roleDetails(user.roles));
  }

  /** Changes the actor's own password after checking the current one; ends their other sessions. */
  async changeOwnPassword(actor: Actor, currentRaw: unknown, nextRaw: unknown): Promise<void> {
    const user = this.requireUser(actor.user.username);
    const current = typeof currentRaw === 'string' ? currentRaw.slice(0, 1024) : '';
    // The current password is checked like a login, against the same counters.
    const ip = actor.ip ?? 'local';
    const gate = this.limiter.attempt(user.username, ip, this.clock.now());
    if (!gate.allowed) {
      this.audit(actor, 'user.password', user.username, 'denied', { reason: 'rate-limited' });
      throw new RateLimitedError(gate.retryAfterMs);
    }
    if (await verifyPassword(current, user.passwordHash))
      this.limiter.succeeded(gate.ticket, this.clock.now());
    else {
      this.audit(actor, 'user.password', user.username, 'failed', { reason: 'wrong-current-password' });
      throw new AuthFailedError('the current password is wrong');
    }
    const next = parse(Password, nextRaw, 'invalid new password');
    const passwordHash = await hashPassword(next, this.scrypt);
    this.store.transaction(() => {
      this.store.updateUser(user.id, { passwordHash, updatedAt: this.clock.now() });
      this.store.deleteUserSessions(user.id, actor.sessionIdHash);
    });
    this.audit(actor, 'user.password', user.username, 'ok');
  }

  /**
   * Registers a public key (the contents of `<name>.pub.json`, as text or parsed JSON) to the
   * actor's own account, after checking their password. A key id belongs to one account only:
   * registering another account's key is refused (KeyRegisteredError, naming that account), so one
   * person cannot be author and approver, or two approvers, with one key.
   */
  async registerKey(actor: Actor, currentRaw: unknown, publicKeyRaw: unknown): Promise<PublicAccountKey> {
    const user = this.requireUser(actor.user.username);
    const current = typeof currentRaw === 'string' ? currentRaw : '';
    if (!(await verifyPassword(current, user.passwordHash))) {
      this.audit(actor, 'key.register', user.username, 'failed', { reason: 'wrong-current-password' });
      throw new AuthFailedError('the current password is wrong');
    }
    let parsed: ReturnType<typeof parsePublicKeyFile>;
    try {
      const raw = typeof publicKeyRaw === 'string' ? (JSON.parse(publicKeyRaw) as unknown) : publicKeyRaw;
      parsed = parsePublicKeyFile(raw, 'publicKey');
    } catch (err) {
      if (!(err instanceof SyntaxError) && !isKeyFileError(err)) throw err;
      throw new AccountInputError('invalid public key', [
        {
          path: 'publicKey',
          message: `paste the contents of your <name>.pub.json (${(err as Error).message})`,
        },
      ]);
    }
    const keyid = parsed.publicKey.keyID;
    try {
      const key = this.store.transaction(() =>
        this.store.insertKey({
          keyid,
          userId: user.id,
          name: parsed.name,
          publicHex: parsed.publicKey.keyVal['public'] ?? '',
          createdAt: this.clock.now(),
        }),
      );
      this.audit(actor, 'key.register', user.username, 'ok', { keyid, name: key.name });
      return publicKeyOf(key);
    } catch (err) {
      this.audit(actor, 'key.register', user.username, 'failed', {
        keyid,
        code: (err as { code?: unknown }).code ?? 'INTERNAL',
      });
      throw err;
    }
  }

  /** The actor's own registered keys. */
  listOwnKeys(actor: Actor): PublicAccountKey[] {
    return this.store.listKeys(this.requireUser(actor.user.username).id).map(publicKeyOf);
  }

  /** Every account's registered keys (admin). */
  listAllKeys(): PublicAccountKey[] {
    return this.store.listKeys().map(publicKeyOf);
  }

  /** Removes one of the actor's own keys; KeyNotFoundError when they have no such key. */
  removeOwnKey(actor: Actor, keyidRaw: string): void {
    const keyid = parse(KeyId, keyidRaw, 'invalid key id');
    const removed = this.store.transaction(() => {
      const k = this.store.getKey(keyid);
      if (!k || k.username !== actor.user.username) return undefined;
      this.store.deleteKey(keyid);
      return k;
    });
    if (!removed) throw new KeyNotFoundError(`account "${actor.user.username}" has no key ${keyid}`);
    this.audit(actor, 'key.remove', actor.user.username, 'ok', { keyid, name: removed.name });
  }

  /** Revokes any account's key (admin); KeyNotFoundError when no account has it. */
  revokeKey(actor: Actor, keyidRaw: string): void {
    const keyid = parse(KeyId, keyidRaw, 'invalid key id');
    const removed = this.store.transaction(() => {
      const k = this.store.getKey(keyid);
      if (k) this.store.deleteKey(keyid);
      return k;
    });
    if (!removed) throw new KeyNotFoundError(`no account has key ${keyid}`);
    this.audit(actor, 'key.revoke', removed.username, 'ok', { keyid, name: removed.name });
  }

  /** The username a key id is registered to, or undefined (DraftService's KeyOwners port). */
  keyOwner(keyid: string): string | undefined {
    return this.store.getKey(keyid)?.username;
  }

  /** The key ids registered to `username` (DraftService's KeyOwners port); none for an unknown account. */
  keysOf(username: string): string[] {
    const u = this.store.getUserByName(username);
    return u ? this.store.listKeys(u.id).map((k) => k.keyid) : [];
  }

  listAudit(query: AuditQuery): AuditEntry[] {
    return this.store.listAudit(query);
  }

  private requireUser(usernameRaw: string): UserRecord {
    const u = this.store.getUserByName(usernameRaw.trim().toLowerCase());
    if (!u) throw new UserNotFoundError(`no user "${usernameRaw}"`);
    return u;
  }
}
