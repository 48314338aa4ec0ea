/**
 * A sync server (accounts admin and author) whose TUF repository has one site group's bundle on
 * air: one text item on one playlist, the start of the dashboard's media tests. `tufDir` is the
 * repository's folder (drafts are made under it).
 */
import { SG } from './approval.js';
import type { Cleanup } from './cleanups.js';
import { startServerWithUsers } from './dashboard.js';
import { startTufRepo } from './tuf-repo.js';

export const ONE_ITEM_BUNDLE = {
  schema: 1,
  siteGroup: SG,
  createdAt: '2026-01-01T00:00:00Z',
  items: [{ id: 'welcome', title: 'Chào mừng', kind: 'text', variants: { vi: { body: 'Xin chào' } } }],
  playlists: [{ id: 'main', name: 'Chính', entries: [{ itemId: 'welcome' }] }],
  schedule: { defaultPlaylistId: 'main', entries: [] },
};

export async function startOneBundleServer(cleanups: Cleanup[], dir: string) {
  const tuf = await startTufRepo({
    serve: false,
    files: { [`${SG}/bundle.json`]: Buffer.from(JSON.stringify(ONE_ITEM_BUNDLE)) },
  });
  cleanups.push(() => tuf.close());
  const s = await startServerWithUsers(
    cleanups,
    dir,
    { admin: 'admin', author: 'author' },
    { tuf: { repoDir: tuf.dir } },
  );
  return { ...s, tufDir: tuf.dir };
}
