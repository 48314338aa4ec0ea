import { describe, expect, it } from 'vitest';
import { lineDiff } from '../../../sync-server/content/line-diff.js';

describe('lineDiff', () => {
  it('keeps common lines and marks the rest removed or added, in order', () => {
    expect(lineDiff('a\nb\nc\n', 'a\nx\nc\nd\n')).toEqual([
      { op: 'same', text: 'a' },
      { op: 'del', text: 'b' },
      { op: 'add', text: 'x' },
      { op: 'same', text: 'c' },
      { op: 'add', text: 'd' },
    ]);
    expect(lineDiff('', '<p>\r\nxin chào')).toEqual([
      { op: 'add', text: '<p>' },
      { op: 'add', text: 'xin chào' },
    ]);
    expect(lineDiff('same\n', 'same\n')).toEqual([{ op: 'same', text: 'same' }]);
  });

  it('stays complete when the changed middle is too large for the table', () => {
    const a = Array.from({ length: 2100 }, (_, i) => `a${i}`).join('\n');
    const b = Array.from({ length: 2100 }, (_, i) => `b${i}`).join('\n');
    const d = lineDiff(`head\n${a}\ntail`, `head\n${b}\ntail`);
    expect(d).toHaveLength(2 + 4200);
    expect(d.filter((l) => l.op === 'del')).toHaveLength(2100);
    expect(d.filter((l) => l.op === 'add')).toHaveLength(2100);
    expect([d[0], d.at(-1)]).toEqual([
      { op: 'same', text: 'head' },
      { op: 'same', text: 'tail' },
    ]);
  });
});
