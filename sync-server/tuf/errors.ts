import { coded, GatecastError, ProblemsError } from '../../protocol/errors.js';
import { type MergeRef, refKey, type ThreeWayDiff, threeWayLines } from '../../protocol/manifest-merge.js';

/** The repository on disk is missing, not initialised, or inconsistent with a request. */
export class RepoError extends coded('TUF_REPO') {}

export type SignatureRejection = 'unknown-key' | 'bad-signature' | 'duplicate' | 'malformed';

/** A signature offered for a draft (or for offline metadata) was refused. */
export class SignatureRejectedError extends coded('SIGNATURE_REJECTED') {
  constructor(
    message: string,
    readonly reason: SignatureRejection,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Fewer valid signatures than the role's threshold. */
export class ThresholdError extends coded('THRESHOLD_NOT_MET') {
  constructor(
    message: string,
    readonly have: number,
    readonly need: number,
  ) {
    super(message);
  }
}

/** A draft breaks a rule (manifest, media files, paths); `problems` names each file and rule. */
export class DraftError extends coded('DRAFT_INVALID', ProblemsError) {}

export class DraftNotFoundError extends coded('DRAFT_NOT_FOUND') {}

/** The draft cannot move on in its current state (files missing, already published, stale). */
/** The site group never published that version (or it listed no bundle). */
export class VersionNotFoundError extends coded('VERSION_NOT_FOUND') {}

export class DraftStateError extends coded('DRAFT_STATE') {}
export const isDraftStateError = (e: unknown): e is DraftStateError => e instanceof DraftStateError;

/**
 * A draft (or workspace) was made from a version that is no longer on air: submitted or published
 * as it is, it would undo what the newer version changed. The answer carries the three-way
 * difference; the author rebases (an explicit action) or starts again from the version on air.
 */
export class DraftBaseStaleError extends GatecastError {
  readonly code = 'DRAFT_BASE_STALE';
  constructor(
    message: string,
    readonly difference: ThreeWayDiff,
    readonly messages?: (lang: string) => string | undefined,
  ) {
    super(`${message}\n${threeWayLines(difference).join('\n')}`);
  }
  details(): Record<string, unknown> {
    return { difference: this.difference };
  }
  messageIn(lang: string): string | undefined {
    return this.messages?.(lang);
  }
}

/**
 * A draft carries an emergency message that is no longer on air (expired or ended early): sent
 * for approval or published as it is, it would bring that message back. Its author rebases it on
 * the version on air (which drops the message) or discards it.
 */
export class DraftEmergencyNotOnAirError extends GatecastError {
  readonly code = 'DRAFT_EMERGENCY_NOT_ON_AIR';
  constructor(
    message: string,
    readonly emergencies: readonly string[],
  ) {
    super(message);
  }
  details(): Record<string, unknown> {
    return { emergencies: this.emergencies };
  }
}

/**
 * A draft's rebase found entries changed both in it and on air that the author's choices do not
 * settle; nothing was changed. Carries the difference and what is left to choose.
 */
export class DraftRebaseConflictError extends GatecastError {
  readonly code = 'REBASE_CONFLICT';
  constructor(
    message: string,
    readonly difference: ThreeWayDiff,
    readonly unresolved: MergeRef[],
    readonly messages?: (lang: string) => string | undefined,
  ) {
    super(`${message}: choose for each: ${unresolved.map(refKey).join(', ')}`);
  }
  details(): Record<string, unknown> {
    return { difference: this.difference, unresolved: this.unresolved };
  }
  messageIn(lang: string): string | undefined {
    return this.messages?.(lang);
  }
}
