/**
 * The read side of the content store: what the scheduler and player may use. Everything reachable
 * from here was fully verified against TUF metadata at install time and re-checked at boot.
 */
import type { FileProblem } from '../../player/file-verdicts.js';
import type { BundleManifest } from '../../protocol/content.js';

export interface TargetInfo {
  /** Lower-case hex SHA-256, from verified TUF targets metadata. */
  sha256: string;
  length: number;
}

export interface InstalledBundle {
  siteGroup: string;
  /** The TUF targets (or delegated role) version this bundle was installed from. */
  version: number;
  installedAt: string;
  manifest: BundleManifest;
  /** Verified metadata of every media target the manifest references. */
  targets: ReadonlyMap<string, TargetInfo>;
  /**
   * Absolute path of the verified file for a target path, or undefined when the file is missing or
   * quarantined (the player then skips the variant and reports it).
   */
  filePath(targetPath: string): string | undefined;
}

/** The currently active bundle, and word when it changes (an install or a rollback). */
export interface ContentSource {
  current(): InstalledBundle | undefined;
  /** Returns an unsubscribe function. */
  onChange(listener: (bundle: InstalledBundle) => void): () => void;
  /**
   * A reader (the page server) found a listed file missing or not holding its verified bytes: the
   * store sets it aside, stops offering it and has it fetched again.
   */
  reportUnusable?(targetPath: string, sha256: string, problem: FileProblem): void;
}
