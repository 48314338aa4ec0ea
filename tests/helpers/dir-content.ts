/**
 * A ContentSource over a plain directory, for tests: files live at `<dir>/<target path>`, hashes are
 * computed here. The real store (verified TUF targets) comes from device/content/.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ContentSource, InstalledBundle, TargetInfo } from '../../device/content/installed.js';
import { type BundleManifest, mediaTargets, parseBundleManifest } from '../../protocol/content.js';

/** tests/fixtures/media, from tests/helpers/ (source) or dist/tests/helpers/ (built, for the benchmarks). */
export const FIXTURE_MEDIA = [
  join(import.meta.dirname, '..', 'fixtures', 'media'),
  join(import.meta.dirname, '..', '..', '..', 'tests', 'fixtures', 'media'),
].find((d) => existsSync(join(d, 'red.png')))!;

/** Copies fixture files into `dir` under target paths: `{ 'site/media/a.png': 'red.png' }`. */
export function placeFixtures(dir: string, files: Record<string, string>): void {
  for (const [target, fixture] of Object.entries(files)) {
    const to = join(dir, target);
    mkdirSync(dirname(to), { recursive: true });
    copyFileSync(join(FIXTURE_MEDIA, fixture), to);
  }
}

/** An installed bundle whose targets are the manifest's media found in `dir` (missing ones are left out). */
export function dirBundle(dir: string, manifest: unknown, version = 1): InstalledBundle {
  const m: BundleManifest = parseBundleManifest(manifest);
  const targets = new Map<string, TargetInfo>();
  for (const path of mediaTargets(m)) {
    const file = join(dir, path);
    if (!existsSync(file)) continue;
    const data = readFileSync(file);
    targets.set(path, { sha256: createHash('sha256').update(data).digest('hex'), length: data.length });
  }
  return {
    siteGroup: m.siteGroup,
    version,
    installedAt: new Date(0).toISOString(),
    manifest: m,
    targets,
    filePath: (p) => (targets.has(p) ? join(dir, p) : undefined),
  };
}

/** A ContentSource tests can switch: `set(bundle)` notifies listeners like an install would. */
export class MutableContentSource implements ContentSource {
  /** Set by a test to hear of files the page server refused. */
  reportUnusable?: ContentSource['reportUnusable'];
  private readonly listeners = new Set<(b: InstalledBundle) => void>();
  constructor(private bundle: InstalledBundle | undefined = undefined) {}
  current(): InstalledBundle | undefined {
    return this.bundle;
  }
  onChange(listener: (b: InstalledBundle) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  set(bundle: InstalledBundle): void {
    this.bundle = bundle;
    for (const l of this.listeners) l(bundle);
  }
}
