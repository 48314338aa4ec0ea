/**
 * Whether text renders with real glyphs, never .notdef boxes (the approach of player-fonts.test.ts):
 * each grapheme is drawn in its own cell with the page's CSS and its language's lang attribute, next
 * to reference cells holding unassigned code points (which can only render as .notdef). A grapheme
 * cell pixel-identical to its language's reference is a box.
 */
import type { Page } from 'puppeteer-core';
import { decodePng, distinctColours, regionDiff } from './png.js';

const CELL = 40;
const COLS = 24;
const NOTDEF_REFS = ['\u0378', '\u0379'];

/** The graphemes of `texts` (per language) that render as boxes or blank, e.g. `km:ក U+1780`. */
export async function tofuIn(page: Page, texts: { lang: string; text: string }[]): Promise<string[]> {
  const rows = texts.map(({ lang, text }) => ({
    lang,
    glyphs: [
      ...new Set(
        [...new Intl.Segmenter(lang, { granularity: 'grapheme' }).segment(text)]
          .map((s) => s.segment)
          .filter((g) => g.trim() !== ''),
      ),
    ],
  }));
  const cells = await page.evaluate(
    (rowsIn, refs, cell, cols) => {
      const grid = document.createElement('div');
      grid.id = 'glyph-grid';
      Object.assign(grid.style, {
        position: 'fixed',
        left: '0',
        top: '0',
        zIndex: '1000',
        background: '#fff',
        color: '#000',
        display: 'grid',
        gridTemplateColumns: `repeat(${cols}, ${cell}px)`,
        gridAutoRows: `${cell}px`,
      });
      const out: { lang: string; text: string; role: string; x: number; y: number }[] = [];
      const els: HTMLElement[] = [];
      for (const r of rowsIn)
        for (const [text, role] of [...refs.map((t) => [t, 'ref']), ...r.glyphs.map((g) => [g, 'glyph'])]) {
          const c = document.createElement('span');
          c.lang = r.lang;
          c.textContent = text!;
          Object.assign(c.style, {
            fontSize: `${Math.round(cell * 0.5)}px`,
            lineHeight: `${cell}px`,
            textAlign: 'center',
            overflow: 'hidden',
          });
          grid.appendChild(c);
          els.push(c);
          out.push({ lang: r.lang, text: text!, role: role!, x: 0, y: 0 });
        }
      document.body.appendChild(grid);
      els.forEach((e, i) => {
        const b = e.getBoundingClientRect();
        out[i]!.x = Math.round(b.x);
        out[i]!.y = Math.round(b.y);
      });
      return out;
    },
    rows,
    NOTDEF_REFS,
    CELL,
    COLS,
  );
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
  const shot = decodePng(Buffer.from(await page.screenshot({ type: 'png' })));
  await page.evaluate(() => document.getElementById('glyph-grid')?.remove());
  const bad: string[] = [];
  for (const { lang } of rows) {
    const refs = cells.filter((c) => c.lang === lang && c.role === 'ref');
    if (regionDiff(shot, refs[0]!.x, refs[0]!.y, shot, refs[1]!.x, refs[1]!.y, CELL, CELL) !== 0)
      throw new Error(`${lang}: the .notdef references differ`);
    for (const c of cells.filter((x) => x.lang === lang && x.role === 'glyph')) {
      const isBox = regionDiff(shot, c.x, c.y, shot, refs[0]!.x, refs[0]!.y, CELL, CELL) < 0.5;
      if (isBox || distinctColours(shot, c.x, c.y, CELL, CELL) < 2)
        bad.push(`${lang}:${c.text} U+${c.text.codePointAt(0)!.toString(16)}`);
    }
  }
  return bad;
}
