/**
 * Our wrapper around tuf-js's Updater, shared by the device's update client and the
 * `gatecast tuf-client` conformance CLI.
 *
 * One `refresh()` builds a fresh Updater over the local metadata (repaired first, see
 * metadata-dir.ts), swaps its metadata persistence for an atomic one, runs the full TUF client
 * workflow and returns a `TufSession`: the verified view that target lengths and hashes come from.
 * Any failure is turned into a named UpdateError; the last good metadata copy is only advanced after
 * a refresh that fully succeeded.
 */
import type { Metadata, TargetFile, Targets } from '@tufjs/models';
import { Updater } from 'tuf-js';
import type { Clock } from '../../protocol/clock.js';
import { targetPathProblem } from '../../protocol/content.js';
import type { Logger } from '../../platform/log.js';
import { classifyTufError, UpdateError } from './errors.js';
import type { HttpOptions, TransferLimits } from './http.js';
import { MetadataDir, type MetadataDirOptions } from './metadata-dir.js';
import { HttpMetadataFetcher } from './metadata-fetcher.js';

export interface TufClientOptions extends MetadataDirOptions {
  metadataUrl: string;
  targetBaseUrl: string;
  http?: HttpOptions;
  /** Per-file budget and throughput floor of metadata downloads; defaults otherwise. */
  transfer?: TransferLimits;
  /** Expiry is judged against this clock (the device's last-known-good time), not the bare RTC. */
  clock?: Clock;
  /** Per-role size limits (bytes); tuf-js defaults otherwise. */
  limits?: {
    rootMaxLength?: number;
    timestampMaxLength?: number;
    snapshotMaxLength?: number;
    targetsMaxLength?: number;
  };
}

/** A target as verified TUF metadata describes it, and where to fetch it. */
export interface VerifiedTarget {
  path: string;
  length: number;
  sha256: string;
  url: string;
  /** The trusted targets role that lists it (top-level or delegated) and that role's version. */
  role: string;
  roleVersion: number;
}

interface UpdaterInternals {
  persistMetadata: (name: string, bytes: Buffer) => void;
  trustedSet: {
    getRole(name: string): Metadata<Targets> | undefined;
    root: { signed: { consistentSnapshot: boolean } };
    snapshot?: { signed: { meta: Record<string, unknown> } };
    /** When expiry is judged; tuf-js sets it to the host time when the Updater is built. */
    referenceTime: Date;
  };
}

export class TufClient {
  readonly metadata: MetadataDir;
  readonly fetcher: HttpMetadataFetcher;

  constructor(
    private readonly opts: TufClientOptions,
    private readonly log: Logger,
  ) {
    this.metadata = new MetadataDir(opts, log);
    this.fetcher = new HttpMetadataFetcher(opts.http, opts.transfer);
  }

  /**
   * Runs the full TUF refresh; resolves only if every top-level role verified. `signal` is the
   * budget of the refresh as a whole; it also bounds delegations the session fetches later.
   */
  async refresh(signal?: AbortSignal): Promise<TufSession> {
    this.fetcher.signal = signal;
    this.metadata.recover();
    let updater: Updater;
    try {
      updater = new Updater({
        metadataDir: this.metadata.dir,
        metadataBaseUrl: this.opts.metadataUrl,
        targetBaseUrl: this.opts.targetBaseUrl,
        fetcher: this.fetcher,
        config: { ...this.opts.limits },
      });
    } catch (err) {
      throw new UpdateError('METADATA_STORE', `cannot load trusted metadata from ${this.metadata.dir}`, {
        cause: err,
      });
    }
    const internals = updater as unknown as UpdaterInternals;
    if (typeof internals.persistMetadata !== 'function' || !internals.trustedSet)
      throw new UpdateError(
        'METADATA_STORE',
        'this tuf-js version does not expose persistMetadata/trustedSet',
      );
    const written = { dirty: false };
    internals.persistMetadata = (name, bytes) => {
      try {
        this.metadata.persist(name, bytes);
      } catch (err) {
        // A full or failing disk: name it, so the status says "store", not "bad metadata".
        throw new UpdateError('METADATA_STORE', `cannot write ${name}.json: ${(err as Error).message}`, {
          cause: err,
        });
      }
      written.dirty = true;
    };
    if (this.opts.clock) internals.trustedSet.referenceTime = new Date(this.opts.clock.now());
    try {
      await updater.refresh();
    } catch (err) {
      throw classifyTufError(err);
    }
    this.metadata.commitGood();
    this.log.debug('metadata refreshed', { metadataUrl: this.opts.metadataUrl });
    written.dirty = false;
    return new TufSession(updater, internals, this.opts.targetBaseUrl, this.metadata, written);
  }
}

/** The verified state after one successful refresh. */
export class TufSession {
  constructor(
    private readonly updater: Updater,
    private readonly internals: UpdaterInternals,
    private readonly targetBaseUrl: string,
    private readonly metadata: MetadataDir,
    private readonly written: { dirty: boolean },
  ) {}

  /**
   * Length, SHA-256 and URL of a target from verified metadata (walking delegations as needed),
   * or undefined if no trusted role lists it. Unsafe paths are refused before anything else.
   */
  async target(path: string): Promise<VerifiedTarget | undefined> {
    const why = targetPathProblem(path);
    if (why) throw new UpdateError('TARGET_PATH_UNSAFE', why);
    if (this.delegatedButUnpublished(path)) return undefined;
    let info: TargetFile | undefined;
    try {
      info = await this.updater.getTargetInfo(path);
    } catch (err) {
      throw classifyTufError(err);
    }
    // Delegated roles fetched (verified, persisted) during the walk join the last good copy.
    if (this.written.dirty) {
      this.metadata.commitGood();
      this.written.dirty = false;
    }
    if (!info) return undefined;
    const sha256 = info.hashes['sha256'];
    if (!sha256 || !/^[0-9a-f]{64}$/.test(sha256))
      throw new UpdateError('METADATA_MALFORMED', `target ${path} has no SHA-256 hash in verified metadata`);
    const signer = this.signingRole(path);
    if (!signer) throw new UpdateError('METADATA_MISMATCH', `no trusted role lists ${path} after the walk`);
    return { path, length: info.length, sha256, url: this.urlOf(path, sha256), ...signer };
  }

  /**
   * True when the top-level role delegates `path` (terminating) to a role snapshot does not list yet:
   * delegated, never published. No trusted role lists the path then (tuf-js would fail on the
   * missing snapshot entry with a TypeError instead of saying so).
   */
  private delegatedButUnpublished(path: string): boolean {
    const top = this.internals.trustedSet.getRole('targets');
    const meta = this.internals.trustedSet.snapshot?.signed.meta;
    if (!top || !meta) return false;
    for (const { role, terminating } of top.signed.delegations?.rolesForTarget(path) ?? []) {
      if (meta[`${role}.json`]) return false;
      if (terminating) return true;
    }
    return false;
  }

  /** Walks the trusted (already loaded) delegation tree the same way tuf-js does. */
  private signingRole(path: string): { role: string; roleVersion: number } | undefined {
    const visit = (name: string, depth: number): { role: string; roleVersion: number } | undefined => {
      const md = this.internals.trustedSet.getRole(name);
      if (!md || depth > 32) return undefined;
      if (md.signed.targets[path]) return { role: name, roleVersion: md.signed.version };
      for (const { role, terminating } of md.signed.delegations?.rolesForTarget(path) ?? []) {
        const found = visit(role, depth + 1);
        if (found || terminating) return found;
      }
      return undefined;
    };
    return visit('targets', 0);
  }

  /** Version of a trusted targets role (top-level or delegated, once loaded by target()). */
  roleVersion(role: string): number | undefined {
    return this.internals.trustedSet.getRole(role)?.signed.version;
  }

  private urlOf(path: string, sha256: string): string {
    const segments = path.split('/');
    if (this.internals.trustedSet.root.signed.consistentSnapshot) {
      const last = segments.length - 1;
      segments[last] = `${sha256}.${segments[last]}`;
    }
    const base = this.targetBaseUrl.endsWith('/') ? this.targetBaseUrl : `${this.targetBaseUrl}/`;
    return base + segments.map(encodeURIComponent).join('/');
  }
}
