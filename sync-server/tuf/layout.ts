/**
 * Where a TUF repository lives on disk, and how site groups map to TUF role names and target files.
 *
 * ```
 * <repo>/metadata/1.root.json … N.root.json   every root version (clients walk them in order)
 * <repo>/metadata/root.json                   copy of the newest root (what devices are enrolled with)
 * <repo>/metadata/N.targets.json              top-level targets (offline keys): delegations only
 * <repo>/metadata/N.<role>.json               one delegated role per site group (approver keys)
 * <repo>/metadata/N.snapshot.json             online key
 * <repo>/metadata/timestamp.json              online key; the commit point of every change
 * <repo>/targets/<dirs>/<sha256>.<file>       content-addressed target files
 * <repo>/keys/{snapshot,timestamp}.key        online private keys (0600; directory 0700), never served
 * <repo>/drafts/<id>/                         drafts being assembled and signed, never served
 * ```
 */
import { join, resolve } from 'node:path';
import { SiteGroupId } from '../../protocol/content.js';
import { MAX_TARGET_DEPTH } from '../../protocol/publish-api.js';
import { RELEASES_ROLE } from '../../protocol/release.js';
import { RepoError } from './errors.js';

const TOP_LEVEL_ROLE_NAMES = ['root', 'targets', 'snapshot', 'timestamp'];

export interface RepoLayout {
  dir: string;
  metadataDir: string;
  targetsDir: string;
  keysDir: string;
  draftsDir: string;
}

/** Absolute paths (the static file server requires them) of a repository's parts. */
export function repoLayout(repoDir: string): RepoLayout {
  const dir = resolve(repoDir);
  return {
    dir,
    metadataDir: join(dir, 'metadata'),
    targetsDir: join(dir, 'targets'),
    keysDir: join(dir, 'keys'),
    draftsDir: join(dir, 'drafts'),
  };
}

/**
 * The TUF role name for a site group: its slugs joined by "." (`kien-giang/ha-tien` →
 * `kien-giang.ha-tien`). Slugs cannot contain ".", so the mapping is one-to-one, and the name is a
 * plain file name: tuf-js reads cached delegated metadata from `<role>.json` without encoding, so a
 * "/" in a role name would never be found in its cache.
 */
export function roleNameForSiteGroup(siteGroup: string): string {
  const parsed = SiteGroupId.safeParse(siteGroup);
  if (!parsed.success)
    throw new RepoError(`"${siteGroup}" is not a site group: ${parsed.error.issues[0]?.message}`);
  const role = siteGroup.replaceAll('/', '.');
  if (role === RELEASES_ROLE)
    throw new RepoError(`site group "${siteGroup}" would clash with the role of gatecast's own releases`);
  if (TOP_LEVEL_ROLE_NAMES.includes(role))
    throw new RepoError(`site group "${siteGroup}" would clash with the top-level TUF role "${role}"`);
  return role;
}

export function siteGroupForRoleName(role: string): string {
  return role.replaceAll('.', '/');
}

/** The delegation path patterns covering every target below a site group, up to MAX_TARGET_DEPTH. */
export function delegationPaths(siteGroup: string): string[] {
  const out: string[] = [];
  for (let depth = 1; depth <= MAX_TARGET_DEPTH; depth++)
    out.push(`${siteGroup}/${Array(depth).fill('*').join('/')}`);
  return out;
}

/** `a/b/c.png` with hash H → `a/b/H.c.png`: the consistent-snapshot file name clients request. */
export function hashedTargetPath(path: string, sha256: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? `${sha256}.${path}` : `${path.slice(0, i)}/${sha256}.${path.slice(i + 1)}`;
}

export const metadataFileName = (role: string, version?: number) =>
  version === undefined ? `${role}.json` : `${version}.${role}.json`;

export { MAX_TARGET_DEPTH, siteGroupTargetProblem } from '../../protocol/publish-api.js';
