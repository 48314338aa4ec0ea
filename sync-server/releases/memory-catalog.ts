/**
 * A release catalogue held in memory: what the server answers before its TUF `releases` role is set
 * up (nothing published, so every rollout is refused), and what tests publish releases into.
 */
import type { PublishedRelease, ReleaseCatalog } from './catalog.js';

const byVersionDesc = (a: PublishedRelease, b: PublishedRelease) =>
  b.version.localeCompare(a.version, 'en', { numeric: true });

export class MemoryReleaseCatalog implements ReleaseCatalog {
  private readonly releases = new Map<string, PublishedRelease>();

  constructor(releases: readonly PublishedRelease[] = []) {
    for (const r of releases) this.publish(r);
  }

  /** Lists `release` (replacing an entry of the same version). */
  publish(release: PublishedRelease): void {
    this.releases.set(release.version, { ...release, platforms: [...release.platforms] });
  }

  /** Takes a version off the list. */
  withdraw(version: string): void {
    this.releases.delete(version);
  }

  list(): PublishedRelease[] {
    return [...this.releases.values()].sort(byVersionDesc);
  }

  get(version: string): PublishedRelease | null {
    return this.releases.get(version) ?? null;
  }
}
