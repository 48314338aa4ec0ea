import { describe, expect, it } from 'vitest';
import { parseBundleManifest } from '../../protocol/content.js';
import { diffLines, diffManifests, isEmptyDiff, stableJson } from '../../protocol/manifest-diff.js';
import { manifest, playlist, textItem } from '../helpers/schedule-fixtures.js';

const SG = 'kien-giang/ha-tien';
const image = (id: string, src: string) => ({
  id,
  title: id,
  kind: 'image',
  variants: { vi: { src: `${SG}/media/${src}` } },
});
const emergency = (id: string, body = 'Đóng cửa do bão') => ({
  id,
  text: { vi: { title: 'Thông báo', body }, km: { body: 'បិទ' } },
  startsAt: '2026-11-22T05:00:00Z',
  expiresAt: '2026-11-22T07:00:00Z',
});

describe('diffManifests', () => {
  it('finds nothing between a manifest and itself', () => {
    const m = manifest();
    const d = diffManifests(m, parseBundleManifest(JSON.parse(JSON.stringify(m))));
    expect(isEmptyDiff(d)).toBe(true);
    expect(d.initial).toBe(false);
  });

  it('treats a first publication as all new', () => {
    const d = diffManifests(undefined, manifest());
    expect(d.initial).toBe(true);
    expect(d.items.added.map((i) => i.id)).toEqual(['a', 'b', 'c', 'd']);
    expect(d.playlists.added).toHaveLength(4);
    expect(isEmptyDiff(d)).toBe(false);
  });

  it('names added, removed and changed items with the fields and languages that changed', () => {
    const before = manifest();
    const b = textItem('b', ['vi', 'km', 'en', 'zh-Hans', 'lo'], 10_000);
    b.variants['km'] = { body: 'new khmer words' };
    delete b.variants['lo'];
    b.variants['th'] = { body: 'ไทย' };
    const after = manifest({
      items: [
        textItem('a', undefined, 10_000),
        { ...b, title: 'B renamed' },
        textItem('c', undefined, 20_000),
        textItem('d', undefined, 10_000),
        textItem('e', ['vi'], 10_000),
      ],
    });
    const d = diffManifests(before, after);
    expect(d.items.added).toEqual([{ id: 'e', title: 'e' }]);
    expect(d.items.removed).toEqual([]);
    const changed = Object.fromEntries(d.items.changed.map((c) => [c.id, c]));
    expect(changed['b']).toEqual({
      id: 'b',
      title: 'B renamed',
      fields: ['title', 'variants'],
      languages: { added: ['th'], removed: ['lo'], changed: ['km'] },
    });
    expect(changed['c']).toEqual({ id: 'c', title: 'c', fields: ['durationMs'] });
    expect(Object.keys(changed).sort()).toEqual(['b', 'c']);

    const back = diffManifests(after, before);
    expect(back.items.removed).toEqual([{ id: 'e', title: 'e' }]);

    // The same, as lines for the terminal.
    expect(diffLines(d)).toEqual([
      'changes against the version on air:',
      '  + item e',
      '  ~ item b "B renamed": title, variants [+th -lo ~km]',
      '  ~ item c: durationMs',
    ]);
    expect(diffLines(diffManifests(before, before))).toEqual(['no changes against the version on air']);
  });

  it('diffs playlists, schedule entries, the default playlist and the label', () => {
    const before = manifest({
      label: 'v1',
      schedule: {
        defaultPlaylistId: 'default',
        entries: [
          { id: 'morning', playlistId: 'p-b', window: { start: '06:00', end: '12:00' } },
          { id: 'night', playlistId: 'p-c', window: { start: '20:00', end: '06:00' } },
        ],
      },
    });
    const after = manifest({
      label: 'v2',
      playlists: [
        playlist('default', ['a', 'b']),
        playlist('p-b', ['b']),
        playlist('p-c', ['c'], { ticker: { text: { vi: 'Chào', km: 'សួស្តី' } } }),
        playlist('p-e', ['d']),
      ],
      schedule: {
        defaultPlaylistId: 'p-b',
        entries: [
          { id: 'morning', playlistId: 'p-b', window: { start: '07:00', end: '12:00' } },
          { id: 'weekend', playlistId: 'p-e', weekdays: [6, 7] },
        ],
      },
    });
    const d = diffManifests(before, after);
    expect(d.fields).toEqual(['label', 'schedule.defaultPlaylistId']);
    expect(d.playlists.added.map((p) => p.id)).toEqual(['p-e']);
    expect(d.playlists.removed.map((p) => p.id)).toEqual(['p-d']);
    expect(d.playlists.changed).toEqual([
      { id: 'default', title: 'default', fields: ['entries'] },
      {
        id: 'p-c',
        title: 'p-c',
        fields: ['ticker'],
        languages: { added: ['vi', 'km'], removed: [], changed: [] },
      },
    ]);
    expect(d.scheduleEntries).toEqual({
      added: [{ id: 'weekend' }],
      removed: [{ id: 'night' }],
      changed: [{ id: 'morning', fields: ['window'] }],
    });
  });

  it('diffs emergencies by id, with the languages whose text changed', () => {
    const before = manifest({ emergencies: [emergency('storm'), emergency('flood')] });
    const edited = emergency('storm', 'Mở cửa lại');
    const after = manifest({ emergencies: [edited, emergency('fog')] });
    const d = diffManifests(before, after);
    expect(d.emergencies.added).toEqual([{ id: 'fog', title: 'Thông báo' }]);
    expect(d.emergencies.removed).toEqual([{ id: 'flood', title: 'Thông báo' }]);
    expect(d.emergencies.changed).toEqual([
      {
        id: 'storm',
        title: 'Thông báo',
        fields: ['text'],
        languages: { added: [], removed: [], changed: ['vi'] },
      },
    ]);
  });

  it('lists media files added and removed, and replaced bytes when hashes are given', () => {
    const base = {
      playlists: [{ id: 'main', name: 'Main', entries: [{ itemId: 'x' }] }],
      schedule: { defaultPlaylistId: 'main', entries: [] },
    };
    const before = manifest({ ...base, items: [image('x', 'x.png'), image('y', 'y.png')] });
    const after = manifest({ ...base, items: [image('x', 'x.png'), image('z', 'z.png')] });
    const d = diffManifests(before, after, {
      before: { [`${SG}/media/x.png`]: 'a'.repeat(64), [`${SG}/media/y.png`]: 'b'.repeat(64) },
      after: { [`${SG}/media/x.png`]: 'c'.repeat(64), [`${SG}/media/z.png`]: 'd'.repeat(64) },
    });
    expect(d.media).toEqual({
      added: [`${SG}/media/z.png`],
      removed: [`${SG}/media/y.png`],
      changed: [`${SG}/media/x.png`],
    });
    expect(diffManifests(before, after).media.changed).toEqual([]);
  });

  it('compares values independently of key order', () => {
    expect(stableJson({ b: 1, a: [{ d: 2, c: 3 }] })).toBe(stableJson({ a: [{ c: 3, d: 2 }], b: 1 }));
  });
});
