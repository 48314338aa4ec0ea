/**
 * What a draft restoring a published version holds (DraftService.restore makes the draft from it):
 * that version's bundle.json and the media it references, by the hashes it listed (the repository
 * keeps every published target, so nothing needs uploading). Emergency messages do not come back by
 * themselves: one of that version that has expired, or that is no longer on air (ended), is dropped;
 * one on air now that the version did not have stays on air. `restored` says which version and what
 * was dropped or kept, as data each page puts in its reader's language.
 */
import { type BundleManifest, mediaTargets, parseBundleManifest } from '../../protocol/content.js';
import type { DraftFile, DraftRestore } from '../../protocol/publish-api.js';
import { DraftStateError, VersionNotFoundError } from './errors.js';
import { latestManifest, manifestBytesOf, roleMetadataAtVersion } from './published-manifest.js';
import type { TufRepository } from './repository.js';

export interface RestoreContent {
  /** The bundle.json text of the draft. */
  manifest: string;
  files: DraftFile[];
  /** The version on air now: the draft is made from it, so it is not stale. */
  onAirVersion: number;
  restored: DraftRestore;
}

/**
 * The content of a draft restoring version `version` of `siteGroup` at `now`; `onAirNow` is the
 * rule of which emergencies are on the screens (DraftService.emergenciesOnAir).
 */
export async function restoreContent(
  repo: TufRepository,
  siteGroup: string,
  version: number,
  now: number,
  onAirNow: <E extends { id: string; expiresAt: string }>(list: readonly E[]) => E[],
): Promise<RestoreContent> {
  repo.delegation(siteGroup);
  const dir = repo.layout.dir;
  const onAirMd = repo.roleMetadata(siteGroup);
  const onAirVersion = onAirMd?.signed.version ?? 0;
  const md = await roleMetadataAtVersion(repo, dir, siteGroup, version);
  const bytes = md && (await manifestBytesOf(md, dir, siteGroup));
  if (!md || !bytes)
    throw new VersionNotFoundError(
      onAirVersion === 0
        ? `"${siteGroup}" has published no version yet`
        : `"${siteGroup}" has no published version ${version} with a bundle (versions 1 to ${onAirVersion})`,
    );
  if (version === onAirVersion)
    throw new DraftStateError(`version ${version} of "${siteGroup}" is the one on air; nothing to restore`);
  const then = parseBundleManifest(JSON.parse(bytes.toString('utf8')));
  const onAir = await latestManifest(repo, dir, siteGroup);
  const live = onAirNow(onAir?.manifest.emergencies ?? []);
  const liveIds = new Set(live.map((e) => e.id));
  const thenIds = new Set(then.emergencies.map((e) => e.id));
  const expired = then.emergencies.filter((e) => Date.parse(e.expiresAt) <= now).map((e) => e.id);
  const ended = then.emergencies
    .filter((e) => Date.parse(e.expiresAt) > now && !liveIds.has(e.id))
    .map((e) => e.id);
  const stays = live.filter((e) => !thenIds.has(e.id)).map((e) => e.id);
  let text = bytes.toString('utf8');
  if (expired.length || ended.length || stays.length) {
    // Emergencies as they are on air now (those the version had and still on air, then the rest).
    const raw = JSON.parse(text) as Record<string, unknown>;
    const rawOnAir = onAir
      ? ((
          JSON.parse((await manifestBytesOf(onAirMd!, dir, siteGroup))!.toString('utf8')) as {
            emergencies?: { id: string }[];
          }
        ).emergencies ?? [])
      : [];
    const rawThen = (raw['emergencies'] ?? []) as { id: string }[];
    raw['emergencies'] = [
      ...rawThen.filter((e) => liveIds.has(e.id)),
      ...rawOnAir.filter((e) => stays.includes(e.id)),
    ];
    text = `${JSON.stringify(raw, null, 2)}
`;
  }
  const manifest: BundleManifest = parseBundleManifest(JSON.parse(text));
  const files: DraftFile[] = mediaTargets(manifest).map((path) => {
    const t = md.signed.targets[path] ?? onAirMd?.signed.targets[path];
    const sha256 = t?.hashes['sha256'];
    if (!t || !sha256)
      throw new VersionNotFoundError(`version ${version} of "${siteGroup}" does not list media ${path}`);
    return { path, length: t.length, sha256 };
  });
  return {
    manifest: text,
    files,
    onAirVersion,
    restored: { version, onAirVersion, expired, ended, kept: stays },
  };
}
