import { describe, expect, it } from 'vitest';
import { csvField, toCsv, UTF8_BOM } from '../../../sync-server/web/csv.js';
import { escapeHtml, html, raw } from '../../../sync-server/web/escape.js';

const XSS = [
  '<img src=x onerror=alert(1)>',
  '"><script>alert(1)</script>',
  "' onmouseover='alert(1)",
  '<svg/onload=alert(1)>',
  '`${alert(1)}`',
  '&lt;script&gt;',
];

describe('escapeHtml', () => {
  it('leaves no markup characters in user text', () => {
    for (const s of XSS) {
      const out = escapeHtml(s);
      expect(out).not.toMatch(/[<>"'`]/);
      // &lt; in the input must not decode back to "<" after one round of escaping
      if (s.includes('&')) expect(out).toContain('&amp;');
    }
    expect(escapeHtml('<img src=x onerror=alert(1)>')).toBe('&lt;img src=x onerror=alert(1)&gt;');
    expect(escapeHtml('Cửa khẩu Hà Tiên')).toBe('Cửa khẩu Hà Tiên');
    expect(escapeHtml(null)).toBe('');
  });

  it('html`` escapes interpolations but keeps nested safe markup', () => {
    const title = '<img src=x onerror=alert(1)>';
    const rows = ['a<b', 'c"d'].map((v) => html`<li title="${v}">${v}</li>`);
    // prettier-ignore
    const page = html`<h1>${title}</h1><ul>${rows}</ul>${raw('<hr>')}${null}${false}${3}`;
    expect(page.toString()).toBe(
      '<h1>&lt;img src=x onerror=alert(1)&gt;</h1><ul><li title="a&lt;b">a&lt;b</li><li title="c&quot;d">c&quot;d</li></ul><hr>3',
    );
  });
});

describe('CSV', () => {
  it('quotes per RFC 4180 and ends rows with CRLF', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(null)).toBe('');
    expect(csvField(-3)).toBe('-3');
    expect(toCsv(['a', 'b'], [['x,y', 1]], false)).toBe('a,b\r\n"x,y",1\r\n');
  });

  it('starts with a UTF-8 BOM and keeps Vietnamese text', () => {
    const out = toCsv(['cửa khẩu'], [['Hà Tiên']]);
    expect(out.startsWith(UTF8_BOM)).toBe(true);
    expect(Buffer.from(out, 'utf8').subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(out).toContain('Hà Tiên');
  });

  it('defuses spreadsheet formulas in text cells', () => {
    expect(csvField('=HYPERLINK("http://x")')).toBe('"\'=HYPERLINK(""http://x"")"');
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
  });
});
