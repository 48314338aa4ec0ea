import { describe, expect, it } from 'vitest';
import { defaultPlaylistPlan } from '../../device/playback/default-playlist-plan.js';
import { memoryBundle } from '../helpers/memory-bundle.js';

const SITE = 'ha-tinh/cau-treo';
function bundle(mode: 'all-in-turn' | 'rotate-per-loop') {
  return memoryBundle({
    schema: 1,
    siteGroup: SITE,
    createdAt: '2026-01-01T00:00:00Z',
    items: [
      {
        id: 'a',
        title: 'A',
        kind: 'text',
        durationMs: 1000,
        variants: { vi: { body: 'a' }, lo: { body: 'ກ' }, en: { body: 'a' } },
      },
      { id: 'b', title: 'B', kind: 'text', durationMs: 2000, variants: { vi: { body: 'b' } } },
    ],
    playlists: [{ id: 'p', name: 'P', entries: [{ itemId: 'a' }, { itemId: 'b' }], languageMode: mode }],
    schedule: { defaultPlaylistId: 'p' },
  });
}

describe('default playlist plan', () => {
  it('shows every gate language of an item in turn, back to back, looping', () => {
    const plan = defaultPlaylistPlan(bundle('all-in-turn'), ['vi', 'lo', 'en']);
    // Cycle: a/vi 1 s, a/lo 1 s, a/en 1 s, b/vi 2 s = 5 s.
    const t = 5000 * 1000; // a cycle boundary
    expect(plan(t).current).toMatchObject({
      itemId: 'a',
      language: 'vi',
      startAt: t,
      durationMs: 1000,
      source: 'default',
    });
    expect(plan(t).next).toMatchObject({ itemId: 'a', language: 'lo', startAt: t + 1000 });
    expect(plan(t + 3500).current).toMatchObject({ itemId: 'b', language: 'vi', startAt: t + 3000 });
    expect(plan(t + 3500).next).toMatchObject({ itemId: 'a', language: 'vi', startAt: t + 5000 });
  });

  it('rotates one language per loop and leaves out items without it', () => {
    const plan = defaultPlaylistPlan(bundle('rotate-per-loop'), ['vi', 'lo']);
    // Loop 1 (vi): a 1 s, b 2 s; loop 2 (lo): a 1 s (b has no lo) = 4 s.
    const t = 4000 * 1000;
    const seq = [];
    let at = t;
    for (let i = 0; i < 4; i++) {
      const c = plan(at).current!;
      seq.push(`${c.itemId}/${c.language}`);
      at = c.startAt + c.durationMs;
    }
    expect(seq).toEqual(['a/vi', 'b/vi', 'a/lo', 'a/vi']);
  });
});
