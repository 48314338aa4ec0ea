/**
 * The bundle manifests a site group has published, read from the repository and checked against
 * the sha256 its role metadata lists: the one on air, and any earlier version (every version's role
 * metadata stays in the repository, as consistent snapshots keep it).
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Metadata, MetadataKind, type Targets } from '@tufjs/models';
import { BUNDLE_MANIFEST_NAME, type BundleManifest, parseBundleManifest } from '../../protocol/content.js';
import { hashedTargetPath, metadataFileName, repoLayout, roleNameForSiteGroup } from './layout.js';
import type { TufRepository } from './repository.js';

export type PublishedManifest = { version: number; manifest: BundleManifest };

/** The bundle manifest a role's metadata lists, read and hash-checked from the repository's targets. */
async function manifestOf(
  md: Metadata<Targets>,
  repoDir: string,
  siteGroup: string,
): Promise<PublishedManifest | undefined> {
  const bytes = await manifestBytesOf(md, repoDir, siteGroup);
  if (!bytes) return undefined;
  return { version: md.signed.version, manifest: parseBundleManifest(JSON.parse(bytes.toString('utf8'))) };
}

/** The latest published manifest of `siteGroup`, read and hash-checked from the repository's targets. */
export async function latestManifest(
  repo: TufRepository,
  repoDir: string,
  siteGroup: string,
): Promise<PublishedManifest | undefined> {
  const md = repo.roleMetadata(siteGroup);
  return md ? manifestOf(md, repoDir, siteGroup) : undefined;
}

/**
 * The manifest `siteGroup` had on air at `version` (undefined for 0 or a version that listed no
 * bundle): every version's role metadata stays in the repository (consistent snapshots).
 */
export async function manifestAtVersion(
  repo: TufRepository,
  repoDir: string,
  siteGroup: string,
  version: number,
): Promise<PublishedManifest | undefined> {
  const md = await roleMetadataAtVersion(repo, repoDir, siteGroup, version);
  return md ? manifestOf(md, repoDir, siteGroup) : undefined;
}

/**
 * The role metadata `siteGroup` had on air at `version` (undefined for 0 or a version never
 * published): every target it lists, by path, length and sha256.
 */
export async function roleMetadataAtVersion(
  repo: TufRepository,
  repoDir: string,
  siteGroup: string,
  version: number,
): Promise<Metadata<Targets> | undefined> {
  const current = repo.roleMetadata(siteGroup);
  if (!current || version < 1 || version > current.signed.version) return undefined;
  if (version === current.signed.version) return current;
  const file = join(
    repoLayout(repoDir).metadataDir,
    metadataFileName(roleNameForSiteGroup(siteGroup), version),
  );
  return Metadata.fromJSON(MetadataKind.Targets, JSON.parse(await readFile(file, 'utf8')) as never);
}

/** The bytes of the bundle manifest a role's metadata lists, hash-checked (undefined if it lists none). */
export async function manifestBytesOf(
  md: Metadata<Targets>,
  repoDir: string,
  siteGroup: string,
): Promise<Buffer | undefined> {
  const path = `${siteGroup}/${BUNDLE_MANIFEST_NAME}`;
  const sha256 = md.signed.targets[path]?.hashes['sha256'];
  if (!sha256) return undefined;
  const bytes = await readFile(join(repoLayout(repoDir).targetsDir, hashedTargetPath(path, sha256)));
  if (createHash('sha256').update(bytes).digest('hex') !== sha256)
    throw new Error(`${path} in the repository does not match its published hash`);
  return bytes;
}
