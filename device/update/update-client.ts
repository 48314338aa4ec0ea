/**
 * The device's update loop: at start, the boot check of installed content (no network); then a
 * refresh + install now, every `refreshIntervalMs`, and whenever the server says there is an update
 * (`refreshNow()`). A failed refresh is retried with capped exponential backoff; the installed
 * bundle keeps playing throughout. `status()` feeds the health report.
 */
import { join } from 'node:path';
import { backoffDelayMs } from '../../protocol/backoff.js';
import type { Clock } from '../../protocol/clock.js';
import type { Logger } from '../../platform/log.js';
import { BlobStore } from '../content/blob-store.js';
import { BundleStore } from '../content/bundle-store.js';
import type { ContentSource } from '../content/installed.js';
import { StoreContentSource, type UnusableFile } from '../content/store-content.js';
import { type DiskReserve, type FreeSpace, isDiskFullError } from '../content/free-space.js';
import { isUpdateError, type UpdateErrorCode } from './errors.js';
import type { HttpOptions, TransferLimits } from './http.js';
import { checkInstalledContent, Installer, type InstallResult, type InstallStep } from './installer.js';
import { TufClient } from './tuf.js';

export interface UpdateClientOptions {
  dataDir: string;
  siteGroup: string;
  /** Repository metadata base URL, e.g. https://server/tuf/metadata */
  metadataUrl: string;
  /** Repository targets base URL, e.g. https://server/tuf/targets */
  targetBaseUrl: string;
  /** The trusted root.json given at enrolment. */
  enrolmentRootFile: string;
  refreshIntervalMs: number;
  storeQuotaBytes: number;
  /** Real free space and the download reserve (device config `update.diskReserve*`). */
  disk?: { freeSpace: FreeSpace; reserve: DiskReserve };
  /** First retry delay after a failure; doubles up to refreshIntervalMs. */
  retryBaseMs?: number;
  http?: HttpOptions;
  /** Budgets and throughput floor (device config `update.*`); defaults otherwise. */
  transferLimits?: TransferLimits;
  clock: Clock;
  log: Logger;
  onStep?: (step: InstallStep, detail?: string) => void | Promise<void>;
}

export interface UpdateStatus {
  installedVersion?: number;
  latestSeenVersion?: number;
  /** ISO time of the last refresh that fully succeeded. */
  lastSuccessAt?: string;
  lastError?: { code: UpdateErrorCode | 'UNEXPECTED'; message: string; at: string };
  /** The last update stopped for lack of disk space (DISK_FULL / DISK_SPACE_LOW); cleared by a success. */
  diskFault?: { code: 'DISK_FULL' | 'DISK_SPACE_LOW'; message: string; at: string };
  consecutiveFailures: number;
  /** Targets of the active bundle that are missing or quarantined. */
  unavailableFiles: number;
  refreshing: boolean;
}

export type UpdateEvent =
  | { type: 'installed'; version: number; fetched: string[] }
  /** A file of the active bundle was found missing or damaged while playing; it is being re-fetched. */
  | ({ type: 'file-unusable' } & UnusableFile)
  | { type: 'refreshed'; latestVersion: number }
  | { type: 'failed'; code: string; message: string; retryInMs: number };

export const DEFAULT_RETRY_BASE_MS = 30_000;

/** Delay before the next attempt after `failures` consecutive failures (pure). */
export function nextRefreshDelayMs(failures: number, intervalMs: number, retryBaseMs: number): number {
  if (failures <= 0) return intervalMs;
  return backoffDelayMs(failures - 1, { baseMs: retryBaseMs, maxMs: intervalMs });
}

export class UpdateClient {
  private readonly blobs: BlobStore;
  private readonly bundles: BundleStore;
  private readonly store: StoreContentSource;
  private readonly tuf: TufClient;
  private readonly installer: Installer;
  private readonly listeners = new Set<(e: UpdateEvent) => void>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<InstallResult | undefined> | undefined;
  private again = false;
  private started = false;
  private loaded = false;
  private readonly state: UpdateStatus = { consecutiveFailures: 0, unavailableFiles: 0, refreshing: false };

  constructor(private readonly opts: UpdateClientOptions) {
    const contentRoot = join(opts.dataDir, 'content');
    this.blobs = new BlobStore(contentRoot);
    this.bundles = new BundleStore(contentRoot);
    this.store = new StoreContentSource(this.blobs, this.bundles, { clock: opts.clock, log: opts.log });
    // How both fetch from the repository: the HTTP client and the transfer limits, where given.
    const transport = {
      ...(opts.http ? { http: opts.http } : {}),
      ...(opts.transferLimits ? { transfer: opts.transferLimits } : {}),
    };
    this.tuf = new TufClient(
      {
        dir: join(opts.dataDir, 'tuf', 'metadata'),
        goodDir: join(opts.dataDir, 'tuf', 'good'),
        enrolmentRootFile: opts.enrolmentRootFile,
        metadataUrl: opts.metadataUrl,
        targetBaseUrl: opts.targetBaseUrl,
        clock: opts.clock,
        ...transport,
      },
      opts.log.child('tuf'),
    );
    this.installer = new Installer({
      tuf: this.tuf,
      blobs: this.blobs,
      bundles: this.bundles,
      content: this.store,
      clock: opts.clock,
      log: opts.log,
      siteGroup: opts.siteGroup,
      storeQuotaBytes: opts.storeQuotaBytes,
      ...(opts.disk ? { disk: opts.disk } : {}),
      ...transport,
      ...(opts.onStep ? { onStep: opts.onStep } : {}),
    });
  }

  /** What the player and scheduler read. Usable right after `loadInstalled()`/`start()`, offline. */
  get content(): ContentSource {
    return this.store;
  }

  /** Loads and re-checks the installed bundle: no network, no metadata needed. */
  async loadInstalled(): Promise<void> {
    if (!this.loaded)
      this.store.onUnusable((f) => {
        this.state.unavailableFiles = this.store.unavailableHashes().size;
        this.emit({ type: 'file-unusable', ...f });
        // At once, not at the next periodic refresh: the screen is skipping the item meanwhile.
        void this.refreshNow();
      });
    this.loaded = true;
    await this.store.reload();
    const check = await checkInstalledContent({
      blobs: this.blobs,
      content: this.store,
      clock: this.opts.clock,
      log: this.opts.log,
    });
    this.state.installedVersion = this.store.currentRecord()?.version;
    this.state.unavailableFiles = this.store.unavailableHashes().size;
    if (check.damaged.length || check.missing.length)
      this.opts.log.warn('boot check found unusable files', {
        damaged: check.damaged,
        missing: check.missing,
      });
  }

  /** Boot check (unless `loadInstalled()` already ran it), then the refresh loop (first refresh at once). */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    if (!this.loaded) await this.loadInstalled();
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.started = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined); // its outcome is already recorded in status
  }

  /**
   * Makes the previous bundle active again (an operator's command). Returns false when there is no
   * previous bundle. The next successful refresh installs the repository's newest bundle again: a
   * lasting rollback is a new signed bundle.
   */
  async rollback(): Promise<boolean> {
    await this.running?.catch(() => undefined); // never switch under a running install
    if (!(await this.bundles.rollback())) return false;
    await this.store.reload();
    this.state.installedVersion = this.store.currentRecord()?.version;
    this.opts.log.warn('rolled back to the previous bundle', { version: this.state.installedVersion });
    return true;
  }

  status(): UpdateStatus {
    return {
      ...this.state,
      ...(this.state.lastError ? { lastError: { ...this.state.lastError } } : {}),
      ...(this.state.diskFault ? { diskFault: { ...this.state.diskFault } } : {}),
    };
  }

  onEvent(listener: (e: UpdateEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Refresh and install now (the server's update notification). If one is running, another runs
   * right after it. Resolves with the result, or undefined if it failed (see status()).
   */
  refreshNow(): Promise<InstallResult | undefined> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.running = this.runOnce().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        void this.refreshNow();
      } else if (this.started) {
        this.schedule(
          nextRefreshDelayMs(
            this.state.consecutiveFailures,
            this.opts.refreshIntervalMs,
            this.opts.retryBaseMs ?? DEFAULT_RETRY_BASE_MS,
          ),
        );
      }
    });
    return this.running;
  }

  private schedule(delayMs: number): void {
    if (!this.started) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.refreshNow();
    }, delayMs);
  }

  private async runOnce(): Promise<InstallResult | undefined> {
    const now = () => new Date(this.opts.clock.now()).toISOString();
    this.state.refreshing = true;
    try {
      const result = await this.installer.update();
      this.state.consecutiveFailures = 0;
      this.state.lastSuccessAt = now();
      delete this.state.diskFault;
      this.state.latestSeenVersion = result.latestVersion;
      this.state.installedVersion = result.installedVersion;
      this.state.unavailableFiles = this.store.unavailableHashes().size;
      this.emit({ type: 'refreshed', latestVersion: result.latestVersion });
      if (result.changed)
        this.emit({ type: 'installed', version: result.installedVersion, fetched: result.fetched });
      return result;
    } catch (err) {
      this.state.consecutiveFailures++;
      // A full disk anywhere in the update (metadata, the bundle record) is named as such.
      const code = isUpdateError(err) ? err.code : isDiskFullError(err) ? 'DISK_FULL' : 'UNEXPECTED';
      const message = err instanceof Error ? err.message : String(err);
      this.state.lastError = { code, message, at: now() };
      if (code === 'DISK_FULL' || code === 'DISK_SPACE_LOW')
        this.state.diskFault = { code, message, at: now() };
      const retryInMs = nextRefreshDelayMs(
        this.state.consecutiveFailures,
        this.opts.refreshIntervalMs,
        this.opts.retryBaseMs ?? DEFAULT_RETRY_BASE_MS,
      );
      this.opts.log.warn('update failed; installed content stays active', {
        code,
        attempt: this.state.consecutiveFailures,
        delayMs: retryInMs,
        err,
      });
      this.emit({ type: 'failed', code, message, retryInMs });
      return undefined;
    } finally {
      this.state.refreshing = false;
    }
  }

  private emit(e: UpdateEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch (err) {
        this.opts.log.error('update event listener threw', { err });
      }
    }
  }
}
