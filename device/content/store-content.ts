/**
 * ContentSource over the on-disk store: the active bundle record plus the blob files behind it.
 * Files found damaged or missing (boot check) are reported as unavailable until re-fetched.
 */
import { existsSync } from 'node:fs';
import type { BlobStore } from './blob-store.js';
import type { BundleRecord, BundleStore } from './bundle-store.js';
import type { ContentSource, InstalledBundle, TargetInfo } from './installed.js';

export class StoreContentSource implements ContentSource {
  private active: InstalledBundle | undefined;
  private activeRecord: BundleRecord | undefined;
  private readonly unavailable = new Set<string>();
  private readonly listeners = new Set<(b: InstalledBundle) => void>();

  constructor(
    private readonly blobs: BlobStore,
    private readonly bundles: BundleStore,
  ) {}

  current(): InstalledBundle | undefined {
    return this.active;
  }

  /** The record behind `current()`, for the installer. */
  currentRecord(): BundleRecord | undefined {
    return this.activeRecord;
  }

  onChange(listener: (bundle: InstalledBundle) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Marks a blob unavailable (quarantined or missing) or available again. */
  setAvailable(sha256: string, isAvailable: boolean): void {
    if (isAvailable) this.unavailable.delete(sha256);
    else this.unavailable.add(sha256);
  }

  unavailableHashes(): ReadonlySet<string> {
    return this.unavailable;
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
        return existsSync(path) ? path : undefined;
      },
    };
  }
}
