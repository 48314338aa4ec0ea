/**
 * The publishing API between the `gatecast draft …` CLI and the sync server (JSON over HTTP), and
 * the draft rules both sides check: the CLI before uploading, the server again on receipt.
 *
 * Routes (all under `/api/publish`; on the sync server for signed-in accounts — session cookie, and
 * `x-csrf-token` on mutating requests — on `gatecast repo serve` with a bearer token):
 * - `GET  /site-groups`                     → SiteGroupView[]
 * - `POST /drafts` CreateDraftRequest       → 201 DraftView
 * - `GET  /drafts`                          → DraftView[]
 * - `GET  /drafts/:id`                      → DraftView (with `signed`, the payload approvers sign)
 * - `GET  /drafts/:id/manifest`             → the draft's bundle.json bytes
 * - `PUT  /drafts/:id/files/<target path>`  raw bytes (application/octet-stream) → UploadResult
 * - `POST /drafts/:id/signatures` {keyid, sig, payloadSha256?} → DraftView
 * - `POST /drafts/:id/publish`              → PublishResult
 * - `DELETE /drafts/:id`                    → 204 (open drafts only)
 * Errors: `{ error: { code, message, problems? } }` with 400/401/403/404/409.
 */
import { z } from 'zod';
import {
  BUNDLE_MANIFEST_NAME,
  mediaTargets,
  parseBundleManifest,
  SiteGroupId,
  targetPathProblem,
} from './content.js';
import { ContentError, type Problem } from './errors.js';

export const PUBLISH_API_PREFIX = '/api/publish';

/** How deep target paths may go below a site group (tuf-js path patterns are matched per segment). */
export const MAX_TARGET_DEPTH = 8;
/** Largest single media file accepted in a draft. */
export const MAX_DRAFT_FILE_BYTES = 2 * 1024 * 1024 * 1024;
/** Keeps a draft request (manifest + file list) under the server's 1 MiB JSON body limit. */
export const MAX_DRAFT_FILES = 2000;

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, { message: 'sha256 must be 64 lower-case hex digits' });

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
});
export type CreateDraftRequest = z.infer<typeof CreateDraftRequest>;

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

export const DraftStatus = z.enum(['open', 'published']);

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
  /** Emergency drafts: signatures and publication are refused after this instant. */
  approveBy: z.string().optional(),
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

/**
 * Checks a draft: the manifest against the content model and the site group, every media target it
 * references against the files supplied, and every file against the path rules. Returns the parsed
 * manifest and every problem found (paths name the file: `bundle.json:items.[2].variants.vi.src`,
 * `media file kien-giang/ha-tien/media/a.png`).
 */
export function checkDraft(
  siteGroup: string,
  manifestText: string,
  files: readonly DraftFile[],
  manifestName = BUNDLE_MANIFEST_NAME,
): { problems: Problem[]; manifest?: ReturnType<typeof parseBundleManifest> } {
  const problems: Problem[] = [];
  let raw: unknown;
  try {
    raw = JSON.parse(manifestText);
  } catch (err) {
    return { problems: [{ path: manifestName, message: `not valid JSON (${(err as Error).message})` }] };
  }
  let manifest: ReturnType<typeof parseBundleManifest> | undefined;
  try {
    manifest = parseBundleManifest(raw);
  } catch (err) {
    if (!(err instanceof ContentError)) throw err;
    for (const p of err.problems) problems.push({ path: `${manifestName}:${p.path}`, message: p.message });
  }
  if (manifest && manifest.siteGroup !== siteGroup)
    problems.push({
      path: `${manifestName}:siteGroup`,
      message: `manifest is for site group "${manifest.siteGroup}", the draft is for "${siteGroup}"`,
    });
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
  if (manifest) {
    const referenced = mediaTargets(manifest);
    for (const item of manifest.items) {
      for (const [lang, v] of Object.entries(item.variants) as [string, Record<string, unknown>][]) {
        for (const key of ['src', 'poster', 'entry', 'assets'] as const) {
          const vals = key === 'assets' ? ((v[key] as string[] | undefined) ?? []) : [v[key]];
          for (const p of vals) {
            if (typeof p !== 'string') continue;
            const why = siteGroupTargetProblem(siteGroup, p);
            if (why)
              problems.push({
                path: `${manifestName}:items.${item.id}.variants.${lang}.${key}`,
                message: why,
              });
            else if (!byPath.has(p))
              problems.push({
                path: `${manifestName}:items.${item.id}.variants.${lang}.${key}`,
                message: `media file "${p}" is referenced but not in the draft`,
              });
          }
        }
      }
    }
    const refs = new Set(referenced);
    for (const f of files)
      if (!refs.has(f.path))
        problems.push({
          path: `media file ${f.path}`,
          message: 'not referenced by any item of the manifest',
        });
  }
  return manifest ? { problems, manifest } : { problems };
}
