import { describe, expect, it } from 'vitest';
import { chain, testVerifyChain } from '../../helpers/pop-chain.js';

const specs = Array.from({ length: 6 }, (_, i) => ({
  itemId: `item-${i}`,
  language: 'vi',
  actualStart: Date.parse('2026-03-10T01:00:00Z') + i * 10_000,
  durationMs: 10_000,
}));

describe('linked chain verification', () => {
  it('accepts an intact chain that starts mid-way (its first link is taken on trust)', () => {
    expect(testVerifyChain(chain('d', specs, 41))).toEqual({ ok: true, breaks: [] });
    expect(testVerifyChain([])).toEqual({ ok: true, breaks: [] });
  });

  it('marks missing records as a gap with their count', () => {
    const c = chain('d', specs);
    expect(testVerifyChain([c[0]!, c[3]!, c[4]!, c[5]!]).breaks).toEqual([
      { seq: 2, kind: 'gap', missing: 2 },
    ]);
  });

  it('marks an altered record, a broken link, a repeated seq and a bad signature', () => {
    const c = chain('d', specs);
    const altered = { ...c[1]!, durationMs: 99_000 };
    expect(testVerifyChain([c[0]!, altered, c[2]!]).breaks).toEqual([{ seq: 2, kind: 'edit' }]);
    // Replacing a record wholesale with a self-consistent one breaks the links on both its sides:
    // listed as broken links (its own hash and signature hold; what it links to does not).
    const other = chain('d', [{ ...specs[1]!, itemId: 'swapped' }], 2)[0]!;
    expect(testVerifyChain([c[0]!, other, c[2]!]).breaks).toEqual([
      { seq: 2, kind: 'link' },
      { seq: 3, kind: 'link' },
    ]);
    expect(testVerifyChain([c[0]!, c[1]!, c[1]!]).breaks).toEqual([{ seq: 2, kind: 'edit' }]);
    expect(testVerifyChain([c[0]!, { ...c[1]!, signature: '00' }]).breaks).toEqual([
      { seq: 2, kind: 'signature' },
    ]);
  });
});
