/**
 * The publishing API between the `gatecast draft …` CLI and the sync server (JSON over HTTP), and
 * the draft rules both sides check: the CLI before uploading, the server again on receipt.
 *
 * Routes (all under `/api/publish`; on the sync server for signed-in accounts — session cookie, and
 * `x-csrf-token` on mutating requests — on `gatecast repo serve` with a bearer token):
 * - `GET  /site-groups`                     → SiteGroupView[]
 * - `POST /drafts` CreateDraftRequest       → 201 DraftView
 * - `POST /drafts/restore` RestoreDraftRequest → 201 DraftView (a published version's content)
 * - `GET  /drafts`                          → DraftView[]
 * - `GET  /drafts/:id`                      → DraftView (with `signed`, the payload approvers sign)
 * - `GET  /drafts/:id/manifest`             → the draft's bundle.json bytes
 * - `PUT  /drafts/:id/files/<target path>`  raw bytes (application/octet-stream) → UploadResult
 * - `POST /drafts/:id/signatures` {keyid, sig, payloadSha256?} → SignResult (publishes at the threshold)
 * - `POST /drafts/:id/publish`              → PublishResult
 * - `DELETE /drafts/:id`                    → 204 (open drafts only)
 * - `POST /drafts/:id/reject` {comment}     → DraftView, sent back to its author (an approver account;
 *                                             the comment is required: 400 REJECTION_COMMENT_REQUIRED)
 * - `POST /drafts/:id/resubmit` {note?}      → DraftView, open again without signatures (its author)
 * Errors: `{ error: { code, message, problems? } }` with 400/401/403/404/409.
 */
import { z } from 'zod';
import {
  BUNDLE_MANIFEST_NAME,
  type BundleManifest,
  bundleManifestProblems,
  type MediaReference,
  mediaReferences,
  parseBundleManifest,
  SiteGroupId,
  targetPathProblem,
} from './content.js';
import type { Problem } from './errors.js';
import { describeJsonSyntaxError, parseJsonText } from './json-text.js';

export const PUBLISH_API_PREFIX = '/api/publish';

/** How deep target paths may go below a site group (tuf-js path patterns are matched per segment). */
export const MAX_TARGET_DEPTH = 8;
/** Largest single media file accepted in a draft. */
export const MAX_DRAFT_FILE_BYTES = 2 * 1024 * 1024 * 1024;
/** Keeps a draft request (manifest + file list) under the server's 1 MiB JSON body limit. */
export const MAX_DRAFT_FILES = 2000;

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, { message: 'sha256 must be 64 lower-case hex digits' });

/** The longest author's note and rejection comment. */
export const MAX_DRAFT_NOTE_CHARS = 2000;

/** An approver sent a draft back to its author: who, when, why, and how many signatures it voided. */
export const DraftRejection = z.object({
  by: z.string(),
  at: z.string(),
  comment: z.string(),
  voidedSignatures: z.number().int().min(0),
});
export type DraftRejection = z.infer<typeof DraftRejection>;

export const DraftFile = z.object({
  path: z.string().min(1).max(512),
  length: z.number().int().min(0).max(MAX_DRAFT_FILE_BYTES),
  sha256: Sha256,
});
export type DraftFile = z.infer<typeof DraftFile>;

export const CreateDraftRequest = z.object({
  siteGroup: SiteGroupId,
  /** The exact text of bundle.json (its bytes are what gets signed). */
  manifest: z
    .string()
    .min(2)
    .max(4 * 1024 * 1024),
  /** Every media file the manifest references, with its length and sha256. */
  files: z.array(DraftFile).max(MAX_DRAFT_FILES),
  /**
   * The version on air the manifest was made from (default: the one on air now). A draft made from
   * an older version is refused (409 DRAFT_BASE_STALE, with what the newer version changed).
   */
  basedOnVersion: z.number().int().min(0).optional(),
  /** The author's note to the approvers (why, what to look at); shown beside the draft. */
  note: z.string().max(MAX_DRAFT_NOTE_CHARS).optional(),
});
export type CreateDraftRequest = z.infer<typeof CreateDraftRequest>;

/**
 * A new draft whose content is a published version's (`POST /drafts/restore`): its bundle.json and
 * media as they were at `version`, made from the version on air now, approved like any draft.
 */
export const RestoreDraftRequest = z.object({
  siteGroup: SiteGroupId,
  /** The published version whose content the draft brings back. */
  version: z.number().int().min(1),
  /** The author's note to the approvers (what the restore brings back is kept beside it: `restored`). */
  note: z
    .string()
    .max(MAX_DRAFT_NOTE_CHARS / 2)
    .optional(),
});
export type RestoreDraftRequest = z.infer<typeof RestoreDraftRequest>;

/**
 * What a restored draft brings back, as data (each client says it in its reader's language): the
 * version restored, the version on air when it was made, and the emergency messages of that version
 * dropped (expired, or ended since) or kept (on air now, not in that version).
 */
export const DraftRestore = z.object({
  version: z.number().int().min(1),
  onAirVersion: z.number().int().min(0),
  expired: z.array(z.string()).default([]),
  ended: z.array(z.string()).default([]),
  kept: z.array(z.string()).default([]),
});
export type DraftRestore = z.infer<typeof DraftRestore>;

/** A DraftRestore in English, for the CLI and logs. */
export function restoreSummary(siteGroup: string, r: DraftRestore): string {
  return [
    `Restores version ${r.version} of "${siteGroup}" (version ${r.onAirVersion} is on air).`,
    ...(r.expired.length ? [`Expired emergency messages dropped: ${r.expired.join(', ')}.`] : []),
    ...(r.ended.length ? [`Ended emergency messages dropped: ${r.ended.join(', ')}.`] : []),
    ...(r.kept.length ? [`Emergency messages on air now kept: ${r.kept.join(', ')}.`] : []),
  ].join(' ');
}

/** An approver sends a draft back (`POST /drafts/:id/reject`); DraftService requires the comment. */
export const RejectDraftRequest = z.object({ comment: z.string().max(MAX_DRAFT_NOTE_CHARS) });
export type RejectDraftRequest = z.infer<typeof RejectDraftRequest>;

/** Its author sends a rejected draft back for approval (`POST /drafts/:id/resubmit`). */
export const ResubmitDraftRequest = z.object({ note: z.string().max(MAX_DRAFT_NOTE_CHARS).optional() });
export type ResubmitDraftRequest = z.infer<typeof ResubmitDraftRequest>;

export const SignatureUpload = z.object({
  keyid: Sha256,
  sig: z.string().min(1).max(1024),
  /**
   * SHA-256 of the exact bytes signed (the canonical payload the approver was shown); the server
   * refuses the signature (409 DRAFT_PAYLOAD_CHANGED) when the draft's payload is no longer that.
   */
  payloadSha256: Sha256.optional(),
});
export type SignatureUpload = z.infer<typeof SignatureUpload>;

/**
 * `open`: taking signatures; `rejected`: sent back to its author with a comment, no signature
 * counts until the author resubmits it (which reopens it with no signatures); `published`.
 */
export const DraftStatus = z.enum(['open', 'rejected', 'published']);

/** A media file's type ("PNG", "H264/AAC MP4") and size in pixels, when the record kept them. */
const MEDIA_FACTS = {
  type: z.string().optional(),
  width: z.number().int().optional(),
  height: z.number().int().optional(),
};

/**
 * Why an unpublished draft is out of date (DraftService: one rule for the dashboard, the API and the
 * CLI): it was made from version `basedOnVersion` while `onAirVersion` (newer) is on air, and/or
 * it carries emergencies that are no longer on air (expired or ended early).
 */
export const DraftStale = z.object({
  basedOnVersion: z.number().int(),
  onAirVersion: z.number().int(),
  /** The draft's emergency messages that are no longer on air. */
  endedEmergencies: z.array(z.string()),
});
export type DraftStale = z.infer<typeof DraftStale>;

export const DraftView = z.object({
  id: z.string(),
  siteGroup: z.string(),
  status: DraftStatus,
  createdAt: z.string(),
  /** The role version this draft becomes when published. */
  version: z.number().int(),
  label: z.string().optional(),
  threshold: z.number().int(),
  approverKeyIds: z.array(z.string()),
  signedBy: z.array(z.string()),
  /** Each signature: key, when, and the account that posted it (when it came through a session). */
  signatures: z.array(z.object({ keyid: z.string(), at: z.string(), by: z.string().optional() })).default([]),
  /** The account that created the draft, when it came through a session. */
  createdBy: z.string().optional(),
  files: z.array(DraftFile.extend({ present: z.boolean() })),
  /** Paths still to upload. */
  missing: z.array(z.string()),
  /** The `signed` part of the role's next metadata: approvers sign its canonical JSON. */
  signed: z.record(z.string(), z.unknown()),
  publishedAt: z.string().optional(),
  /** `emergency`: an emergency message change with its own approval deadline. */
  kind: z.enum(['content', 'emergency']).default('content'),
  /** The version on air the draft was made from. */
  basedOnVersion: z.number().int().optional(),
  /** Emergency drafts: signatures and publication are refused after this instant. */
  approveBy: z.string().optional(),
  /** The author's note to the approvers. */
  note: z.string().optional(),
  /** A draft made by restoring a published version: which, and what became of its emergency messages. */
  restored: DraftRestore.optional(),
  /** Every time the draft was sent back, oldest first (the last one is why a rejected draft is). */
  rejections: z.array(DraftRejection).default([]),
  /** Set when the unpublished draft is out of date (see DraftStale). */
  stale: DraftStale.optional(),
  /**
   * Each uploaded media file: what the author sent and what normalisation made of it for the screens
   * ("3840×2160 PNG, 14.2 MB" → "1920×1080 PNG, 1.1 MB"); the draft's target is the normalised file.
   */
  media: z
    .array(
      z.object({
        path: z.string(),
        original: z.object({
          length: z.number().int(),
          sha256: z.string(),
          description: z.string(),
          ...MEDIA_FACTS,
        }),
        normalised: z
          .object({ length: z.number().int(), sha256: z.string(), description: z.string(), ...MEDIA_FACTS })
          .optional(),
        action: z.string(),
      }),
    )
    .optional(),
  /** Media checks and normalisations running or finished since the server started (progress 0..1). */
  jobs: z
    .array(
      z.object({
        path: z.string(),
        state: z.enum(['checking', 'normalising', 'done', 'failed']),
        progress: z.number(),
        message: z.string().optional(),
      }),
    )
    .optional(),
});
export type DraftView = z.infer<typeof DraftView>;

export const UploadResult = z.object({
  path: z.string(),
  length: z.number().int(),
  missing: z.array(z.string()),
});
export type UploadResult = z.infer<typeof UploadResult>;

export const PublishResult = z.object({
  id: z.string(),
  siteGroup: z.string(),
  version: z.number().int(),
  targets: z.number().int(),
  newFiles: z.number().int(),
});
export type PublishResult = z.infer<typeof PublishResult>;

/**
 * The answer to a signature: the draft after it, and whether it went on air. A draft publishes when
 * a signature meets the threshold and every file is present, from whichever client gives it.
 */
export const SignResult = DraftView.extend({
  /** The key the signature verified with. */
  keyid: z.string(),
  /** Set when this signature met the threshold and the draft went on air. */
  published: PublishResult.nullable(),
  /** Why a draft at its threshold did not go on air (e.g. DRAFT_BASE_STALE). */
  publishProblem: z.object({ code: z.string(), message: z.string() }).optional(),
});
export type SignResult = z.infer<typeof SignResult>;

export const SiteGroupView = z.object({
  siteGroup: z.string(),
  role: z.string(),
  threshold: z.number().int(),
  keyIds: z.array(z.string()),
  version: z.number().int(),
});
export type SiteGroupView = z.infer<typeof SiteGroupView>;

export const ApiErrorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    problems: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
});

/**
 * Why a target path cannot belong to a site group, or undefined. On top of the content model's
 * rules: inside the group, not too deep, no segment starting with "." (a delegation's `*` does not
 * match such names, so the target would be unreachable).
 */
export function siteGroupTargetProblem(siteGroup: string, path: string): string | undefined {
  const base = targetPathProblem(path);
  if (base) return base;
  if (!path.startsWith(`${siteGroup}/`)) return `target "${path}" lies outside site group "${siteGroup}/"`;
  const below = path.slice(siteGroup.length + 1).split('/');
  if (below.length > MAX_TARGET_DEPTH)
    return `target "${path}" is ${below.length} levels below the site group; at most ${MAX_TARGET_DEPTH} allowed`;
  if (path.split('/').some((s) => s.startsWith('.')))
    return `target "${path}" has a segment starting with "."`;
  if (path.split('/').some((s) => s.length > 200))
    return `target "${path}" has a segment longer than 200 characters`;
  return undefined;
}

/** Where a media reference sits, as checkDraft names it: `items.<id>.variants.<lang>.<role>`. */
function draftRefPath(manifestName: string, ref: MediaReference, raw: unknown): string {
  const [, index, , lang] = ref.path;
  const item = (raw as { items: unknown[] }).items[index as number] as { id?: unknown };
  const name = typeof item.id === 'string' && item.id ? item.id : `[${String(index)}]`;
  return `${manifestName}:items.${name}.variants.${String(lang)}.${ref.role}`;
}

/**
 * Every problem of a manifest's text as the manifest of `siteGroup` (or of the site group it names):
 * JSON syntax (with line and column), the content model and its references, the site group, and
 * each media target's path rules. Everything is reported at once, also when the model refuses
 * the manifest. Paths name the file: `bundle.json:schedule.timezone`.
 */
export function checkManifestText(
  siteGroup: string | undefined,
  manifestText: string,
  manifestName = BUNDLE_MANIFEST_NAME,
): { problems: Problem[]; raw?: unknown; manifest?: BundleManifest } {
  const json = parseJsonText(manifestText);
  if (!json.ok) return { problems: [{ path: manifestName, message: describeJsonSyntaxError(json.error) }] };
  const raw = json.value;
  const problems: Problem[] = bundleManifestProblems(raw).map((p) => ({
    path: `${manifestName}:${p.path}`,
    message: p.message,
  }));
  const named = (raw as { siteGroup?: unknown } | null)?.siteGroup;
  if (siteGroup !== undefined && typeof named === 'string' && named !== siteGroup)
    problems.push({
      path: `${manifestName}:siteGroup`,
      message: `manifest is for site group "${named}", the draft is for "${siteGroup}"`,
    });
  const group = siteGroup ?? (typeof named === 'string' ? named : undefined);
  if (group !== undefined) {
    // The content model has already named the paths it refuses ("must be relative") and the
    // targets outside the group the manifest names.
    const seen = new Set(problems.map((p) => p.message));
    for (const ref of mediaReferences(raw)) {
      if (group === named && !ref.target.startsWith(`${group}/`)) continue;
      const why = siteGroupTargetProblem(group, ref.target);
      if (why && !seen.has(why)) problems.push({ path: draftRefPath(manifestName, ref, raw), message: why });
    }
  }
  if (problems.length) return { problems, raw };
  return { problems, raw, manifest: parseBundleManifest(raw) };
}

/**
 * Checks a draft: the manifest (checkManifestText) and every media target it references against
 * the files supplied, and every file against the path rules. Returns the parsed manifest and every
 * problem found (paths name the file: `bundle.json:items.logo.variants.vi.src`,
 * `media file kien-giang/ha-tien/media/a.png`).
 */
export function checkDraft(
  siteGroup: string,
  manifestText: string,
  files: readonly DraftFile[],
  manifestName = BUNDLE_MANIFEST_NAME,
): { problems: Problem[]; manifest?: BundleManifest } {
  const { problems, raw, manifest } = checkManifestText(siteGroup, manifestText, manifestName);
  const byPath = new Map<string, DraftFile>();
  const reserved = `${siteGroup}/${BUNDLE_MANIFEST_NAME}`;
  for (const f of files) {
    const where = `media file ${f.path}`;
    const why = siteGroupTargetProblem(siteGroup, f.path);
    if (why) problems.push({ path: where, message: why });
    else if (f.path === reserved)
      problems.push({ path: where, message: `"${reserved}" is the bundle manifest's own target name` });
    if (byPath.has(f.path)) problems.push({ path: where, message: 'listed twice' });
    byPath.set(f.path, f);
  }
  if (raw === undefined) return { problems };
  const refs = mediaReferences(raw);
  const reported = new Set<string>();
  for (const ref of refs) {
    if (siteGroupTargetProblem(siteGroup, ref.target) || byPath.has(ref.target)) continue;
    const path = draftRefPath(manifestName, ref, raw);
    if (reported.has(`${path}\n${ref.target}`)) continue;
    reported.add(`${path}\n${ref.target}`);
    problems.push({ path, message: `media file "${ref.target}" is referenced but not in the draft` });
  }
  const referenced = new Set(refs.map((r) => r.target));
  for (const f of files)
    if (!referenced.has(f.path))
      problems.push({ path: `media file ${f.path}`, message: 'not referenced by any item of the manifest' });
  return manifest ? { problems, manifest } : { problems };
}
