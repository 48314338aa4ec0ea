/**
 * Release drafts: the next version of the TUF `releases` role, carried as a file from one release
 * approver to the next. Each signs it with their own release key on their own machine (only the
 * signature is added); the signature that meets the threshold publishes, where the repository is.
 *
 * ```
 * { "schema": 1, "kind": "gatecast-release-draft",
 *   "added": ["releases/gatecast-1.4.0-linux-arm64.tar.gz", "releases/gatecast-1.4.0-linux-arm64.json"],
 *   "manifests": { "releases/gatecast-1.4.0-linux-arm64.json": "{ \"version\": \"1.4.0\", … }" },
 *   "metadata": { "signed": { "_type": "targets", ... }, "signatures": [ ... ] } }
 * ```
 *
 * `manifests` carries the text of each release manifest the draft adds, so that an approver sees what
 * they sign without the artifacts at hand; it is shown only once its length and SHA-256 are the ones
 * in the signed metadata (`draftManifests`).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Metadata, MetadataKind, type Targets } from '@tufjs/models';
import { z } from 'zod';
import type { SigningKey } from '../../platform/tuf-keys.js';
import { hashFile } from '../../platform/hash.js';
import {
  parseReleaseManifest,
  type ReleaseManifest,
  parseReleaseTargetPath,
  RELEASES_PREFIX,
  RELEASES_ROLE,
} from '../../protocol/release.js';
import { RepoError, SignatureRejectedError } from './errors.js';
import { validSignatures } from './metadata.js';
import type { TufRepository } from './repository.js';
import type { TargetSource } from './target-files.js';

const ReleaseDraftFile = z.object({
  schema: z.literal(1),
  kind: z.literal('gatecast-release-draft'),
  added: z.array(z.string()).min(1).max(20),
  manifests: z.record(z.string(), z.string().max(64 * 1024)).optional(),
  metadata: z.object({ signed: z.record(z.string(), z.unknown()), signatures: z.array(z.unknown()) }),
});

export interface ReleaseDraft {
  added: string[];
  /** Target path → the manifest's text, for each release manifest added (absent in older drafts). */
  manifests?: Record<string, string>;
  metadata: Metadata<Targets>;
}

export function parseReleaseDraft(text: string, where: string): ReleaseDraft {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new RepoError(`${where} is not a release draft (not JSON)`, { cause: err });
  }
  const r = ReleaseDraftFile.safeParse(raw);
  if (!r.success) throw new RepoError(`${where} is not a release draft: ${r.error.issues[0]?.message}`);
  let metadata: Metadata<Targets>;
  try {
    metadata = Metadata.fromJSON(MetadataKind.Targets, r.data.metadata as never);
  } catch (err) {
    throw new RepoError(`${where}: its metadata is not TUF targets metadata`, { cause: err });
  }
  return { added: r.data.added, ...(r.data.manifests ? { manifests: r.data.manifests } : {}), metadata };
}

export function serializeReleaseDraft(d: ReleaseDraft): string {
  return `${JSON.stringify({ schema: 1, kind: 'gatecast-release-draft', added: d.added, ...(d.manifests ? { manifests: d.manifests } : {}), metadata: d.metadata.toJSON() }, null, 2)}\n`;
}

/**
 * The release files in `dir` (what `gatecast release build` wrote: `gatecast-<v>-<p>.tar.gz` and
 * `gatecast-<v>-<p>.json`), checked: each artifact has its manifest, and each manifest names the
 * version and platform of its file name.
 */
export async function releaseFilesIn(
  dir: string,
): Promise<{ path: string; file: string; length: number; sha256: string }[]> {
  const out: { path: string; file: string; length: number; sha256: string }[] = [];
  const names = readdirSync(dir).filter((n) => parseReleaseTargetPath(`${RELEASES_PREFIX}${n}`));
  for (const name of names) {
    const path = `${RELEASES_PREFIX}${name}`;
    const t = parseReleaseTargetPath(path)!;
    const file = join(dir, name);
    if (t.kind === 'manifest') {
      const m = parseReleaseManifest(JSON.parse(readFileSync(file, 'utf8')), file);
      if (m.version !== t.version || m.platform !== t.platform)
        throw new RepoError(`${file} describes ${m.version} for ${m.platform}, not what its name says`);
    }
    const { sha256 } = await hashFile(file);
    out.push({ path, file, length: statSync(file).size, sha256 });
  }
  for (const f of out) {
    const t = parseReleaseTargetPath(f.path)!;
    const other = t.kind === 'artifact' ? 'manifest' : 'artifact';
    if (
      !out.some((g) => {
        const u = parseReleaseTargetPath(g.path)!;
        return u.version === t.version && u.platform === t.platform && u.kind === other;
      })
    )
      throw new RepoError(`${basename(f.file)} has no ${other} beside it in ${dir}`);
  }
  if (out.length === 0)
    throw new RepoError(`${dir} holds no release files (gatecast-<version>-<platform>.tar.gz and .json)`);
  return out;
}

/** A new draft: the releases role's next version with the release files of `dir` added, unsigned. */
export async function createReleaseDraft(repo: TufRepository, dir: string): Promise<ReleaseDraft> {
  const files = await releaseFilesIn(dir);
  const metadata = repo.buildReleasesMetadata(
    files.map(({ path, length, sha256 }) => ({ path, length, sha256 })),
  );
  const manifests: Record<string, string> = {};
  for (const f of files)
    if (parseReleaseTargetPath(f.path)?.kind === 'manifest') manifests[f.path] = readFileSync(f.file, 'utf8');
  return { added: files.map((f) => f.path), manifests, metadata };
}

/** One release a draft adds, as an approver is shown it before signing. */
export interface DraftRelease {
  version: string;
  platform: string;
  artifact: { path: string; length: number; sha256: string } | null;
  manifestTarget: { path: string; length: number; sha256: string } | null;
  /** The manifest the signed metadata names (its bytes checked), or null when the draft does not carry it. */
  manifest: ReleaseManifest | null;
}

/**
 * The releases a draft adds, each with its signed artifact and manifest targets and the manifest
 * itself: from the draft's copy or, failing that, from `artifactsDir`. A copy whose length or SHA-256
 * differs from the signed target is refused (RepoError), never shown.
 */
export function draftReleases(d: ReleaseDraft, artifactsDir?: string): DraftRelease[] {
  const byRelease = new Map<string, DraftRelease>();
  for (const path of d.added) {
    const t = parseReleaseTargetPath(path);
    if (!t) throw new RepoError(`the draft adds "${path}", which is not a release target path`);
    const signed = d.metadata.signed.targets[path];
    if (!signed) throw new RepoError(`the draft adds ${path} but its metadata does not list it`);
    const key = `${t.version} ${t.platform}`;
    const r = byRelease.get(key) ?? {
      version: t.version,
      platform: t.platform,
      artifact: null,
      manifestTarget: null,
      manifest: null,
    };
    byRelease.set(key, r);
    const target = { path, length: signed.length, sha256: signed.hashes['sha256'] ?? '' };
    if (t.kind === 'artifact') {
      r.artifact = target;
      continue;
    }
    r.manifestTarget = target;
    let text = d.manifests?.[path];
    let where = `the draft's copy of ${path}`;
    if (text === undefined && artifactsDir) {
      where = join(artifactsDir, path.slice(RELEASES_PREFIX.length));
      try {
        text = readFileSync(where, 'utf8');
      } catch {
        text = undefined; // not there: shown as not carried
      }
    }
    if (text === undefined) continue;
    const bytes = Buffer.from(text, 'utf8');
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    if (bytes.length !== target.length || sha256 !== target.sha256)
      throw new RepoError(
        `${where} is not the manifest the draft's metadata names (${bytes.length} bytes, sha256 ${sha256}; signed: ${target.length} bytes, sha256 ${target.sha256})`,
      );
    const m = parseReleaseManifest(parseJsonText(text, where), where);
    if (m.version !== t.version || m.platform !== t.platform)
      throw new RepoError(`${where} describes ${m.version} for ${m.platform}, not what its name says`);
    r.manifest = m;
  }
  return [...byRelease.values()];
}

function parseJsonText(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new RepoError(`${where} is not JSON`, { cause: err });
  }
}

/**
 * Adds one release approver's signature. Refuses a key that has already signed (a second signature
 * by the same person never counts twice).
 */
export function signReleaseDraft(d: ReleaseDraft, key: SigningKey): void {
  if (d.metadata.signatures[key.keyId])
    throw new SignatureRejectedError(`key ${key.keyId} has already signed this release draft`, 'duplicate');
  d.metadata.sign(key.signer, true);
}

/** How many distinct release approvers' valid signatures the draft carries, and how many it needs. */
export function releaseDraftSignatures(
  repo: TufRepository,
  d: ReleaseDraft,
): { valid: number; threshold: number } {
  const del = repo.releasesDelegation();
  return { valid: validSignatures(d.metadata, del.keyIds, del.keys).length, threshold: del.threshold };
}

/** Publishes a draft whose signatures meet the threshold, with the release files from `dir`. */
export async function publishReleaseDraft(repo: TufRepository, d: ReleaseDraft, dir: string) {
  const files = await releaseFilesIn(dir);
  const sources: TargetSource[] = [];
  for (const path of d.added) {
    const f = files.find((x) => x.path === path);
    if (!f) throw new RepoError(`${path} is in the draft but not in ${dir}`);
    const want = d.metadata.signed.targets[path];
    if (!want || want.length !== f.length || want.hashes['sha256'] !== f.sha256)
      throw new RepoError(`${f.file} is not the file the draft's signers signed`);
    sources.push({ path, file: f.file });
  }
  return repo.publishReleases(d.metadata, sources);
}

/** For tests and the demo: build, sign with the keys given and publish, in one step. */
export async function publishReleaseFiles(
  repo: TufRepository,
  files: Record<string, Uint8Array>,
  approvers: SigningKey[],
) {
  const added = Object.entries(files).map(([path, data]) => ({
    path,
    length: data.length,
    sha256: createHash('sha256').update(data).digest('hex'),
  }));
  const md = repo.buildReleasesMetadata(added);
  for (const k of approvers) md.sign(k.signer, true);
  return repo.publishReleases(
    md,
    Object.entries(files).map(([path, data]) => ({ path, data })),
  );
}

export { RELEASES_ROLE };
