/**
 * The rules a draft signature must pass besides its bytes (pure): the two-person rule (the
 * creator may not sign, no account signs twice), whose key it is, and an emergency draft's
 * approval deadline.
 */
import { z } from 'zod';
import { coded, GatecastError } from '../../protocol/errors.js';

export const DraftKind = z.enum(['content', 'emergency']);
export type DraftKind = z.infer<typeof DraftKind>;

/** The draft's creator tried to sign it: approval is always a second pair of eyes. */
export class SignerIsCreatorError extends coded('SIGNER_IS_CREATOR') {}
/** An account holding the admin role tried to sign: admins run the system, they never approve. */
export class AdminMayNotSignError extends coded('ADMIN_MAY_NOT_SIGN') {}
/** One account signed twice (even with another key): the threshold counts people, not keys. */
export class SignerRepeatedError extends coded('SIGNER_REPEATED') {}
/** An emergency draft was not approved within its window; create a new one. */
export class EmergencyDraftExpiredError extends coded('EMERGENCY_DRAFT_EXPIRED') {}
/** A signature from an account whose key is not registered to that account. */
export class KeyNotRegisteredError extends coded('KEY_NOT_REGISTERED') {}

/** Which account an approver key is registered to (the accounts database; AccountService.keyOwner). */
export interface KeyOwners {
  keyOwner(keyid: string): string | undefined;
  /** The key ids registered to an account (none: an empty list). */
  keysOf(username: string): string[];
}

/**
 * Whether account `by` may sign draft `d` with key `keyid` (pure): a key registered to the draft's
 * creator never counts (the same person through another account), and otherwise the key must be
 * registered to `by` itself.
 */
export function keyRefusal(
  d: Pick<SigningState, 'id' | 'createdBy'>,
  keyid: string,
  by: string,
  owner: string | undefined,
  /** The keys registered to `by`, named in the refusal so the approver sees which key is theirs. */
  ownKeys: readonly string[] = [],
): GatecastError | undefined {
  if (owner !== undefined && owner === d.createdBy && owner !== by)
    return new SignerIsCreatorError(
      `key ${keyid} is registered to ${owner}, who created draft ${d.id}; it may not approve it`,
    );
  if (owner !== by)
    return new KeyNotRegisteredError(
      `the key used, ${keyid}${owner === undefined ? ' (registered to no account)' : ` (registered to ${owner})`}, is not account ${by}'s: ${
        ownKeys.length
          ? `${by}'s registered approver key is ${ownKeys.join(', ')}; sign with that key`
          : `${by} has no registered approver key; register your own with "gatecast keys register"`
      }`,
    );
  return undefined;
}

/** What the signing rules look at. */
export interface SigningState {
  id: string;
  kind: DraftKind;
  createdBy?: string | undefined;
  approveBy?: string | undefined;
  signatures: readonly { by?: string | undefined }[];
}

/**
 * The rules an account's signature must pass before its bytes are even checked (pure):
 * an emergency draft past its deadline takes no signature; with an account (`by`), its creator may
 * not sign, and no account signs twice. Signatures without an account (bearer token, local repo)
 * are judged by their key alone.
 */
export function signingRefusal(
  d: SigningState,
  by: string | undefined,
  nowMs: number,
  /** The signing account's roles (an account may hold several). */
  byRoles: readonly string[] = [],
): GatecastError | undefined {
  const expired = deadlinePassed(d, nowMs);
  if (expired) return expired;
  if (by === undefined) return undefined;
  if (byRoles.includes('admin'))
    return new AdminMayNotSignError(
      `${by} holds the admin role and may not approve draft ${d.id}: admins never sign`,
    );
  if (d.createdBy !== undefined && d.createdBy === by)
    return new SignerIsCreatorError(`${by} created draft ${d.id} and may not also approve it`);
  if (d.signatures.some((s) => s.by === by))
    return new SignerRepeatedError(`${by} has already signed draft ${d.id}; a second approver must sign`);
  return undefined;
}

/** EmergencyDraftExpiredError when `d` is an emergency draft whose approval window has closed. */
export function deadlinePassed(
  d: Pick<SigningState, 'id' | 'kind' | 'approveBy'>,
  nowMs: number,
): EmergencyDraftExpiredError | undefined {
  if (d.kind !== 'emergency' || d.approveBy === undefined) return undefined;
  if (nowMs <= Date.parse(d.approveBy)) return undefined;
  return new EmergencyDraftExpiredError(
    `emergency draft ${d.id} had to be approved by ${d.approveBy}; create a new emergency message`,
  );
}
