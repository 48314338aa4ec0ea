/**
 * The server's TUF repository (see layout.ts for the files). Built with @tufjs/models so that what
 * we write is exactly what tuf-js verifies: consistent snapshots, hash-prefixed targets, versioned
 * metadata, an unversioned timestamp.json.
 *
 * Keys: root and top-level targets are offline (only their signatures reach the server, through
 * `initRepository` and `addSiteGroup` run where the keys are); each site group is a delegated role
 * signed by its approvers (threshold, default 2); snapshot and timestamp are online keys kept in
 * `<repo>/keys`, re-signed by `refreshOnlineMetadata` before they expire.
 *
 * Every change is written in an order that keeps the published state whole at every instant: target
 * files (new names only), then new versioned metadata, and timestamp.json last — its atomic rename
 * is the commit point. A crash before it leaves only unreferenced files behind.
 */
import { createHash, randomBytes } from 'node:crypto';
import { access, chmod, copyFile, link, mkdir, open, readdir, readFile, rename } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  type Key,
  Metadata,
  MetadataKind,
  type Root,
  type Snapshot,
  type TargetFile,
  type Targets,
  type Timestamp,
} from '@tufjs/models';
import { hashFile } from '../../platform/hash.js';
import { fsyncDir, writeFileAtomic } from '../../platform/atomic-file.js';
import type { Clock } from '../../protocol/clock.js';
import { createLogger, type Logger } from '../../platform/log.js';
import {
  generateKeyPairFiles,
  keyPairPaths,
  loadSigningKey,
  type SigningKey,
} from '../../platform/tuf-keys.js';
import { RepoError, SignatureRejectedError, ThresholdError } from './errors.js';
import {
  delegationPaths,
  hashedTargetPath,
  metadataFileName,
  type RepoLayout,
  repoLayout,
  roleNameForSiteGroup,
  siteGroupForRoleName,
  siteGroupTargetProblem,
} from './layout.js';

const DAY_MS = 24 * 3600 * 1000;

/** How long each role's metadata stays valid after it is signed. */
export interface Expiries {
  rootMs: number;
  targetsMs: number;
  /** Delegated (site group) roles: approvers re-sign at least this often. */
  roleMs: number;
  snapshotMs: number;
  timestampMs: number;
}

export const DEFAULT_EXPIRIES: Expiries = {
  rootMs: 365 * DAY_MS,
  targetsMs: 365 * DAY_MS,
  roleMs: 365 * DAY_MS,
  snapshotMs: 7 * DAY_MS,
  timestampMs: 1 * DAY_MS,
};

/** Online metadata is re-signed once less than this share of its lifetime is left. */
const RESIGN_WHEN_LEFT = 0.5;
/** Offline roles this close to expiry are reported on every refresh. */
const OFFLINE_EXPIRY_WARNING_MS = 30 * DAY_MS;

/** TUF's time format: ISO 8601 UTC without fractions. */
export function tufTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

const sha256Hex = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

export function serializeMetadata(md: Metadata<Root | Targets | Snapshot | Timestamp>): Buffer {
  return Buffer.from(`${JSON.stringify(md.toJSON(), null, 1)}\n`);
}

interface Loaded<T extends Root | Targets | Snapshot | Timestamp> {
  md: Metadata<T>;
  bytes: Buffer;
}

interface RepoState {
  root: Loaded<Root>;
  targets: Loaded<Targets>;
  snapshot: Loaded<Snapshot>;
  timestamp: Loaded<Timestamp>;
  /** Delegated role name → its current metadata. */
  roles: Map<string, Loaded<Targets>>;
}

export interface OnlineKeys {
  snapshot: SigningKey;
  timestamp: SigningKey;
}

function parseMetadata<T extends MetadataKind>(kind: T, bytes: Buffer, source: string) {
  try {
    return Metadata.fromJSON(kind as MetadataKind.Targets, JSON.parse(bytes.toString('utf8')));
  } catch (err) {
    throw new RepoError(`${source}: not valid ${kind} metadata (${(err as Error).message})`, { cause: err });
  }
}

function signWith(md: Metadata<Root | Targets | Snapshot | Timestamp>, keys: SigningKey[]): void {
  for (const k of keys) md.sign(k.signer, true);
}

function keyJson(k: Key) {
  return k.toJSON();
}

/** Counts the signatures on `md` that verify against `keys` and belong to `keyIds`. */
export function validSignatures(
  md: Metadata<Root | Targets | Snapshot | Timestamp>,
  keyIds: readonly string[],
  keys: Record<string, Key>,
): string[] {
  const ok: string[] = [];
  for (const id of keyIds) {
    const key = keys[id];
    if (!key || !md.signatures[id]) continue;
    try {
      key.verifySignature(md);
      ok.push(id);
    } catch {
      // not signed by this key: the caller compares the count with the threshold
    }
  }
  return ok;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function loadOrCreateOnlineKey(keysDir: string, name: 'snapshot' | 'timestamp'): Promise<SigningKey> {
  const { privatePath } = keyPairPaths(keysDir, name);
  if (await exists(privatePath)) return loadSigningKey(privatePath);
  await mkdir(keysDir, { recursive: true, mode: 0o700 });
  await chmod(keysDir, 0o700);
  return (await generateKeyPairFiles(keysDir, name)).key;
}

export interface InitRepositoryOptions {
  dir: string;
  clock: Clock;
  rootKeys: SigningKey[];
  /** Default: every root key must sign. */
  rootThreshold?: number;
  targetsKeys: SigningKey[];
  /** Default: every targets key must sign. */
  targetsThreshold?: number;
  expiries?: Partial<Expiries>;
}

/**
 * Creates a new repository in `dir` (which must not hold one): root v1 signed by the root keys,
 * empty targets v1 signed by the targets keys, and the online snapshot/timestamp keys generated
 * into `<dir>/keys` (or reused if already there). Runs where the offline keys are.
 */
export async function initRepository(opts: InitRepositoryOptions): Promise<void> {
  const layout = repoLayout(opts.dir);
  const exp = { ...DEFAULT_EXPIRIES, ...opts.expiries };
  const now = opts.clock.now();
  if (await exists(join(layout.metadataDir, '1.root.json')))
    throw new RepoError(`${opts.dir}: a repository already exists here`);
  const rootThreshold = opts.rootThreshold ?? opts.rootKeys.length;
  const targetsThreshold = opts.targetsThreshold ?? opts.targetsKeys.length;
  if (opts.rootKeys.length === 0 || rootThreshold < 1 || rootThreshold > opts.rootKeys.length)
    throw new RepoError(
      `root threshold ${rootThreshold} must be between 1 and the ${opts.rootKeys.length} root keys`,
    );
  if (opts.targetsKeys.length === 0 || targetsThreshold < 1 || targetsThreshold > opts.targetsKeys.length)
    throw new RepoError(
      `targets threshold ${targetsThreshold} must be between 1 and the ${opts.targetsKeys.length} targets keys`,
    );
  const online: OnlineKeys = {
    snapshot: await loadOrCreateOnlineKey(layout.keysDir, 'snapshot'),
    timestamp: await loadOrCreateOnlineKey(layout.keysDir, 'timestamp'),
  };
  const keys: Record<string, unknown> = {};
  for (const k of [...opts.rootKeys, ...opts.targetsKeys, online.snapshot, online.timestamp])
    keys[k.keyId] = keyJson(k.publicKey);
  const ids = (ks: SigningKey[]) => [...new Set(ks.map((k) => k.keyId))];
  const root = Metadata.fromJSON(MetadataKind.Root, {
    signed: {
      _type: 'root',
      spec_version: '1.0.31',
      version: 1,
      expires: tufTime(now + exp.rootMs),
      consistent_snapshot: true,
      keys,
      roles: {
        root: { keyids: ids(opts.rootKeys), threshold: rootThreshold },
        targets: { keyids: ids(opts.targetsKeys), threshold: targetsThreshold },
        snapshot: { keyids: [online.snapshot.keyId], threshold: 1 },
        timestamp: { keyids: [online.timestamp.keyId], threshold: 1 },
      },
    },
    signatures: [],
  } as never);
  signWith(root, opts.rootKeys);
  root.verifyDelegate('root', root);
  const targets = Metadata.fromJSON(MetadataKind.Targets, {
    signed: {
      _type: 'targets',
      spec_version: '1.0.31',
      version: 1,
      expires: tufTime(now + exp.targetsMs),
      targets: {},
      delegations: { keys: {}, roles: [] },
    },
    signatures: [],
  } as never);
  signWith(targets, opts.targetsKeys);
  root.verifyDelegate('targets', targets);

  const rootBytes = serializeMetadata(root);
  const targetsBytes = serializeMetadata(targets);
  await mkdir(layout.targetsDir, { recursive: true });
  await writeFileAtomic(join(layout.metadataDir, '1.root.json'), rootBytes);
  await writeFileAtomic(join(layout.metadataDir, 'root.json'), rootBytes);
  await writeFileAtomic(join(layout.metadataDir, '1.targets.json'), targetsBytes);
  const snapshot = buildSnapshot(1, now + exp.snapshotMs, {
    'targets.json': { version: 1, bytes: targetsBytes },
  });
  signWith(snapshot, [online.snapshot]);
  const snapshotBytes = serializeMetadata(snapshot);
  await writeFileAtomic(join(layout.metadataDir, '1.snapshot.json'), snapshotBytes);
  const timestamp = buildTimestamp(1, now + exp.timestampMs, 1, snapshotBytes);
  signWith(timestamp, [online.timestamp]);
  await writeFileAtomic(join(layout.metadataDir, 'timestamp.json'), serializeMetadata(timestamp));
}

function metaFileJson(version: number, bytes: Buffer) {
  return { version, length: bytes.length, hashes: { sha256: sha256Hex(bytes) } };
}

function buildSnapshot(
  version: number,
  expiresMs: number,
  meta: Record<string, { version: number; bytes: Buffer }>,
) {
  const m: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(meta)) m[name] = metaFileJson(v.version, v.bytes);
  return Metadata.fromJSON(MetadataKind.Snapshot, {
    signed: { _type: 'snapshot', spec_version: '1.0.31', version, expires: tufTime(expiresMs), meta: m },
    signatures: [],
  } as never);
}

function buildTimestamp(version: number, expiresMs: number, snapshotVersion: number, snapshotBytes: Buffer) {
  return Metadata.fromJSON(MetadataKind.Timestamp, {
    signed: {
      _type: 'timestamp',
      spec_version: '1.0.31',
      version,
      expires: tufTime(expiresMs),
      meta: { 'snapshot.json': metaFileJson(snapshotVersion, snapshotBytes) },
    },
    signatures: [],
  } as never);
}

/** Where the bytes of a target come from when it is published. */
export type TargetSource =
  | { path: string; data: Uint8Array }
  /** A file on the same file system as the repository; moved into place when `move` is set. */
  | { path: string; file: string; move?: boolean };

export interface SiteGroupInfo {
  siteGroup: string;
  role: string;
  threshold: number;
  keyIds: string[];
  /** Current version of the role's metadata; 0 before its first publication. */
  version: number;
}

export interface TufRepositoryOptions {
  dir: string;
  clock: Clock;
  log?: Logger;
  expiries?: Partial<Expiries>;
}

export interface RefreshResult {
  snapshot: boolean;
  timestamp: boolean;
  /** Offline roles (root, targets, site groups) that expire within 30 days: humans must re-sign. */
  expiringOffline: { role: string; expires: string }[];
}

/**
 * One repository directory, opened by the server (which holds only the online keys) or by the CLI
 * for offline work. All writes are serialised through one queue.
 */
export class TufRepository {
  readonly layout: RepoLayout;
  readonly expiries: Expiries;
  readonly #clock: Clock;
  readonly #log: Logger;
  #state: RepoState | undefined;
  #online: OnlineKeys | undefined;
  #queue: Promise<unknown> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;

  constructor(opts: TufRepositoryOptions) {
    this.layout = repoLayout(opts.dir);
    this.expiries = { ...DEFAULT_EXPIRIES, ...opts.expiries };
    this.#clock = opts.clock;
    this.#log = opts.log ?? createLogger('sync-server:tuf');
  }

  /** Loads keys and the published state; refuses a repository whose files disagree. */
  async open(): Promise<this> {
    const { metadataDir, keysDir } = this.layout;
    let names: string[];
    try {
      names = await readdir(metadataDir);
    } catch (err) {
      throw new RepoError(`${this.layout.dir}: no TUF repository here (run "gatecast repo init")`, {
        cause: err,
      });
    }
    const rootVersions = names
      .map((n) => /^(\d+)\.root\.json$/.exec(n)?.[1])
      .filter((v): v is string => v !== undefined)
      .map(Number);
    if (rootVersions.length === 0) throw new RepoError(`${metadataDir}: no N.root.json`);
    const rootVersion = Math.max(...rootVersions);
    const root = await this.#read(MetadataKind.Root, metadataFileName('root', rootVersion));
    const timestamp = await this.#read(MetadataKind.Timestamp, 'timestamp.json');
    const snapMeta = timestamp.md.signed.snapshotMeta;
    const snapshot = await this.#read(MetadataKind.Snapshot, metadataFileName('snapshot', snapMeta.version));
    verifyMeta(snapMeta, snapshot.bytes, metadataFileName('snapshot', snapMeta.version));
    let targets: Loaded<Targets> | undefined;
    const roles = new Map<string, Loaded<Targets>>();
    for (const [name, meta] of Object.entries(snapshot.md.signed.meta)) {
      const role = name.replace(/\.json$/, '');
      const loaded = await this.#read(MetadataKind.Targets, metadataFileName(role, meta.version));
      verifyMeta(meta, loaded.bytes, metadataFileName(role, meta.version));
      if (role === 'targets') targets = loaded;
      else roles.set(role, loaded);
    }
    if (!targets) throw new RepoError(`${metadataDir}: snapshot lists no targets.json`);
    const online = {
      snapshot: await loadSigningKey(keyPairPaths(keysDir, 'snapshot').privatePath),
      timestamp: await loadSigningKey(keyPairPaths(keysDir, 'timestamp').privatePath),
    };
    for (const r of ['snapshot', 'timestamp'] as const) {
      if (!root.md.signed.roles[r]?.keyIDs.includes(online[r].keyId))
        throw new RepoError(`${keysDir}/${r}.key is not the ${r} key named in root v${rootVersion}`);
    }
    this.#online = online;
    this.#state = { root, targets, snapshot, timestamp, roles };
    return this;
  }

  async #read<K extends MetadataKind>(kind: K, file: string) {
    const path = join(this.layout.metadataDir, file);
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (err) {
      throw new RepoError(`${path}: cannot read (${(err as Error).message})`, { cause: err });
    }
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the kind picks the metadata type at run time
    return { md: parseMetadata(kind, bytes, path) as any, bytes } as Loaded<
      K extends MetadataKind.Root
        ? Root
        : K extends MetadataKind.Timestamp
          ? Timestamp
          : K extends MetadataKind.Snapshot
            ? Snapshot
            : Targets
    >;
  }

  get #s(): RepoState {
    if (!this.#state) throw new RepoError('repository not opened (call open() first)');
    return this.#state;
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }

  /** The newest root metadata and its exact bytes (what devices are enrolled with). */
  trustedRoot(): { metadata: Metadata<Root>; bytes: Buffer } {
    return { metadata: this.#s.root.md, bytes: this.#s.root.bytes };
  }

  versions(): {
    root: number;
    targets: number;
    snapshot: number;
    timestamp: number;
    roles: Record<string, number>;
  } {
    const s = this.#s;
    const roles: Record<string, number> = {};
    for (const [r, l] of s.roles) roles[r] = l.md.signed.version;
    return {
      root: s.root.md.signed.version,
      targets: s.targets.md.signed.version,
      snapshot: s.snapshot.md.signed.version,
      timestamp: s.timestamp.md.signed.version,
      roles,
    };
  }

  /** Expiry times of the online metadata, for monitoring. */
  onlineExpiry(): { snapshot: string; timestamp: string } {
    return { snapshot: this.#s.snapshot.md.signed.expires, timestamp: this.#s.timestamp.md.signed.expires };
  }

  siteGroups(): SiteGroupInfo[] {
    const roles = this.#s.targets.md.signed.delegations?.roles ?? {};
    return Object.values(roles).map((r) => ({
      siteGroup: siteGroupForRoleName(r.name),
      role: r.name,
      threshold: r.threshold,
      keyIds: [...r.keyIDs],
      version: this.#s.roles.get(r.name)?.md.signed.version ?? 0,
    }));
  }

  /** The delegation of a site group: its approver keys and threshold. */
  delegation(siteGroup: string): {
    role: string;
    threshold: number;
    keyIds: string[];
    keys: Record<string, Key>;
  } {
    const role = roleNameForSiteGroup(siteGroup);
    const d = this.#s.targets.md.signed.delegations;
    const r = d?.roles?.[role];
    if (!d || !r)
      throw new RepoError(
        `site group "${siteGroup}" is not delegated in targets (run "gatecast repo add-site-group")`,
      );
    const keys: Record<string, Key> = {};
    for (const id of r.keyIDs) if (d.keys[id]) keys[id] = d.keys[id];
    return { role, threshold: r.threshold, keyIds: [...r.keyIDs], keys };
  }

  /** The published metadata of a site group's role, or undefined before its first publication. */
  roleMetadata(siteGroup: string): Metadata<Targets> | undefined {
    return this.#s.roles.get(roleNameForSiteGroup(siteGroup))?.md;
  }

  /**
   * Delegates a site group to approver keys (offline: needs the top-level targets keys, at least
   * their threshold). The group's role appears in snapshot only once its first version is published.
   */
  addSiteGroup(opts: { siteGroup: string; approvers: Key[]; threshold?: number; targetsKeys: SigningKey[] }) {
    return this.#exclusive(async () => {
      const { siteGroup, approvers } = opts;
      const threshold = opts.threshold ?? 2;
      const role = roleNameForSiteGroup(siteGroup);
      const s = this.#s;
      const ids = [...new Set(approvers.map((k) => k.keyID))];
      if (ids.length !== approvers.length) throw new RepoError('the same approver key is listed twice');
      if (threshold < 1 || threshold > ids.length)
        throw new RepoError(`threshold ${threshold} must be between 1 and the ${ids.length} approver keys`);
      const current = s.targets.md.signed.toJSON() as Record<string, unknown> & {
        delegations?: { keys: Record<string, unknown>; roles: { name: string; paths?: string[] }[] };
      };
      const delegations = current.delegations ?? { keys: {}, roles: [] };
      for (const r of delegations.roles) {
        if (r.name === role) throw new RepoError(`site group "${siteGroup}" is already delegated`);
        const other = siteGroupForRoleName(r.name);
        if (other.startsWith(`${siteGroup}/`) || siteGroup.startsWith(`${other}/`))
          throw new RepoError(`site group "${siteGroup}" overlaps the existing site group "${other}"`);
      }
      for (const k of approvers) delegations.keys[k.keyID] = keyJson(k);
      delegations.roles.push({
        name: role,
        keyids: ids,
        threshold,
        terminating: true,
        paths: delegationPaths(siteGroup),
      } as never);
      const now = this.#clock.now();
      const next = Metadata.fromJSON(MetadataKind.Targets, {
        signed: {
          ...current,
          version: s.targets.md.signed.version + 1,
          expires: tufTime(now + this.expiries.targetsMs),
          delegations,
        },
        signatures: [],
      } as never);
      signWith(next, opts.targetsKeys);
      this.#requireThreshold(
        'targets',
        next,
        s.root.md.signed.roles['targets']?.keyIDs ?? [],
        s.root.md.signed.keys,
        s.root.md.signed.roles['targets']?.threshold ?? 1,
      );
      const bytes = serializeMetadata(next);
      await writeFileAtomic(
        join(this.layout.metadataDir, metadataFileName('targets', next.signed.version)),
        bytes,
      );
      await this.#commit({ targets: { md: next, bytes } }, now);
      this.#log.info('site group delegated', { siteGroup, role, threshold, approvers: ids });
    });
  }

  /**
   * Re-signs top-level targets (same delegations, next version, fresh expiry) with the offline
   * targets keys. Delegated roles are renewed by publishing a new draft of the same content.
   */
  resignTargets(opts: { targetsKeys: SigningKey[] }) {
    return this.#exclusive(async () => {
      const s = this.#s;
      const now = this.#clock.now();
      const next = this.#nextTargets(s.targets.md, now, opts.targetsKeys, s.root.md);
      await writeFileAtomic(
        join(this.layout.metadataDir, metadataFileName('targets', next.md.signed.version)),
        next.bytes,
      );
      await this.#commit({ targets: next }, now);
      this.#log.info('targets re-signed', {
        version: next.md.signed.version,
        expires: next.md.signed.expires,
      });
      return { version: next.md.signed.version, expires: next.md.signed.expires };
    });
  }

  #nextTargets(
    current: Metadata<Targets>,
    now: number,
    keys: SigningKey[],
    root: Metadata<Root>,
  ): Loaded<Targets> {
    const md = Metadata.fromJSON(MetadataKind.Targets, {
      signed: {
        ...current.signed.toJSON(),
        version: current.signed.version + 1,
        expires: tufTime(now + this.expiries.targetsMs),
      },
      signatures: [],
    } as never);
    signWith(md, keys);
    const role = root.signed.roles['targets'];
    this.#requireThreshold('targets', md, role?.keyIDs ?? [], root.signed.keys, role?.threshold ?? 1);
    return { md, bytes: serializeMetadata(md) };
  }

  /**
   * Writes the next root version (offline): fresh expiry, optionally new root keys/threshold and new
   * targets keys. It carries the signatures clients demand: the current root's threshold and the
   * new root's own threshold. With new targets keys, targets is re-signed by them in the same change.
   * The online snapshot/timestamp keys stay as they are.
   */
  rotateRoot(opts: {
    currentRootKeys: SigningKey[];
    newRootKeys?: SigningKey[];
    newRootThreshold?: number;
    newTargetsKeys?: SigningKey[];
    newTargetsThreshold?: number;
  }) {
    return this.#exclusive(async () => {
      const s = this.#s;
      const now = this.#clock.now();
      const cur = s.root.md.signed;
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
          expires: tufTime(now + this.expiries.rootMs),
          keys,
          roles,
        },
        signatures: [],
      } as never);
      const signers = new Map([...opts.currentRootKeys, ...rootKeys].map((k) => [k.keyId, k]));
      signWith(next, [...signers.values()]);
      for (const [label, trusted] of [
        ['current root', s.root.md],
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
      const rootBytes = serializeMetadata(next);
      let targets: Loaded<Targets> | undefined;
      if (opts.newTargetsKeys) {
        targets = this.#nextTargets(s.targets.md, now, opts.newTargetsKeys, next);
        await writeFileAtomic(
          join(this.layout.metadataDir, metadataFileName('targets', targets.md.signed.version)),
          targets.bytes,
        );
      }
      await this.#commit({ root: { md: next, bytes: rootBytes }, ...(targets ? { targets } : {}) }, now);
      this.#log.info('root rotated', {
        version: next.signed.version,
        rootKeys: ids(rootKeys),
        rootThreshold,
      });
      return { version: next.signed.version, expires: next.signed.expires };
    });
  }

  #requireThreshold(
    role: string,
    md: Metadata<Targets>,
    keyIds: readonly string[],
    keys: Record<string, Key>,
    threshold: number,
  ): string[] {
    for (const id of Object.keys(md.signatures)) {
      if (!keyIds.includes(id))
        throw new SignatureRejectedError(
          `${role}: signature by key ${id}, which is not a ${role} key`,
          'unknown-key',
        );
    }
    const ok = validSignatures(md, keyIds, keys);
    const bad = Object.keys(md.signatures).filter((id) => !ok.includes(id));
    if (bad.length)
      throw new SignatureRejectedError(
        `${role}: signature by key ${bad[0]} does not verify`,
        'bad-signature',
      );
    if (ok.length < threshold)
      throw new ThresholdError(
        `${role}: ${ok.length} valid signature(s), threshold is ${threshold}`,
        ok.length,
        threshold,
      );
    return ok;
  }

  /**
   * The next version of a site group's role listing exactly `targets`, unsigned: what approvers sign.
   * Throws RepoError naming the first target path that cannot belong to the group.
   */
  buildRoleMetadata(
    siteGroup: string,
    targets: { path: string; length: number; sha256: string }[],
  ): Metadata<Targets> {
    this.delegation(siteGroup);
    const problems = targets.map((t) => siteGroupTargetProblem(siteGroup, t.path)).filter(Boolean);
    if (problems.length) throw new RepoError(problems[0] as string);
    const current = this.roleMetadata(siteGroup);
    const t: Record<string, unknown> = {};
    for (const target of targets)
      t[target.path] = { length: target.length, hashes: { sha256: target.sha256 } };
    return Metadata.fromJSON(MetadataKind.Targets, {
      signed: {
        _type: 'targets',
        spec_version: '1.0.31',
        version: (current?.signed.version ?? 0) + 1,
        expires: tufTime(this.#clock.now() + this.expiries.roleMs),
        targets: t,
      },
      signatures: [],
    } as never);
  }

  /**
   * Checks one signature over a role's next metadata against the site group's approver keys.
   * Throws SignatureRejectedError: unknown-key, duplicate (already on `md`), bad-signature.
   */
  checkApproverSignature(
    siteGroup: string,
    md: Metadata<Targets>,
    sig: { keyid: string; sig: string },
  ): void {
    const d = this.delegation(siteGroup);
    const key = d.keys[sig.keyid];
    if (!key || !d.keyIds.includes(sig.keyid))
      throw new SignatureRejectedError(
        `key ${sig.keyid} is not an approver key of site group "${siteGroup}"`,
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

  /**
   * Publishes the next version of a site group's role: checks it is exactly the next version, that
   * approvers' signatures meet the threshold, and every target's bytes (length + sha256); installs
   * the target files, writes the role metadata, then snapshot and timestamp.
   * `sources` must cover every target whose hashed file is not already in the repository.
   */
  publishRole(siteGroup: string, md: Metadata<Targets>, sources: TargetSource[]) {
    return this.#exclusive(async () => {
      const d = this.delegation(siteGroup);
      const current = this.#s.roles.get(d.role);
      const expected = (current?.md.signed.version ?? 0) + 1;
      if (md.signed.version !== expected)
        throw new RepoError(
          `site group "${siteGroup}": version ${md.signed.version} cannot be published, the next version is ${expected}`,
        );
      if (md.signed.delegations)
        throw new RepoError(`site group "${siteGroup}": a site group role may not delegate`);
      const signers = this.#requireThreshold(`site group "${siteGroup}"`, md, d.keyIds, d.keys, d.threshold);
      const bySource = new Map(sources.map((s) => [s.path, s]));
      const installs: { target: TargetFile; dest: string; source?: TargetSource }[] = [];
      for (const target of Object.values(md.signed.targets)) {
        const problem = siteGroupTargetProblem(siteGroup, target.path);
        if (problem) throw new RepoError(problem);
        const sha = target.hashes['sha256'];
        if (!sha || !/^[0-9a-f]{64}$/.test(sha))
          throw new RepoError(`target "${target.path}" has no sha256 hash`);
        const dest = join(this.layout.targetsDir, hashedTargetPath(target.path, sha));
        const source = bySource.get(target.path);
        if (source) await verifySource(source, target);
        else if (!(await exists(dest)))
          throw new RepoError(`target "${target.path}": no file supplied and none in the repository`);
        installs.push({ target, dest, ...(source ? { source } : {}) });
      }
      let installed = 0;
      for (const i of installs) if (i.source && (await installTarget(i.source, i.dest))) installed++;
      const bytes = serializeMetadata(md);
      await writeFileAtomic(
        join(this.layout.metadataDir, metadataFileName(d.role, md.signed.version)),
        bytes,
      );
      const now = this.#clock.now();
      await this.#commit({ role: { name: d.role, loaded: { md, bytes } } }, now);
      this.#log.info('site group published', {
        siteGroup,
        version: md.signed.version,
        targets: installs.length,
        newFiles: installed,
        signers,
      });
      return { version: md.signed.version, targets: installs.length, newFiles: installed };
    });
  }

  /**
   * Writes a new snapshot (with the given targets/role changes) and a new timestamp, then updates
   * the in-memory state. Called inside the queue.
   */
  async #commit(
    change: {
      root?: Loaded<Root>;
      targets?: Loaded<Targets>;
      role?: { name: string; loaded: Loaded<Targets> };
    },
    now: number,
  ): Promise<void> {
    const s = this.#s;
    const online = this.#online as OnlineKeys;
    const targets = change.targets ?? s.targets;
    const roles = new Map(s.roles);
    if (change.role) roles.set(change.role.name, change.role.loaded);
    const meta: Record<string, { version: number; bytes: Buffer }> = {
      'targets.json': { version: targets.md.signed.version, bytes: targets.bytes },
    };
    for (const [name, l] of roles) meta[`${name}.json`] = { version: l.md.signed.version, bytes: l.bytes };
    const snapshot = buildSnapshot(s.snapshot.md.signed.version + 1, now + this.expiries.snapshotMs, meta);
    signWith(snapshot, [online.snapshot]);
    const snapshotBytes = serializeMetadata(snapshot);
    await writeFileAtomic(
      join(this.layout.metadataDir, metadataFileName('snapshot', snapshot.signed.version)),
      snapshotBytes,
    );
    const root = change.root ?? s.root;
    if (change.root) {
      // Written after everything it vouches for and just before the commit point.
      await writeFileAtomic(
        join(this.layout.metadataDir, metadataFileName('root', root.md.signed.version)),
        root.bytes,
      );
      await writeFileAtomic(join(this.layout.metadataDir, 'root.json'), root.bytes);
    }
    const timestamp = await this.#writeTimestamp(snapshot.signed.version, snapshotBytes, now);
    this.#state = { ...s, root, targets, roles, snapshot: { md: snapshot, bytes: snapshotBytes }, timestamp };
  }

  async #writeTimestamp(
    snapshotVersion: number,
    snapshotBytes: Buffer,
    now: number,
  ): Promise<Loaded<Timestamp>> {
    const timestamp = buildTimestamp(
      this.#s.timestamp.md.signed.version + 1,
      now + this.expiries.timestampMs,
      snapshotVersion,
      snapshotBytes,
    );
    signWith(timestamp, [(this.#online as OnlineKeys).timestamp]);
    const bytes = serializeMetadata(timestamp);
    await writeFileAtomic(join(this.layout.metadataDir, 'timestamp.json'), bytes);
    return { md: timestamp, bytes };
  }

  /**
   * Re-signs snapshot and/or timestamp when less than half their lifetime is left at `now`
   * (a new snapshot always brings a new timestamp). Idempotent: calling it again right away does
   * nothing.
   */
  refreshOnlineMetadata(now: number = this.#clock.now()): Promise<RefreshResult> {
    return this.#exclusive(async () => {
      const s = this.#s;
      const left = (expires: string) => Date.parse(expires) - now;
      const result: RefreshResult = { snapshot: false, timestamp: false, expiringOffline: [] };
      if (left(s.snapshot.md.signed.expires) < this.expiries.snapshotMs * RESIGN_WHEN_LEFT) {
        await this.#commit({}, now);
        result.snapshot = true;
        result.timestamp = true;
      } else if (left(s.timestamp.md.signed.expires) < this.expiries.timestampMs * RESIGN_WHEN_LEFT) {
        const timestamp = await this.#writeTimestamp(s.snapshot.md.signed.version, s.snapshot.bytes, now);
        this.#state = { ...s, timestamp };
        result.timestamp = true;
      }
      const offline: [string, string][] = [
        ['root', s.root.md.signed.expires],
        ['targets', s.targets.md.signed.expires],
        ...[...s.roles].map(([r, l]): [string, string] => [r, l.md.signed.expires]),
      ];
      for (const [role, expires] of offline)
        if (left(expires) < OFFLINE_EXPIRY_WARNING_MS) result.expiringOffline.push({ role, expires });
      if (result.timestamp)
        this.#log.info('online metadata re-signed', { snapshot: result.snapshot, now: tufTime(now) });
      for (const e of result.expiringOffline) this.#log.warn('offline metadata expires soon: re-sign it', e);
      return result;
    });
  }

  /** Starts the re-signing loop (every `intervalMs`, default an eighth of the timestamp lifetime, at most 15 min). */
  start(intervalMs = Math.min(this.expiries.timestampMs / 8, 15 * 60 * 1000)): void {
    if (this.#timer) return;
    const tick = () => {
      this.refreshOnlineMetadata().catch((err) =>
        this.#log.error('re-signing online metadata failed', { err }),
      );
    };
    tick();
    this.#timer = setInterval(tick, intervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#queue;
  }
}

/** Checks metadata bytes against the length/hash the referring metadata records. */
function verifyMeta(meta: { verify(data: Buffer): void }, bytes: Buffer, file: string): void {
  try {
    meta.verify(bytes);
  } catch (err) {
    throw new RepoError(
      `${file}: does not match what the snapshot/timestamp records (${(err as Error).message})`,
      {
        cause: err,
      },
    );
  }
}

async function verifySource(source: TargetSource, target: TargetFile): Promise<void> {
  const got =
    'data' in source
      ? { sha256: sha256Hex(source.data), length: source.data.length }
      : await hashFile(source.file);
  if (got.length !== target.length)
    throw new RepoError(
      `target "${target.path}": file is ${got.length} bytes, metadata says ${target.length}`,
    );
  if (got.sha256 !== target.hashes['sha256'])
    throw new RepoError(
      `target "${target.path}": sha256 ${got.sha256} does not match the signed ${target.hashes['sha256']}`,
    );
}

/** Puts a target's bytes at its hashed name; false when it was already there (same hash, same bytes). */
async function installTarget(source: TargetSource, dest: string): Promise<boolean> {
  if (await exists(dest)) return false;
  await mkdirDurable(dirname(dest));
  if ('data' in source) {
    await writeFileAtomic(dest, source.data);
    return true;
  }
  if (source.move) {
    await rename(source.file, dest);
  } else {
    // A hard link costs no bytes; fall back to a synced copy across file systems.
    const tmp = `${dirname(dest)}/.install.${randomBytes(6).toString('hex')}.tmp`;
    try {
      await link(source.file, tmp);
    } catch {
      await copyFile(source.file, tmp);
      const fh = await open(tmp, 'r');
      await fh.sync();
      await fh.close();
    }
    await rename(tmp, dest);
  }
  await fsyncDir(dirname(dest));
  return true;
}

/** mkdir -p whose new directory entries survive a power cut (each new level's parent is fsynced). */
async function mkdirDurable(dir: string): Promise<void> {
  const first = await mkdir(dir, { recursive: true });
  if (!first) return;
  let d = dir;
  const created: string[] = [];
  while (d.length >= first.length) {
    created.push(d);
    d = dirname(d);
  }
  for (const c of created.reverse()) await fsyncDir(dirname(c));
}
