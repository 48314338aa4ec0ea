import { GatecastError, ProblemsError } from '../../protocol/errors.js';

/** The repository on disk is missing, not initialised, or inconsistent with a request. */
export class RepoError extends GatecastError {
  readonly code = 'TUF_REPO';
}
export const isRepoError = (e: unknown): e is RepoError => e instanceof RepoError;

export type SignatureRejection = 'unknown-key' | 'bad-signature' | 'duplicate' | 'malformed';

/** A signature offered for a draft (or for offline metadata) was refused. */
export class SignatureRejectedError extends GatecastError {
  readonly code = 'SIGNATURE_REJECTED';
  constructor(
    message: string,
    readonly reason: SignatureRejection,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
export const isSignatureRejectedError = (e: unknown): e is SignatureRejectedError =>
  e instanceof SignatureRejectedError;

/** Fewer valid signatures than the role's threshold. */
export class ThresholdError extends GatecastError {
  readonly code = 'THRESHOLD_NOT_MET';
  constructor(
    message: string,
    readonly have: number,
    readonly need: number,
  ) {
    super(message);
  }
}
export const isThresholdError = (e: unknown): e is ThresholdError => e instanceof ThresholdError;

/** A draft breaks a rule (manifest, media files, paths); `problems` names each file and rule. */
export class DraftError extends ProblemsError {
  readonly code = 'DRAFT_INVALID';
}
export const isDraftError = (e: unknown): e is DraftError => e instanceof DraftError;

export class DraftNotFoundError extends GatecastError {
  readonly code = 'DRAFT_NOT_FOUND';
}
export const isDraftNotFoundError = (e: unknown): e is DraftNotFoundError => e instanceof DraftNotFoundError;

/** The draft cannot move on in its current state (files missing, already published, stale). */
export class DraftStateError extends GatecastError {
  readonly code = 'DRAFT_STATE';
}
export const isDraftStateError = (e: unknown): e is DraftStateError => e instanceof DraftStateError;
