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
  'reports.view',
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
  ]),
  author: new Set<Action>([...READ, 'content.edit', 'draft.submit', 'emergency.create']),
  approver: new Set<Action>([...READ, 'draft.approve', 'emergency.approve']),
  viewer: new Set<Action>(READ),
});

export function isRole(v: unknown): v is Role {
  return typeof v === 'string' && (ROLES as readonly string[]).includes(v);
}

export function isAction(v: unknown): v is Action {
  return typeof v === 'string' && (ACTIONS as readonly string[]).includes(v);
}

/** Whether `role` may perform `action`. Unknown roles may do nothing. */
export function isAllowed(role: string, action: Action): boolean {
  return isRole(role) && PERMISSIONS[role].has(action);
}
