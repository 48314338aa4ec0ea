/**
 * Khmer, Lao and Chinese render with real glyphs, never .notdef boxes. Screenshot-based: each
 * grapheme of the slides' texts is drawn in its own cell, with the player's own CSS and the
 * language's lang attribute, next to reference cells holding unassigned code points (which can only
 * render as .notdef). A grapheme cell that is pixel-identical to its language's reference is a box.
 * A deliberately unrenderable control grapheme proves the detector finds boxes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MutableContentSource } from '../helpers/dir-content.js';
import { playerBundle, TEXTS } from '../helpers/player-bundle.js';
import { type Rig, slide, started, startRig } from '../helpers/player-rig.js';
import { decodePng, distinctColours, regionDiff } from '../helpers/png.js';
import { tempDir } from '../helpers/temp.js';

const CELL = 40;
const COLS = 20;
/** Unassigned in Unicode 16 (Greek block gaps): no font has them, so they draw as .notdef. */
const NOTDEF_REFS = ['\u0378', '\u0379'];
const CONTROL = '\u0380';

describe('script fonts', () => {
  let dir: ReturnType<typeof tempDir>;
  let rig: Rig;

  beforeEach(async () => {
    dir = tempDir('gatecast-fonts-');
    rig = await startRig(new MutableContentSource(playerBundle(dir.path)), dir.path, {
      width: 800,
      height: 500,
    });
  });
  afterEach(async () => {
    await rig?.stop();
    dir.cleanup();
  });

  it('shows Khmer, Lao and Chinese text slides without .notdef boxes', async () => {
    const langs = ['km', 'lo', 'zh-Hans'] as const;
    // The slides themselves: on air, and not blank.
    for (const lang of langs) {
      await rig.surface.enqueue(
        slide({ id: `t-${lang}`, lang, content: { kind: 'text', ...TEXTS[lang], style: 'standard' } }),
      );
      await rig.waitFor(started(`t-${lang}`));
      const shot = decodePng(await rig.surface.screenshot());
      expect(shot.width).toBe(800);
      expect(distinctColours(shot, 0, 0, shot.width, shot.height), lang).toBeGreaterThan(20);
    }

    // The glyph grid, drawn over the page with the page's CSS.
    const rows = langs.map((lang) => {
      const text = `${TEXTS[lang].title}${TEXTS[lang].body}`;
      const graphemes = [...new Intl.Segmenter(lang, { granularity: 'grapheme' }).segment(text)]
        .map((s) => s.segment)
        .filter((g) => g.trim() !== '');
      return { lang, refs: NOTDEF_REFS, glyphs: [...new Set(graphemes)], control: CONTROL };
    });
    const page = await rig.surface.inspectPage(async (p) => p);
    {
      const cells = await page!.evaluate(
        (rowsIn, cell, cols) => {
          const grid = document.createElement('div');
          Object.assign(grid.style, {
            position: 'fixed',
            left: '0',
            top: '0',
            zIndex: '100',
            background: '#fff',
            color: '#000',
            display: 'grid',
            gridTemplateColumns: `repeat(${cols}, ${cell}px)`,
            gridAutoRows: `${cell}px`,
          });
          const out: { lang: string; text: string; role: string; x: number; y: number }[] = [];
          const add = (lang: string, text: string, role: string) => {
            const c = document.createElement('span');
            c.lang = lang;
            c.textContent = text;
            Object.assign(c.style, {
              fontSize: `${Math.round(cell * 0.5)}px`,
              lineHeight: `${cell}px`,
              textAlign: 'center',
              overflow: 'hidden',
            });
            grid.appendChild(c);
            out.push({ lang, text, role, x: 0, y: 0 });
            return c;
          };
          const els: HTMLElement[] = [];
          for (const r of rowsIn) {
            for (const t of r.refs) els.push(add(r.lang, t, 'ref'));
            els.push(add(r.lang, r.control, 'control'));
            for (const g of r.glyphs) els.push(add(r.lang, g, 'glyph'));
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
        CELL,
        COLS,
      );
      await new Promise((r) => setTimeout(r, 100)); // let the grid paint (not a timing assertion)
      const shot = decodePng(Buffer.from(await page!.screenshot({ type: 'png' })));
      const boxes: string[] = [];
      const blanks: string[] = [];
      let controlsFound = 0;
      for (const lang of langs) {
        const refs = cells.filter((c) => c.lang === lang && c.role === 'ref');
        // Both unassigned code points draw the same box: the reference is stable.
        expect(regionDiff(shot, refs[0]!.x, refs[0]!.y, shot, refs[1]!.x, refs[1]!.y, CELL, CELL)).toBe(0);
        expect(distinctColours(shot, refs[0]!.x, refs[0]!.y, CELL, CELL)).toBeGreaterThan(1);
        for (const c of cells.filter((x) => x.lang === lang && x.role !== 'ref')) {
          const isBox = regionDiff(shot, c.x, c.y, shot, refs[0]!.x, refs[0]!.y, CELL, CELL) < 0.5;
          if (c.role === 'control') {
            if (isBox) controlsFound++;
            continue;
          }
          if (isBox) boxes.push(`${lang}:${c.text} U+${c.text.codePointAt(0)!.toString(16)}`);
          if (distinctColours(shot, c.x, c.y, CELL, CELL) < 2) blanks.push(`${lang}:${c.text}`);
        }
      }
      expect(controlsFound).toBe(langs.length);
      expect(boxes).toEqual([]);
      expect(blanks).toEqual([]);
      expect(cells.filter((c) => c.role === 'glyph').length).toBeGreaterThan(40);
    }
  });
});
