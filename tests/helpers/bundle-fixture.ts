/** Builds bundle manifests and publishes them (with their media) into a TestTufRepo. */
import { bundleManifestPath } from '../../protocol/content.js';
import type { PublishOptions, TestTufRepo } from './tuf-test-repo.js';

/** A valid manifest whose single playlist shows one image item per media path. */
export function manifestFor(
  siteGroup: string,
  mediaPaths: string[],
  label = 'test',
): Record<string, unknown> {
  return {
    schema: 1,
    siteGroup,
    label,
    createdAt: '2026-01-01T00:00:00Z',
    items: mediaPaths.map((src, i) => ({
      id: `item-${i}`,
      title: `Item ${i}`,
      kind: 'image',
      variants: { vi: { src } },
    })),
    playlists: [{ id: 'main', name: 'Main', entries: mediaPaths.map((_, i) => ({ itemId: `item-${i}` })) }],
    schedule: { defaultPlaylistId: 'main', entries: [] },
  };
}

/**
 * Replaces the site group's targets with `media` (path → bytes) plus a manifest naming them all,
 * and publishes a new version. Returns the version.
 */
export function publishBundle(
  repo: TestTufRepo,
  media: Record<string, Buffer | string>,
  opts: PublishOptions & { label?: string; manifest?: Record<string, unknown> } = {},
): number {
  repo.targets.clear();
  for (const [p, b] of Object.entries(media)) repo.setTarget(p, b);
  const manifest = opts.manifest ?? manifestFor(repo.siteGroup, Object.keys(media), opts.label);
  repo.setTarget(bundleManifestPath(repo.siteGroup), JSON.stringify(manifest));
  return repo.publish(opts);
}
