/** Errors of the authoring side (workspaces, the media store, submission), each with a stable code. */
import { coded, GatecastError, type Problem } from '../../protocol/errors.js';
import type { MergeRef, ThreeWayDiff } from '../../protocol/manifest-merge.js';
import { isDashboardLanguage } from '../dashboard/language.js';
import { type MediaFileRefusal, refusalLine, refusalReason } from './media-refusals.js';
import { authoringTexts } from './texts.js';

/** No emergency message (or emergency draft) of that id, or not where it was looked for. */
export class EmergencyNotFoundError extends coded('EMERGENCY_NOT_FOUND') {}

/** The request or the workspace's manifest breaks a rule; `problems` names every one. */
export class ContentWorkflowError extends coded('CONTENT_INVALID') {
  constructor(
    message: string,
    readonly problems: Problem[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A save named a workspace revision that is no longer the current one. */
export class WorkspaceStaleError extends coded('WORKSPACE_STALE') {
  constructor(
    message: string,
    readonly currentRevision: number,
  ) {
    super(message);
  }
  /** The answer names the current revision: the page offers to reload it. */
  details(): Record<string, unknown> {
    return { currentRevision: this.currentRevision };
  }
}

/** A media upload was refused (name, size, empty, not sent as raw bytes); nothing was stored. */
export class MediaRejectedError extends GatecastError {
  constructor(
    readonly code: 'MEDIA_NAME_INVALID' | 'MEDIA_TOO_LARGE' | 'MEDIA_EMPTY' | 'MEDIA_TYPE',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Media files refused by their content, every one at once; nothing was stored (an upload) and no
 * draft was made (a submission). `files` lists each with its code, name, what its bytes are and where
 * it is used; the message says them in the asked language. An upload answers with its file's own
 * code (MEDIA_TYPE_MISMATCH, …); a submission with MEDIA_REFUSED.
 */
export class MediaRefusedError extends GatecastError {
  constructor(
    readonly code: string,
    readonly files: MediaFileRefusal[],
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
  details(): Record<string, unknown> {
    return { files: this.files };
  }
  messageIn(lang: string): string | undefined {
    if (!isDashboardLanguage(lang)) return undefined;
    if (this.code !== 'MEDIA_REFUSED' && this.files.length === 1) return refusalReason(lang, this.files[0]!);
    return [
      authoringTexts.text(lang, 'media.refusedAll', { count: this.files.length }),
      ...this.files.map((f) => refusalLine(lang, f)),
    ].join('\n');
  }
}
export const isMediaRefusedError = (e: unknown): e is MediaRefusedError => e instanceof MediaRefusedError;

/** No such media file in the store. */
export class MediaNotFoundError extends coded('MEDIA_NOT_FOUND') {}

/**
 * The file's bytes are not of a type the page may show that way (not an image or video to show
 * inline, or binary asked for as a page), whatever its name says.
 */
export class MediaNotViewableError extends coded('MEDIA_NOT_VIEWABLE') {}

/** The site group is not delegated in the TUF repository. */
export class SiteGroupUnknownError extends coded('SITE_GROUP_UNKNOWN') {}

export const isWorkspaceStaleError = (e: unknown): e is WorkspaceStaleError =>
  e instanceof WorkspaceStaleError;
export const isMediaRejectedError = (e: unknown): e is MediaRejectedError => e instanceof MediaRejectedError;

/** A rebase found entries both sides changed that the author's choices do not settle; nothing was saved. */
export class RebaseConflictError extends GatecastError {
  readonly code = 'REBASE_CONFLICT';
  constructor(
    message: string,
    readonly difference: ThreeWayDiff,
    readonly unresolved: MergeRef[],
  ) {
    super(message);
  }
  details(): Record<string, unknown> {
    return { difference: this.difference, unresolved: this.unresolved };
  }
  messageIn(lang: string): string | undefined {
    return isDashboardLanguage(lang)
      ? authoringTexts.text(lang, 'base.conflict', { count: this.unresolved.length })
      : undefined;
  }
}

/** The refusal of a workspace made from a version no longer on air, in the dashboard's words. */
export function staleBaseMessage(d: ThreeWayDiff): (lang: string) => string | undefined {
  return (lang) =>
    !isDashboardLanguage(lang)
      ? undefined
      : d.basedOnVersion === null
        ? authoringTexts.text(lang, 'base.unknown', { onAir: d.onAirVersion })
        : authoringTexts.text(lang, 'base.stale', { base: d.basedOnVersion, onAir: d.onAirVersion });
}

/** The refusal of a draft's rebase that leaves `count` choices to make, in the dashboard's words. */
export function rebaseConflictMessage(count: number): (lang: string) => string | undefined {
  return (lang) =>
    isDashboardLanguage(lang) ? authoringTexts.text(lang, 'base.conflict', { count }) : undefined;
}
