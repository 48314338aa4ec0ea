/** Errors of the release rollout, each with a stable code (the HTTP status is web/errors.ts's). */
import { coded } from '../../protocol/errors.js';

/** A rollout definition that cannot run: no canaries first, an empty stage, a bad percentage, an unknown screen. */
export class RolloutInvalidError extends coded('ROLLOUT_INVALID') {}
/** The version is not one the TUF `releases` role lists: nothing is offered. */
export class ReleaseNotPublishedError extends coded('RELEASE_NOT_PUBLISHED') {}
/** No rollout with that id. */
export class RolloutNotFoundError extends coded('ROLLOUT_NOT_FOUND') {}
/** The action does not apply to the rollout as it stands (resume a running one, abort a finished one, …). */
export class RolloutStateError extends coded('ROLLOUT_STATE') {}
/** A rollout is already under way (running, paused or halted): one at a time. */
export class RolloutActiveError extends coded('ROLLOUT_ACTIVE') {}
/** Advancing by hand while screens of the current stage have not settled (committed, or a failure accepted). */
export class RolloutStageUnsettledError extends coded('ROLLOUT_STAGE_UNSETTLED') {}
