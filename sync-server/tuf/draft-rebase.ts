/**
 * An out-of-date draft against the version on air (DraftService: staleError, rebaseDifference,
 * rebase): the three-way difference between the version it was made from, the version on air and
 * the draft (protocol/manifest-merge.ts), and the rebased bundle.json with the files it lists.
 */
import { BUNDLE_MANIFEST_NAME, type BundleManifest, mediaTargets } from '../../protocol/content.js';
import {
  rebaseManifest,
  type Resolution,
  type ThreeWayDiff,
  threeWayDiff,
} from '../../protocol/manifest-merge.js';
import { checkDraft, type DraftFile } from '../../protocol/publish-api.js';
import type { Problem } from '../../protocol/errors.js';
import { baseOf, type DraftRecord } from './draft-record.js';
import { sha256Hex } from './metadata.js';
import { latestManifest, manifestAtVersion } from './published-manifest.js';
import type { TufRepository } from './repository.js';

/** Which of a list of emergencies are on the screens now (DraftService.emergenciesOnAir). */
export type OnAirNow = <E extends { id: string; expiresAt: string }>(list: readonly E[]) => E[];

/** What the version on air changed since `basedOnVersion` and what `draft` would undo (at `now`). */
export async function staleDifference(
  repo: TufRepository,
  siteGroup: string,
  basedOnVersion: number | null,
  draft: BundleManifest,
  now: number,
): Promise<ThreeWayDiff> {
  const dir = repo.layout.dir;
  const onAir = await latestManifest(repo, dir, siteGroup);
  const base =
    basedOnVersion === null ? undefined : await manifestAtVersion(repo, dir, siteGroup, basedOnVersion);
  return threeWayDiff(
    {
      base: base?.manifest,
      basedOnVersion,
      onAir: onAir?.manifest,
      onAirVersion: repo.roleMetadata(siteGroup)?.signed.version ?? 0,
      draft,
    },
    now,
  );
}

/**
 * Draft `rec` (its staged bundle.json `draft`) rebased on the version on air, with the author's
 * `resolutions` of entries changed on both sides. Emergencies no longer on air (expired, or ended
 * early: `onAirNow`) are dropped, and named in the difference as ended rather than as undone or in
 * conflict.
 */
export async function rebaseInput(
  repo: TufRepository,
  rec: DraftRecord,
  draft: BundleManifest,
  now: number,
  onAirNow: OnAirNow,
  resolutions: Readonly<Record<string, Resolution>> = {},
) {
  const dir = repo.layout.dir;
  const basedOnVersion = baseOf(rec);
  const base = await manifestAtVersion(repo, dir, rec.siteGroup, basedOnVersion);
  const onAir = await latestManifest(repo, dir, rec.siteGroup);
  const onAirMd = repo.roleMetadata(rec.siteGroup);
  const onAirVersion = onAirMd?.signed.version ?? 0;
  const out = rebaseManifest(
    { base: base?.manifest, basedOnVersion, onAir: onAir?.manifest, onAirVersion, draft },
    resolutions,
    now,
  );
  // Ended early is not in any bundle: the same rule as every draft that carries emergencies.
  const live = new Set(onAirNow(out.manifest.emergencies).map((e) => e.id));
  const endedEarly = out.manifest.emergencies.filter((e) => !live.has(e.id)).map((e) => e.id);
  return {
    ...out,
    manifest: { ...out.manifest, emergencies: out.manifest.emergencies.filter((e) => live.has(e.id)) },
    diff: {
      ...out.diff,
      endedEmergencies: [...out.diff.endedEmergencies, ...endedEarly],
      undone: out.diff.undone.filter((r) => !(r.section === 'emergency' && endedEarly.includes(r.id))),
      conflicts: out.diff.conflicts.filter((r) => !(r.section === 'emergency' && endedEarly.includes(r.id))),
    },
    onAirVersion,
    onAirMd,
  };
}

/**
 * The staged bundle.json (`text`, of manifest `final`) and files of draft `rec` rebased: each media
 * file it lists is the draft's own upload or, failing that, the one on air (`onAirTargets`). The
 * problems name what is in neither, and what breaks the content model.
 */
export function rebasedFiles(
  rec: DraftRecord,
  final: BundleManifest,
  text: string,
  onAirTargets: Readonly<Record<string, { length: number; hashes: Record<string, string> }>> | undefined,
): { manifestFile: DraftFile; files: DraftFile[]; problems: Problem[] } {
  const files: DraftFile[] = [];
  const problems: Problem[] = [];
  for (const path of mediaTargets(final)) {
    const own = rec.files.find((f) => f.path === path);
    const t = onAirTargets?.[path];
    const sha256 = t?.hashes['sha256'];
    if (own) files.push(own);
    else if (t && sha256) files.push({ path, length: t.length, sha256 });
    else problems.push({ path: `media file ${path}`, message: 'neither in the draft nor on air' });
  }
  const { problems: invalid } = checkDraft(rec.siteGroup, text, files);
  const bytes = Buffer.from(text, 'utf8');
  return {
    manifestFile: {
      path: `${rec.siteGroup}/${BUNDLE_MANIFEST_NAME}`,
      length: bytes.length,
      sha256: sha256Hex(bytes),
    },
    files,
    problems: [...problems, ...invalid],
  };
}
