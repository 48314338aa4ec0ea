/**
 * ContentSource over the on-disk store: the active bundle record plus the blob files behind it.
 * Files found damaged or missing (boot check, or a reader such as the page server while playing)
 * are set aside and reported unavailable until re-fetched; listeners of `onUnusable` hear of each
 * at once (the update client fetches it again, main.ts raises an event).
 */
import { existsSync } from 'node:fs';
import type { FileProblem } from '../../player/file-verdicts.js';
import type { Clock } from '../../protocol/clock.js';
import type { Logger } from '../../platform/log.js';
import type { BlobStore } from './blob-store.js';
import type { BundleRecord, BundleStore } from './bundle-store.js';
import type { ContentSource, InstalledBundle, TargetInfo } from './installed.js';
import { Listeners } from '../../protocol/listeners.js';

/** A file of the active bundle that was found unusable, and what became of it. */
export interface UnusableFile {
  targetPath: string;
  sha256: string;
  problem: FileProblem;
  /** Resumed from its verified length's prefix, quarantined, or already gone. */
  setAside: 'missing' | 'resume' | 'quarantined';
}

export class StoreContentSource implements ContentSource {
  private active: InstalledBundle | undefined;
  private activeRecord: BundleRecord | undefined;
  private readonly unavailable = new Set<string>();
  private readonly listeners = new Listeners<InstalledBundle>();
  private readonly unusableListeners = new Listeners<UnusableFile>();

  constructor(
    private readonly blobs: BlobStore,
    private readonly bundles: BundleStore,
    private readonly side: { clock: Clock; log: Logger } | undefined = undefined,
  ) {}

  current(): InstalledBundle | undefined {
    return this.active;
  }

  /** The record behind `current()`, for the installer. */
  currentRecord(): BundleRecord | undefined {
    return this.activeRecord;
  }

  onChange(listener: (bundle: InstalledBundle) => void): () => void {
    return this.listeners.subscribe(listener);
  }

  /** Each file of the active bundle found missing or damaged while running. */
  onUnusable(listener: (f: UnusableFile) => void): () => void {
    return this.unusableListeners.subscribe(listener);
  }

  /** Marks a blob unavailable (quarantined or missing) or available again. */
  setAvailable(sha256: string, isAvailable: boolean): void {
    if (isAvailable) this.unavailable.delete(sha256);
    else this.unavailable.add(sha256);
  }

  unavailableHashes(): ReadonlySet<string> {
    return this.unavailable;
  }

  /**
   * A reader found a file missing or not holding its verified bytes: stop offering it at once, set
   * it aside (resume a truncated one, quarantine the rest) and tell the listeners. Never throws.
   */
  reportUnusable(targetPath: string, sha256: string, problem: FileProblem): void {
    void this.setAside(targetPath, sha256, problem);
  }

  /**
   * What reportUnusable does, awaited: resolves once the file is set aside and the listeners told,
   * with where it went (undefined when it was already known, or is not a file of the active bundle).
   */
  async setAside(
    targetPath: string,
    sha256: string,
    problem: FileProblem,
  ): Promise<UnusableFile['setAside'] | undefined> {
    if (this.unavailable.has(sha256)) return undefined; // already known and being fetched again
    const ref = this.activeRecord?.targets[targetPath];
    if (!ref || ref.sha256 !== sha256) return undefined; // not (or no longer) a file of the active bundle
    this.unavailable.add(sha256);
    const now = this.side?.clock.now() ?? Date.now();
    const setAside = await this.blobs.setAside(sha256, ref.length, problem, now).catch((err: unknown) => {
      this.side?.log.error('could not set an unusable file aside', { targetPath, err });
      return 'missing' as const;
    });
    this.side?.log.error('installed file unusable while playing', { targetPath, setAside, ...problem });
    for (const l of this.unusableListeners) {
      try {
        l({ targetPath, sha256, problem, setAside });
      } catch (err) {
        this.side?.log.error('unusable-file listener failed', { err });
      }
    }
    return setAside;
  }

  /** Re-reads the pointer; tells listeners when the active bundle changed (or `force`). */
  async reload(force = false): Promise<InstalledBundle | undefined> {
    const { current } = await this.bundles.load();
    const changed =
      current?.version !== this.activeRecord?.version || current?.siteGroup !== this.activeRecord?.siteGroup;
    this.activeRecord = current;
    this.active = current ? this.toInstalled(current) : undefined;
    if ((changed || force) && this.active) for (const l of this.listeners) l(this.active);
    return this.active;
  }

  private toInstalled(record: BundleRecord): InstalledBundle {
    const targets = new Map<string, TargetInfo>(Object.entries(record.targets));
    const blobs = this.blobs;
    const unavailable = this.unavailable;
    const report = (path: string, sha256: string) =>
      this.activeRecord === record && this.reportUnusable(path, sha256, { kind: 'missing' });
    return {
      siteGroup: record.siteGroup,
      version: record.version,
      installedAt: record.installedAt,
      manifest: record.manifest,
      targets,
      filePath(targetPath: string): string | undefined {
        const ref = targets.get(targetPath);
        if (!ref || unavailable.has(ref.sha256)) return undefined;
        const path = blobs.blobPath(ref.sha256);
        if (existsSync(path)) return path;
        report(targetPath, ref.sha256); // deleted under us: fetch it again now, not at the next refresh
        return undefined;
      },
    };
  }
}
