/** An installed bundle held in memory (no files): for unit tests of planning and slide resolution. */
import { createHash } from 'node:crypto';
import type { InstalledBundle, TargetInfo } from '../../device/content/installed.js';
import { mediaTargets, parseBundleManifest } from '../../protocol/content.js';

export function memoryBundle(
  manifest: unknown,
  options: { version?: number; missing?: string[] } = {},
): InstalledBundle {
  const m = parseBundleManifest(manifest);
  const targets = new Map<string, TargetInfo>();
  for (const p of mediaTargets(m)) {
    if (options.missing?.includes(p)) continue;
    targets.set(p, { sha256: createHash('sha256').update(p).digest('hex'), length: 1000 });
  }
  return {
    siteGroup: m.siteGroup,
    version: options.version ?? 1,
    installedAt: '2026-01-01T00:00:00.000Z',
    manifest: m,
    targets,
    filePath: (p) => (targets.has(p) ? `/store/${p}` : undefined),
  };
}
