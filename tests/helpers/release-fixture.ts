/**
 * Small release artifacts for tests: a folder with `release.json` and the files given, packed as
 * gatecast-<version>-<platform>.tar.gz beside its manifest, as `gatecast release build` lays them out.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  type ReleaseManifest,
  type ReleasePlatform,
  releaseArtifactPath,
  releaseManifestPath,
} from '../../protocol/release.js';

export interface FixtureRelease {
  manifest: ReleaseManifest;
  /** Target path → bytes: the artifact and its manifest. */
  files: Record<string, Buffer>;
  /** The folder holding both files under their release names (what `release sign` reads). */
  outDir: string;
}

export function fixtureRelease(
  dir: string,
  o: {
    version: string;
    platform?: ReleasePlatform;
    nodeAbi?: string;
    allowDowngradeFrom?: string[];
    /** Relative path → content, packed beside release.json. */
    files?: Record<string, string>;
  },
): FixtureRelease {
  const platform = o.platform ?? 'linux-x64';
  const manifest: ReleaseManifest = {
    schema: 1,
    name: 'gatecast',
    version: o.version,
    platform,
    nodeAbi: o.nodeAbi ?? process.versions.modules,
    minNodeVersion: '18.0.0',
    migrations: [],
    builtAt: '2026-12-01T00:00:00.000Z',
    allowDowngradeFrom: o.allowDowngradeFrom ?? [],
  };
  const src = join(dir, `src-${o.version}-${platform}`);
  mkdirSync(src, { recursive: true });
  const manifestText = `${JSON.stringify(manifest, null, 2)}\n`;
  writeFileSync(join(src, 'release.json'), manifestText);
  for (const [rel, text] of Object.entries(o.files ?? { 'README.txt': `gatecast ${o.version}\n` })) {
    mkdirSync(dirname(join(src, rel)), { recursive: true });
    writeFileSync(join(src, rel), text);
  }
  const outDir = join(dir, `out-${o.version}-${platform}`);
  mkdirSync(outDir, { recursive: true });
  const artifactPath = releaseArtifactPath(o.version, platform);
  const manifestPath = releaseManifestPath(o.version, platform);
  const artifactFile = join(outDir, artifactPath.slice('releases/'.length));
  execFileSync('tar', ['-czf', artifactFile, '-C', src, '.']);
  writeFileSync(join(outDir, manifestPath.slice('releases/'.length)), manifestText);
  return {
    manifest,
    outDir,
    files: { [artifactPath]: readFileSync(artifactFile), [manifestPath]: Buffer.from(manifestText) },
  };
}
