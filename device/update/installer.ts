/**
 * One update: full TUF refresh → the site group's bundle manifest (a target) → every media target
 * it names → quota check → resumable downloads into the content-addressed store, each verified
 * against the refreshed metadata → stage the bundle record → one atomic pointer switch → collect
 * blobs no longer referenced by the current or previous bundle.
 *
 * Any refusal happens before the switch, so the old bundle stays active and nothing half-installed
 * is ever visible. Installing needs a refresh that fully succeeded; playing never does.
 */
import { mkdir, readFile } from 'node:fs/promises';
import type { Clock } from '../../protocol/clock.js';
import {
  bundleManifestPath,
  mediaTargets,
  parseBundleManifest,
  targetPathProblem,
} from '../../protocol/content.js';
import { isContentError } from '../../protocol/errors.js';
import type { Logger } from '../../platform/log.js';
import type { BlobStore } from '../content/blob-store.js';
import type { BundleRecord, BundleStore } from '../content/bundle-store.js';
import { type DiskReserve, type FreeSpace, reserveBytes } from '../content/free-space.js';
import type { StoreContentSource } from '../content/store-content.js';
import { downloadResumable } from './downloader.js';
import { isUpdateError, UpdateError } from './errors.js';
import { DEFAULT_TRANSFER_LIMITS, type HttpOptions, refreshBudget, type TransferLimits } from './http.js';
import type { TufClient, TufSession, VerifiedTarget } from './tuf.js';

export interface InstallerDeps {
  tuf: TufClient;
  blobs: BlobStore;
  bundles: BundleStore;
  content: StoreContentSource;
  clock: Clock;
  log: Logger;
  siteGroup: string;
  storeQuotaBytes: number;
  /** Real free space of the data disk and the reserve downloads leave free (none: quota only). */
  disk?: { freeSpace: FreeSpace; reserve: DiskReserve };
  http?: HttpOptions;
  /** Budgets and throughput floor of the refresh, its metadata files and its target downloads. */
  transfer?: TransferLimits;
  /** Called at each step; the crash test and progress reporting hook in here. */
  onStep?: (step: InstallStep, detail?: string) => void | Promise<void>;
}

export type InstallStep = 'refreshed' | 'downloading' | 'downloaded' | 'staged' | 'activated' | 'collected';

export interface InstallResult {
  /** The role version the verified metadata offers now. */
  latestVersion: number;
  /** The version active after this update. */
  installedVersion: number;
  /** True if a new bundle was switched to. */
  changed: boolean;
  /** Targets fetched (new, or re-fetched after quarantine). */
  fetched: string[];
}

export class Installer {
  /** The running update's refresh budget (updates never overlap: UpdateClient runs one at a time). */
  private signal: AbortSignal | undefined;

  constructor(private readonly deps: InstallerDeps) {}

  /**
   * One update within the refresh budget. When a budget or the throughput floor stops it, the
   * installed bundle stays active and partial downloads stay for the next update to resume.
   */
  async update(): Promise<InstallResult> {
    const budget = refreshBudget(this.limits.refreshBudgetMs);
    this.signal = budget.signal;
    try {
      return await this.updateWithinBudget(budget.signal);
    } finally {
      budget.end();
      this.signal = undefined;
    }
  }

  private get limits(): TransferLimits {
    return this.deps.transfer ?? DEFAULT_TRANSFER_LIMITS;
  }

  private async updateWithinBudget(signal: AbortSignal): Promise<InstallResult> {
    const d = this.deps;
    const session = await d.tuf.refresh(signal);
    await d.onStep?.('refreshed');
    const manifestPath = bundleManifestPath(d.siteGroup);
    const manifestTarget = await this.verifiedTarget(session, manifestPath);
    // The bundle's version is that of the role the approvers signed it in.
    const latestVersion = manifestTarget.roleVersion;
    const installed = d.content.currentRecord();
    const sameGroup = installed?.siteGroup === d.siteGroup;
    if (sameGroup && installed && latestVersion < installed.version)
      throw new UpdateError(
        'BUNDLE_ROLLBACK',
        `repository offers ${d.siteGroup} version ${latestVersion}, older than installed version ${installed.version}`,
      );
    if (sameGroup && installed && latestVersion === installed.version) {
      const fetched = await this.repairCurrent(session, installed);
      return { latestVersion, installedVersion: installed.version, changed: false, fetched };
    }

    // The manifest itself is a verified blob; read it back only from the store.
    const fetched: string[] = [];
    await this.checkQuota([manifestTarget], installed, false);
    if (await this.ensureBlob(manifestTarget)) fetched.push(manifestPath);
    const manifest = await this.readManifest(manifestTarget);
    const paths = mediaTargets(manifest);
    for (const p of paths) {
      const why = targetPathProblem(p);
      if (why) throw new UpdateError('TARGET_PATH_UNSAFE', `bundle ${manifestPath}: ${why}`);
    }
    const targets: VerifiedTarget[] = [];
    for (const p of paths) targets.push(await this.verifiedTarget(session, p));
    await this.checkQuota([manifestTarget, ...targets], installed, true);
    await d.onStep?.('downloading');
    for (const t of targets) if (await this.ensureBlob(t)) fetched.push(t.path);
    await d.onStep?.('downloaded');

    const record: BundleRecord = {
      schema: 1,
      siteGroup: d.siteGroup,
      version: latestVersion,
      installedAt: new Date(d.clock.now()).toISOString(),
      manifestTarget: { path: manifestPath, sha256: manifestTarget.sha256, length: manifestTarget.length },
      manifest,
      targets: Object.fromEntries(targets.map((t) => [t.path, { sha256: t.sha256, length: t.length }])),
    };
    await d.bundles.stage(record);
    await d.onStep?.('staged');
    await d.bundles.activate(record.version);
    await d.onStep?.('activated');
    for (const t of targets) d.content.setAvailable(t.sha256, true);
    await d.content.reload();
    d.log.info('bundle installed', {
      siteGroup: d.siteGroup,
      version: record.version,
      fetched: fetched.length,
    });
    await this.collect();
    await d.onStep?.('collected');
    return { latestVersion, installedVersion: record.version, changed: true, fetched };
  }

  /** Re-fetches files of the active bundle that are missing or were quarantined. */
  private async repairCurrent(session: TufSession, record: BundleRecord): Promise<string[]> {
    const d = this.deps;
    const fetched: string[] = [];
    const missing: VerifiedTarget[] = [];
    const refs: [string, { sha256: string; length: number }][] = [
      [record.manifestTarget.path, record.manifestTarget],
      ...Object.entries(record.targets),
    ];
    for (const [path, ref] of refs) {
      if (!d.content.unavailableHashes().has(ref.sha256)) {
        const verdict = await d.blobs.verify(ref.sha256, ref.length);
        if (verdict === true) continue;
        // Found here, not by the player: set aside (a truncated file is resumed) and told all the same.
        await d.content.setAside(path, ref.sha256, verdict);
      }
      const t = await this.verifiedTarget(session, path);
      if (t.sha256 !== ref.sha256 || t.length !== ref.length)
        throw new UpdateError('METADATA_MISMATCH', `${path} changed in metadata without a version change`);
      missing.push(t);
    }
    if (missing.length === 0) return fetched;
    await this.checkQuota(missing, record, true);
    for (const t of missing) {
      if (await this.ensureBlob(t)) fetched.push(t.path);
      d.content.setAvailable(t.sha256, true);
    }
    d.log.info('re-fetched damaged or missing files', { files: fetched });
    await d.content.reload(true);
    return fetched;
  }

  private async verifiedTarget(session: TufSession, path: string): Promise<VerifiedTarget> {
    const t = await session.target(path);
    if (!t) throw new UpdateError('TARGET_NOT_FOUND', `no trusted role lists target ${path}`);
    return t;
  }

  /** Downloads a target into the store unless present. Returns true if it fetched anything. */
  private async ensureBlob(t: VerifiedTarget): Promise<boolean> {
    const { blobs, http } = this.deps;
    if (await blobs.has(t.sha256, t.length)) return false;
    const { targetBudgetMs, minBytesPerSecond, throughputWindowMs } = this.limits;
    const spaceGuard = this.deps.disk ? (n: number) => this.checkSpace(t.path, n) : undefined;
    const download = () =>
      downloadResumable(t.url, t, blobs.partialPath(t.sha256), {
        ...http,
        ...(spaceGuard ? { spaceGuard } : {}),
        guard: { budgetMs: targetBudgetMs, minBytesPerSecond, throughputWindowMs },
        ...(this.signal ? { signal: this.signal } : {}),
      });
    const resumed = (await blobs.partialBytes(t.sha256)) > 0;
    try {
      await download();
    } catch (err) {
      // A kept prefix (a cut download, a truncated blob set aside) is proved only by the whole file's
      // hash; when that fails the downloader has deleted it, and one full fetch follows at once.
      if (!(resumed && isUpdateError(err) && err.code === 'TARGET_HASH_MISMATCH')) throw err;
      this.deps.log.warn('resumed download failed its hash; fetching it again in full', { target: t.path });
      await download();
    }
    await blobs.adopt(t.sha256);
    return true;
  }

  private async readManifest(t: VerifiedTarget) {
    const path = this.deps.blobs.blobPath(t.sha256);
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(path, 'utf8'));
    } catch (err) {
      throw new UpdateError('BUNDLE_INVALID', `${t.path} is not valid JSON`, { cause: err });
    }
    // Name an escaping path as such, before the content model's own (more general) complaint.
    for (const p of rawMediaPaths(raw)) {
      const why = targetPathProblem(p);
      if (why) throw new UpdateError('TARGET_PATH_UNSAFE', `bundle ${t.path}: ${why}`);
    }
    try {
      const m = parseBundleManifest(raw);
      if (m.siteGroup !== this.deps.siteGroup)
        throw new UpdateError(
          'BUNDLE_INVALID',
          `${t.path} is for site group ${m.siteGroup}, not ${this.deps.siteGroup}`,
        );
      return m;
    } catch (err) {
      if (isContentError(err))
        throw new UpdateError('BUNDLE_INVALID', `${t.path}: ${err.message}`, { cause: err });
      throw err;
    }
  }

  /**
   * Refuses, before any download, an install that would push the store past its quota. With
   * `collectFirst`, blobs and partial downloads that neither the current, the previous nor the new
   * bundle need are removed first (not before the full target list is known: a partial download of
   * the new bundle must survive).
   */
  private async checkQuota(
    wanted: VerifiedTarget[],
    installed: BundleRecord | undefined,
    collectFirst: boolean,
  ): Promise<void> {
    const { blobs, bundles, storeQuotaBytes } = this.deps;
    if (collectFirst) {
      const keep = new Set(wanted.map((t) => t.sha256));
      const { current, previous } = await bundles.load();
      for (const r of [current ?? installed, previous]) if (r) for (const h of hashesOf(r)) keep.add(h);
      await blobs.collect(keep);
    }
    let needed = 0;
    const seen = new Set<string>();
    for (const t of wanted) {
      if (seen.has(t.sha256)) continue;
      seen.add(t.sha256);
      if (await blobs.has(t.sha256, t.length)) continue;
      needed += t.length - (await blobs.partialBytes(t.sha256));
    }
    const used = await blobs.usageBytes();
    if (used + needed > storeQuotaBytes)
      throw new UpdateError(
        'STORE_QUOTA_EXCEEDED',
        `installing needs ${needed} more bytes; the store holds ${used} of its ${storeQuotaBytes}-byte quota`,
      );
    await this.checkSpace('installing', needed);
  }

  /**
   * Refuses to write `bytes` more when the data disk's real free space would fall into the reserve
   * (the quota alone ignores what else fills the disk: logs, the database, Chromium's cache).
   */
  private async checkSpace(what: string, bytes: number): Promise<void> {
    const disk = this.deps.disk;
    if (!disk) return;
    await mkdir(this.deps.blobs.root, { recursive: true });
    const space = await disk.freeSpace.read(this.deps.blobs.root);
    const reserve = reserveBytes(space.totalBytes, disk.reserve);
    if (space.freeBytes - bytes < reserve)
      throw new UpdateError(
        'DISK_SPACE_LOW',
        `${what} needs ${bytes} more bytes; the data disk has ${space.freeBytes} free and keeps ${reserve} in reserve`,
      );
  }

  /** Keeps blobs of the current and previous bundles; deletes everything else. */
  async collect(): Promise<string[]> {
    const { blobs, bundles } = this.deps;
    await bundles.prune();
    const { current, previous } = await bundles.load();
    const keep = new Set<string>();
    for (const r of [current, previous]) if (r) for (const h of hashesOf(r)) keep.add(h);
    return blobs.collect(keep);
  }
}

/** Every string under a `src`, `poster`, `entry` or `assets` key of the raw manifest's items. */
function rawMediaPaths(raw: unknown): string[] {
  const items = (raw as { items?: unknown } | null)?.items;
  if (!Array.isArray(items)) return [];
  const out: string[] = [];
  for (const item of items) {
    const variants = (item as { variants?: unknown } | null)?.variants;
    if (!variants || typeof variants !== 'object') continue;
    for (const v of Object.values(variants as Record<string, unknown>)) {
      if (!v || typeof v !== 'object') continue;
      const rec = v as Record<string, unknown>;
      for (const key of ['src', 'poster', 'entry'])
        if (typeof rec[key] === 'string') out.push(rec[key] as string);
      if (Array.isArray(rec['assets'])) for (const a of rec['assets']) if (typeof a === 'string') out.push(a);
    }
  }
  return out;
}

function hashesOf(r: BundleRecord): string[] {
  return [r.manifestTarget.sha256, ...Object.values(r.targets).map((t) => t.sha256)];
}

/**
 * Boot check: re-hashes every file of the active bundle. A damaged one is moved to quarantine and
 * reported unavailable (the player skips it) until a successful refresh fetches it again.
 */
export async function checkInstalledContent(deps: {
  blobs: BlobStore;
  content: StoreContentSource;
  clock: Clock;
  log: Logger;
}): Promise<{ checked: number; damaged: string[]; missing: string[] }> {
  const { blobs, content, clock, log } = deps;
  const record = content.currentRecord();
  const result = { checked: 0, damaged: [] as string[], missing: [] as string[] };
  if (!record) return result;
  const refs = [
    record.manifestTarget,
    ...Object.entries(record.targets).map(([path, r]) => ({ path, ...r })),
  ];
  for (const ref of refs) {
    // Through the store's verdicts: the page server and has() reuse what the boot check hashed.
    const verdict = await blobs.verify(ref.sha256, ref.length);
    result.checked++;
    if (verdict === true) {
      content.setAvailable(ref.sha256, true);
    } else if (verdict.kind === 'missing') {
      result.missing.push(ref.path);
      content.setAvailable(ref.sha256, false);
      log.warn('installed file missing', { target: ref.path, sha256: ref.sha256 });
    } else {
      const to = await blobs.setAside(ref.sha256, ref.length, verdict, clock.now());
      result.damaged.push(ref.path);
      content.setAvailable(ref.sha256, false);
      log.error('installed file damaged; set aside', { target: ref.path, to, ...verdict });
    }
  }
  return result;
}
