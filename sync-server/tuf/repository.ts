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
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
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
import { writeFileAtomic } from '../../platform/atomic-file.js';
import type { Clock } from '../../protocol/clock.js';
import { createLogger, type Logger } from '../../platform/log.js';
import { keyPairPaths, loadSigningKey, type SigningKey } from '../../platform/tuf-keys.js';
import { RepoError } from './errors.js';
import {
  hashedTargetPath,
  metadataFileName,
  type RepoLayout,
  repoLayout,
  roleNameForSiteGroup,
  siteGroupForRoleName,
  siteGroupTargetProblem,
} from './layout.js';
import {
  buildSnapshot,
  buildTimestamp,
  DEFAULT_EXPIRIES,
  type Expiries,
  type Loaded,
  OFFLINE_EXPIRY_WARNING_MS,
  type OnlineKeys,
  parseMetadata,
  requireThreshold,
  serializeMetadata,
  signWith,
  tufTime,
  verifyMeta,
} from './metadata.js';
import { parseReleaseTargetPath, RELEASES_ROLE } from '../../protocol/release.js';
import {
  checkApproverSignature,
  type Delegation,
  delegateReleases,
  delegateSiteGroup,
  nextRoot,
  nextTargets,
  type RotateRootOptions,
} from './role-changes.js';
import { exists, installTarget, type TargetSource, verifySource } from './target-files.js';

/** Online metadata is re-signed once less than this share of its lifetime is left. */
const RESIGN_WHEN_LEFT = 0.5;

interface RepoState {
  root: Loaded<Root>;
  targets: Loaded<Targets>;
  snapshot: Loaded<Snapshot>;
  timestamp: Loaded<Timestamp>;
  /** Delegated role name → its current metadata. */
  roles: Map<string, Loaded<Targets>>;
}

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
    return Object.values(roles)
      .filter((r) => r.name !== RELEASES_ROLE)
      .map((r) => ({
        siteGroup: siteGroupForRoleName(r.name),
        role: r.name,
        threshold: r.threshold,
        keyIds: [...r.keyIDs],
        version: this.#s.roles.get(r.name)?.md.signed.version ?? 0,
      }));
  }

  /** The delegation of a site group: its approver keys and threshold. */
  delegation(siteGroup: string): Delegation {
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
      const { siteGroup } = opts;
      const threshold = opts.threshold ?? 2;
      const s = this.#s;
      const now = this.#clock.now();
      const { loaded, role, approverIds } = delegateSiteGroup({
        targets: s.targets.md,
        root: s.root.md,
        siteGroup,
        approvers: opts.approvers,
        threshold,
        targetsKeys: opts.targetsKeys,
        expiresMs: now + this.expiries.targetsMs,
      });
      await writeFileAtomic(
        join(this.layout.metadataDir, metadataFileName('targets', loaded.md.signed.version)),
        loaded.bytes,
      );
      await this.#commit({ targets: loaded }, now);
      this.#log.info('site group delegated', { siteGroup, role, threshold, approvers: approverIds });
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
      const next = nextTargets(s.targets.md, now + this.expiries.targetsMs, opts.targetsKeys, s.root.md);
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

  /**
   * Writes the next root version (offline): fresh expiry, optionally new root keys/threshold and new
   * targets keys. It carries the signatures clients demand: the current root's threshold and the
   * new root's own threshold. With new targets keys, targets is re-signed by them in the same change.
   * The online snapshot/timestamp keys stay as they are.
   */
  rotateRoot(opts: RotateRootOptions) {
    return this.#exclusive(async () => {
      const s = this.#s;
      const now = this.#clock.now();
      const {
        loaded: root,
        rootKeyIds,
        rootThreshold,
      } = nextRoot(s.root.md, opts, now + this.expiries.rootMs);
      let targets: Loaded<Targets> | undefined;
      if (opts.newTargetsKeys) {
        targets = nextTargets(s.targets.md, now + this.expiries.targetsMs, opts.newTargetsKeys, root.md);
        await writeFileAtomic(
          join(this.layout.metadataDir, metadataFileName('targets', targets.md.signed.version)),
          targets.bytes,
        );
      }
      await this.#commit({ root, ...(targets ? { targets } : {}) }, now);
      this.#log.info('root rotated', {
        version: root.md.signed.version,
        rootKeys: rootKeyIds,
        rootThreshold,
      });
      return { version: root.md.signed.version, expires: root.md.signed.expires };
    });
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
    checkApproverSignature(siteGroup, this.delegation(siteGroup), md, sig);
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
      const r = await this.#publishDelegated(d, `site group "${siteGroup}"`, md, sources, (path) =>
        siteGroupTargetProblem(siteGroup, path),
      );
      this.#log.info('site group published', { siteGroup, ...r });
      return { version: r.version, targets: r.targets, newFiles: r.newFiles };
    });
  }

  /**
   * Checks and publishes the next version of a delegated role (inside the queue): exactly the next
   * version, no further delegation, the role's threshold of its approvers' signatures, every target
   * path allowed and its bytes (length + sha256) supplied or already in the repository.
   */
  async #publishDelegated(
    d: Delegation,
    label: string,
    md: Metadata<Targets>,
    sources: TargetSource[],
    pathProblem: (path: string) => string | undefined | null,
  ) {
    const current = this.#s.roles.get(d.role);
    const expected = (current?.md.signed.version ?? 0) + 1;
    if (md.signed.version !== expected)
      throw new RepoError(
        `${label}: version ${md.signed.version} cannot be published, the next version is ${expected}`,
      );
    if (md.signed.delegations) throw new RepoError(`${label}: a delegated role may not delegate`);
    const signers = requireThreshold(label, md, d.keyIds, d.keys, d.threshold);
    const bySource = new Map(sources.map((s) => [s.path, s]));
    const installs: { target: TargetFile; dest: string; source?: TargetSource }[] = [];
    for (const target of Object.values(md.signed.targets)) {
      const problem = pathProblem(target.path);
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
    await writeFileAtomic(join(this.layout.metadataDir, metadataFileName(d.role, md.signed.version)), bytes);
    const now = this.#clock.now();
    await this.#commit({ role: { name: d.role, loaded: { md, bytes } } }, now);
    return { version: md.signed.version, targets: installs.length, newFiles: installed, signers };
  }

  /**
   * Delegates `releases/*` to the release approvers' keys (offline: needs the top-level targets
   * keys): gatecast's own releases, apart from every site group's content approvers.
   */
  addReleasesRole(opts: { approvers: Key[]; threshold?: number; targetsKeys: SigningKey[] }) {
    return this.#exclusive(async () => {
      const threshold = opts.threshold ?? 2;
      const s = this.#s;
      const now = this.#clock.now();
      const { loaded, approverIds } = delegateReleases({
        targets: s.targets.md,
        root: s.root.md,
        approvers: opts.approvers,
        threshold,
        targetsKeys: opts.targetsKeys,
        expiresMs: now + this.expiries.targetsMs,
      });
      await writeFileAtomic(
        join(this.layout.metadataDir, metadataFileName('targets', loaded.md.signed.version)),
        loaded.bytes,
      );
      await this.#commit({ targets: loaded }, now);
      this.#log.info('releases role delegated', { threshold, approvers: approverIds });
    });
  }

  /** The releases role's keys and threshold. */
  releasesDelegation(): Delegation {
    const d = this.#s.targets.md.signed.delegations;
    const r = d?.roles?.[RELEASES_ROLE];
    if (!d || !r)
      throw new RepoError(
        'the releases role is not delegated in targets (run "gatecast repo add-releases-role")',
      );
    const keys: Record<string, Key> = {};
    for (const id of r.keyIDs) if (d.keys[id]) keys[id] = d.keys[id];
    return { role: RELEASES_ROLE, threshold: r.threshold, keyIds: [...r.keyIDs], keys };
  }

  /** The published releases metadata, or undefined before the first release. */
  releasesMetadata(): Metadata<Targets> | undefined {
    return this.#s.roles.get(RELEASES_ROLE)?.md;
  }

  /**
   * The next version of the releases role: every release already listed plus `added` (which replace
   * a listed path of the same name only if its bytes are the same), unsigned: what release approvers sign.
   */
  buildReleasesMetadata(added: { path: string; length: number; sha256: string }[]): Metadata<Targets> {
    this.releasesDelegation();
    const current = this.releasesMetadata();
    const t: Record<string, unknown> = {};
    for (const [path, f] of Object.entries(current?.signed.targets ?? {}))
      t[path] = { length: f.length, hashes: { ...f.hashes } };
    for (const a of added) {
      if (!parseReleaseTargetPath(a.path)) throw new RepoError(`"${a.path}" is not a release target path`);
      const old = current?.signed.targets[a.path];
      if (old && (old.length !== a.length || old.hashes['sha256'] !== a.sha256))
        throw new RepoError(`${a.path} is already published with other bytes: a release is never replaced`);
      t[a.path] = { length: a.length, hashes: { sha256: a.sha256 } };
    }
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

  /** Checks one release approver's signature over the next releases metadata (SignatureRejectedError). */
  checkReleaseSignature(md: Metadata<Targets>, sig: { keyid: string; sig: string }): void {
    checkApproverSignature(RELEASES_ROLE, this.releasesDelegation(), md, sig);
  }

  /** Publishes the next releases metadata once its signatures meet the release approvers' threshold. */
  publishReleases(md: Metadata<Targets>, sources: TargetSource[]) {
    return this.#exclusive(async () => {
      const d = this.releasesDelegation();
      const r = await this.#publishDelegated(d, 'the releases role', md, sources, (path) =>
        parseReleaseTargetPath(path) ? null : `"${path}" is not a release target path`,
      );
      this.#log.info('releases published', { ...r });
      return { version: r.version, targets: r.targets, newFiles: r.newFiles };
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
