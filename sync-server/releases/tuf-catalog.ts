/**
 * The release catalogue the rollout reads, over the TUF `releases` role: a version is listed for a
 * platform only when the published (threshold-signed) role lists both its artifact and its manifest.
 * When it was first listed is the write time of the first role version that listed it (every
 * `N.releases.json` stays in the repository).
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { compareVersions, parseReleaseTargetPath, type ReleasePlatform } from '../../protocol/release.js';
import type { PublishedRelease, ReleaseCatalog } from './catalog.js';
import { metadataFileName } from '../tuf/layout.js';
import type { TufRepository } from '../tuf/repository.js';

export class TufReleaseCatalog implements ReleaseCatalog {
  /** Target path → when the role first listed it; filled up to `#scanned`. */
  readonly #firstListed = new Map<string, number>();
  #scanned = 0;

  constructor(private readonly repo: TufRepository) {}

  list(): PublishedRelease[] {
    const md = this.repo.releasesMetadata();
    if (!md) return [];
    this.#scan(md.signed.version);
    const byVersion = new Map<
      string,
      { artifact: Set<ReleasePlatform>; manifest: Set<ReleasePlatform>; at: number }
    >();
    for (const path of Object.keys(md.signed.targets)) {
      const t = parseReleaseTargetPath(path);
      if (!t) continue;
      const e = byVersion.get(t.version) ?? { artifact: new Set(), manifest: new Set(), at: Infinity };
      e[t.kind].add(t.platform);
      if (t.kind === 'artifact') e.at = Math.min(e.at, this.#firstListed.get(path) ?? Infinity);
      byVersion.set(t.version, e);
    }
    const out: PublishedRelease[] = [];
    for (const [version, e] of byVersion) {
      const platforms = [...e.artifact].filter((p) => e.manifest.has(p)).sort();
      if (platforms.length === 0) continue;
      out.push({ version, platforms, publishedAtMs: Number.isFinite(e.at) ? e.at : 0 });
    }
    return out.sort((a, b) => compareVersions(b.version, a.version));
  }

  get(version: string): PublishedRelease | null {
    return this.list().find((r) => r.version === version) ?? null;
  }

  /** Reads role versions not yet seen, oldest first, noting when each target path first appeared. */
  #scan(upTo: number): void {
    const dir = this.repo.layout.metadataDir;
    for (let v = this.#scanned + 1; v <= upTo; v++) {
      const file = join(dir, metadataFileName('releases', v));
      let targets: Record<string, unknown>;
      let at: number;
      try {
        targets = (JSON.parse(readFileSync(file, 'utf8')) as { signed: { targets: Record<string, unknown> } })
          .signed.targets;
        at = statSync(file).mtimeMs;
      } catch {
        continue; // a version file removed by hand: its paths count from the next version listing them
      }
      for (const path of Object.keys(targets))
        if (!this.#firstListed.has(path)) this.#firstListed.set(path, Math.floor(at));
    }
    this.#scanned = Math.max(this.#scanned, upTo);
  }
}
