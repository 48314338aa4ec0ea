/**
 * The offline changes to top-level metadata, built and checked as values: delegating a site group,
 * re-signing targets, rotating root, and checking one approver's signature. The repository writes
 * and commits what these return.
 */
import { type Key, Metadata, MetadataKind, type Root, type Targets } from '@tufjs/models';
import type { SigningKey } from '../../platform/tuf-keys.js';
import { RepoError, SignatureRejectedError, ThresholdError } from './errors.js';
import { RELEASES_PREFIX, RELEASES_ROLE } from '../../protocol/release.js';
import { delegationPaths, roleNameForSiteGroup, siteGroupForRoleName } from './layout.js';
import {
  keyJson,
  type Loaded,
  requireThreshold,
  serializeMetadata,
  signWith,
  tufTime,
  validSignatures,
} from './metadata.js';

/** A site group's delegated role: its approver keys and threshold. */
export interface Delegation {
  role: string;
  threshold: number;
  keyIds: string[];
  keys: Record<string, Key>;
}

/** The next version of top-level targets, same content, signed by `keys` up to root's threshold. */
export function nextTargets(
  current: Metadata<Targets>,
  expiresMs: number,
  keys: SigningKey[],
  root: Metadata<Root>,
): Loaded<Targets> {
  const md = Metadata.fromJSON(MetadataKind.Targets, {
    signed: {
      ...current.signed.toJSON(),
      version: current.signed.version + 1,
      expires: tufTime(expiresMs),
    },
    signatures: [],
  } as never);
  signWith(md, keys);
  const role = root.signed.roles['targets'];
  requireThreshold('targets', md, role?.keyIDs ?? [], root.signed.keys, role?.threshold ?? 1);
  return { md, bytes: serializeMetadata(md) };
}

/**
 * The next version of top-level targets with `siteGroup` delegated to `approvers`, signed by
 * `targetsKeys` up to root's threshold. Refuses a group already delegated or overlapping another.
 */
export function delegateSiteGroup(opts: {
  targets: Metadata<Targets>;
  root: Metadata<Root>;
  siteGroup: string;
  approvers: Key[];
  threshold: number;
  targetsKeys: SigningKey[];
  expiresMs: number;
}): { loaded: Loaded<Targets>; role: string; approverIds: string[] } {
  const { siteGroup } = opts;
  const role = roleNameForSiteGroup(siteGroup);
  return delegateRole({
    ...opts,
    role,
    paths: delegationPaths(siteGroup),
    label: `site group "${siteGroup}"`,
    clash: (other) => {
      if (other === RELEASES_ROLE) return undefined;
      const group = siteGroupForRoleName(other);
      return group.startsWith(`${siteGroup}/`) || siteGroup.startsWith(`${group}/`)
        ? `site group "${siteGroup}" overlaps the existing site group "${group}"`
        : undefined;
    },
  });
}

/**
 * The next version of top-level targets with the `releases` role (gatecast's own releases, paths
 * `releases/*`) delegated to the release approvers' keys with its own threshold.
 */
export function delegateReleases(opts: {
  targets: Metadata<Targets>;
  root: Metadata<Root>;
  approvers: Key[];
  threshold: number;
  targetsKeys: SigningKey[];
  expiresMs: number;
}): { loaded: Loaded<Targets>; role: string; approverIds: string[] } {
  return delegateRole({
    ...opts,
    role: RELEASES_ROLE,
    paths: [`${RELEASES_PREFIX}*`],
    label: 'the releases role',
    clash: () => undefined,
  });
}

function delegateRole(opts: {
  targets: Metadata<Targets>;
  root: Metadata<Root>;
  role: string;
  paths: string[];
  label: string;
  /** Why an existing delegated role clashes with the new one, or undefined. */
  clash: (existing: string) => string | undefined;
  approvers: Key[];
  threshold: number;
  targetsKeys: SigningKey[];
  expiresMs: number;
}): { loaded: Loaded<Targets>; role: string; approverIds: string[] } {
  const { role, approvers, threshold, root } = opts;
  const ids = [...new Set(approvers.map((k) => k.keyID))];
  if (ids.length !== approvers.length) throw new RepoError('the same approver key is listed twice');
  if (threshold < 1 || threshold > ids.length)
    throw new RepoError(`threshold ${threshold} must be between 1 and the ${ids.length} approver keys`);
  const current = opts.targets.signed.toJSON() as Record<string, unknown> & {
    delegations?: { keys: Record<string, unknown>; roles: { name: string; paths?: string[] }[] };
  };
  const delegations = current.delegations ?? { keys: {}, roles: [] };
  for (const r of delegations.roles) {
    if (r.name === role) throw new RepoError(`${opts.label} is already delegated`);
    const why = opts.clash(r.name);
    if (why) throw new RepoError(why);
  }
  for (const k of approvers) delegations.keys[k.keyID] = keyJson(k);
  delegations.roles.push({
    name: role,
    keyids: ids,
    threshold,
    terminating: true,
    paths: opts.paths,
  } as never);
  const next = Metadata.fromJSON(MetadataKind.Targets, {
    signed: {
      ...current,
      version: opts.targets.signed.version + 1,
      expires: tufTime(opts.expiresMs),
      delegations,
    },
    signatures: [],
  } as never);
  signWith(next, opts.targetsKeys);
  requireThreshold(
    'targets',
    next,
    root.signed.roles['targets']?.keyIDs ?? [],
    root.signed.keys,
    root.signed.roles['targets']?.threshold ?? 1,
  );
  return { loaded: { md: next, bytes: serializeMetadata(next) }, role, approverIds: ids };
}

export interface RotateRootOptions {
  currentRootKeys: SigningKey[];
  newRootKeys?: SigningKey[];
  newRootThreshold?: number;
  newTargetsKeys?: SigningKey[];
  newTargetsThreshold?: number;
}

/**
 * The next root version: fresh expiry, optionally new root keys/threshold and new targets keys,
 * signed so that both the current root's threshold and the new root's own are met.
 */
export function nextRoot(
  current: Metadata<Root>,
  opts: RotateRootOptions,
  expiresMs: number,
): { loaded: Loaded<Root>; rootKeyIds: string[]; rootThreshold: number } {
  const cur = current.signed;
  const rootKeys = opts.newRootKeys ?? opts.currentRootKeys;
  const rootThreshold = opts.newRootThreshold ?? cur.roles['root']?.threshold ?? 1;
  const ids = (ks: SigningKey[]) => [...new Set(ks.map((k) => k.keyId))];
  const json = cur.toJSON() as {
    keys: Record<string, unknown>;
    roles: Record<string, { keyids: string[]; threshold: number }>;
  };
  const roles = structuredClone(json.roles);
  roles['root'] = { keyids: ids(rootKeys), threshold: rootThreshold };
  if (opts.newTargetsKeys)
    roles['targets'] = {
      keyids: ids(opts.newTargetsKeys),
      threshold: opts.newTargetsThreshold ?? opts.newTargetsKeys.length,
    };
  for (const [name, r] of Object.entries(roles))
    if (r.threshold < 1 || r.threshold > r.keyids.length)
      throw new RepoError(
        `${name} threshold ${r.threshold} must be between 1 and its ${r.keyids.length} key(s)`,
      );
  // Keep only keys some role still uses.
  const known: Record<string, Key> = { ...cur.keys };
  for (const k of [...rootKeys, ...(opts.newTargetsKeys ?? [])]) known[k.keyId] = k.publicKey;
  const keys: Record<string, unknown> = {};
  for (const r of Object.values(roles))
    for (const id of r.keyids) if (known[id]) keys[id] = keyJson(known[id] as Key);
  const next = Metadata.fromJSON(MetadataKind.Root, {
    signed: {
      ...json,
      version: cur.version + 1,
      expires: tufTime(expiresMs),
      keys,
      roles,
    },
    signatures: [],
  } as never);
  const signers = new Map([...opts.currentRootKeys, ...rootKeys].map((k) => [k.keyId, k]));
  signWith(next, [...signers.values()]);
  for (const [label, trusted] of [
    ['current root', current],
    ['new root', next],
  ] as const) {
    try {
      trusted.verifyDelegate('root', next);
    } catch (err) {
      throw new ThresholdError(
        `root v${next.signed.version} lacks the signatures the ${label} requires (${(err as Error).message})`,
        validSignatures(next, trusted.signed.roles['root']?.keyIDs ?? [], trusted.signed.keys).length,
        trusted.signed.roles['root']?.threshold ?? 1,
      );
    }
  }
  return { loaded: { md: next, bytes: serializeMetadata(next) }, rootKeyIds: ids(rootKeys), rootThreshold };
}

/**
 * Checks one signature over a role's next metadata against the site group's approver keys.
 * Throws SignatureRejectedError: unknown-key, duplicate (already on `md`), bad-signature.
 */
export function checkApproverSignature(
  /** The site group (or "releases") the role is of, for messages. */
  siteGroup: string,
  d: Delegation,
  md: Metadata<Targets>,
  sig: { keyid: string; sig: string },
): void {
  const key = d.keys[sig.keyid];
  if (!key || !d.keyIds.includes(sig.keyid))
    throw new SignatureRejectedError(
      `key ${sig.keyid} is not an approver key of ${siteGroup === RELEASES_ROLE ? 'the releases role' : `site group "${siteGroup}"`}`,
      'unknown-key',
    );
  if (md.signatures[sig.keyid])
    throw new SignatureRejectedError(`key ${sig.keyid} has already signed this draft`, 'duplicate');
  if (!/^[0-9a-f]{128}$/.test(sig.sig))
    throw new SignatureRejectedError(`signature by ${sig.keyid} is not 64 bytes of hex`, 'malformed');
  const probe = Metadata.fromJSON(MetadataKind.Targets, {
    signed: md.signed.toJSON(),
    signatures: [{ keyid: sig.keyid, sig: sig.sig }],
  } as never);
  try {
    key.verifySignature(probe);
  } catch (err) {
    throw new SignatureRejectedError(
      `signature by key ${sig.keyid} does not verify over this draft`,
      'bad-signature',
      {
        cause: err,
      },
    );
  }
}
