/**
 * Roles and what each may do. The table is the single source of truth for authorisation: every
 * route declares one action, and access-control.ts lets a request through only when
 * `isAllowed(role, action)`.
 */

export const ROLES = ['admin', 'operator', 'author', 'approver', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export const ACTIONS = [
  /** whoami, logout, own password: every signed-in user. */
  'session.self',
  /** The API's OpenAPI document and its page: every signed-in user. */
  'api.docs',
  'fleet.view',
  'device.command',
  /** Enrolment tokens and screens: create, revoke, rename, move, retire. */
  'fleet.manage',
  'alerts.view',
  'alerts.acknowledge',
  /** gatecast releases on screens and their rollouts: read. */
  'releases.view',
  /** Start, pause, resume, abort and advance a rollout of a gatecast release. */
  'releases.manage',
  'content.view',
  'content.edit',
  'draft.submit',
  'draft.approve',
  'emergency.create',
  'emergency.approve',
  /**
   * End an emergency on air early with the end secret its approvers agreed to (docs/drafts.md §7):
   * takes a signed emergency off the screens, never puts anything on them.
   */
  'emergency.end',
  /** The emergency page: those who create emergencies or end them early (each sees what they may do). */
  'emergency.view',
  'reports.view',
  /** Start or cancel a re-audit of all stored proof of play (reports/reaudit.ts). */
  'reports.reaudit',
  'users.manage',
  'audit.view',
  'settings.manage',
  'backup.run',
] as const;
export type Action = (typeof ACTIONS)[number];

const READ: Action[] = [
  'session.self',
  'api.docs',
  'fleet.view',
  'alerts.view',
  'releases.view',
  'content.view',
  'reports.view',
];

/**
 * Admins run the system but do not approve content or emergencies: approval is the second pair of
 * eyes and must come from an approver, so one admin account can never publish alone.
 */
export const PERMISSIONS: Readonly<Record<Role, ReadonlySet<Action>>> = Object.freeze({
  admin: new Set<Action>(ACTIONS.filter((a) => a !== 'draft.approve' && a !== 'emergency.approve')),
  operator: new Set<Action>([
    ...READ,
    'device.command',
    'fleet.manage',
    'alerts.acknowledge',
    'releases.manage',
    'emergency.create',
    'emergency.end',
    'emergency.view',
    'reports.reaudit',
  ]),
  author: new Set<Action>([...READ, 'content.edit', 'draft.submit', 'emergency.create', 'emergency.view']),
  approver: new Set<Action>([
    ...READ,
    'draft.approve',
    'emergency.approve',
    'emergency.end',
    'emergency.view',
  ]),
  viewer: new Set<Action>(READ),
});

export function isRole(v: unknown): v is Role {
  return typeof v === 'string' && (ROLES as readonly string[]).includes(v);
}

export function isAction(v: unknown): v is Action {
  return typeof v === 'string' && (ACTIONS as readonly string[]).includes(v);
}

/** The actions that put content on air: an account holding the admin role never performs them. */
const APPROVAL_ACTIONS: ReadonlySet<Action> = new Set<Action>(['draft.approve', 'emergency.approve']);

/**
 * Whether an account with `roles` (one role, or the several an account may hold) may perform
 * `action`: any of its roles allows it, except that an account holding the admin role never
 * approves (one admin account can never publish alone, whatever else it holds). Unknown roles may
 * do nothing.
 */
export function isAllowed(roles: string | readonly string[], action: Action): boolean {
  const list = typeof roles === 'string' ? [roles] : roles;
  if (APPROVAL_ACTIONS.has(action) && list.includes('admin')) return false;
  return list.some((r) => isRole(r) && PERMISSIONS[r].has(action));
}

/**
 * Why a set of roles cannot be one account's, or undefined: at least one role, and never admin
 * together with approver (admin never signs; the combination would only hide that).
 */
export function rolesProblem(roles: readonly string[]): string | undefined {
  if (!roles.length) return 'an account has at least one role';
  const unknown = roles.filter((r) => !isRole(r));
  if (unknown.length) return `unknown role(s): ${unknown.join(', ')}`;
  if (roles.includes('admin') && roles.includes('approver'))
    return 'an admin account may not also be an approver: admins never sign';
  return undefined;
}

/** `roles` without repeats, in the table's order (the first is the account's main role). */
export function normaliseRoles(roles: readonly Role[]): Role[] {
  return ROLES.filter((r) => roles.includes(r));
}
