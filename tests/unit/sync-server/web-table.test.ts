import { describe, expect, it } from 'vitest';
import { html } from '../../../sync-server/web/escape.js';
import { attributes, table, tableRow } from '../../../sync-server/web/table.js';

const HOSTILE = '"><img src=x onerror=alert(1)>';

/** The markup without the white space between tags (the template's indentation). */
const tight = (s: string) => s.replace(/>\s+</g, '><').trim();

describe('tables of the server-rendered pages', () => {
  it('heads the columns, escapes every text and keeps markup built by html``', () => {
    const out = table(
      ['Tên', HOSTILE],
      [tableRow([HOSTILE, html`<code>${HOSTILE}</code>`], { 'data-id': HOSTILE, class: 'missing' })],
      { table: { id: 'files' }, body: { id: 'files-body' } },
    ).value;
    expect(tight(out)).toBe(
      '<table id="files"><thead><tr><th>Tên</th><th>&quot;&gt;&lt;img src=x onerror=alert(1)&gt;</th></tr></thead>' +
        '<tbody id="files-body"><tr data-id="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;" class="missing">' +
        '<td>&quot;&gt;&lt;img src=x onerror=alert(1)&gt;</td>' +
        '<td><code>&quot;&gt;&lt;img src=x onerror=alert(1)&gt;</code></td></tr></tbody></table>',
    );
    expect(out).not.toContain('<img');
  });

  it('writes a true attribute by its name alone and leaves out undefined and false ones', () => {
    expect(attributes({ hidden: true, id: 'x', class: undefined, open: false, 'data-n': 3 }).value).toBe(
      ' hidden id="x" data-n="3"',
    );
    expect(tight(table([], []).value)).toBe('<table><thead><tr></tr></thead><tbody></tbody></table>');
  });

  it('refuses an attribute name that is not one', () => {
    expect(() => attributes({ 'onclick="alert(1)" x': 'y' })).toThrow(TypeError);
    expect(() => attributes({ 'a b': 'y' })).toThrow(/not an attribute name/);
  });
});
