import puppeteer, { type Browser } from 'puppeteer-core';

/** Headless Chromium for checks, with the flags the project uses on a box with no internet. */
export async function launchCheckBrowser(
  executablePath: string,
  env?: Record<string, string>,
): Promise<Browser> {
  const args = [
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-gpu',
  ];
  // Chromium's sandbox refuses to run as root; a technician's sudo run or CI is root
  if (process.getuid?.() === 0) args.push('--no-sandbox');
  return puppeteer.launch({
    executablePath,
    headless: true,
    args,
    ...(env ? { env: { ...process.env, ...env } } : {}),
  });
}

export interface GlyphReport {
  lang: string;
  checked: number;
  /** Characters drawn as .notdef (a box) or as nothing. */
  missing: string[];
}

const CELL = 64;
const COLS = 16;
/** Unassigned code points: no font has them, so they show what "missing" looks like in each cell's font. */
const NOTDEF_PROBES = ['\u0378', '\u0379', '\u03A2'];

/**
 * Renders each character in its own cell with the page's default sans-serif font stack and that
 * language's `lang` attribute (fontconfig picks fonts by language), takes a real screenshot, and
 * compares every cell with cells of unassigned code points, which can only draw the .notdef box.
 * A character whose pixels match a .notdef cell, or that draws no ink at all, has no font.
 */
export async function findMissingGlyphs(
  browser: Browser,
  samples: readonly { lang: string; chars: readonly string[] }[],
): Promise<GlyphReport[]> {
  const cells: { lang: string; ch: string; probe: boolean }[] = [];
  for (const s of samples) {
    for (const p of NOTDEF_PROBES) cells.push({ lang: s.lang, ch: p, probe: true });
    for (const ch of s.chars) cells.push({ lang: s.lang, ch, probe: false });
  }
  const rows = Math.max(1, Math.ceil(cells.length / COLS));
  const page = await browser.newPage();
  try {
    await page.setViewport({ width: COLS * CELL, height: rows * CELL, deviceScaleFactor: 1 });
    const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
    const html = cells
      .map(
        (c, i) =>
          `<div lang="${esc(c.lang)}" style="left:${(i % COLS) * CELL}px;top:${Math.floor(i / COLS) * CELL}px">${esc(c.ch)}</div>`,
      )
      .join('');
    await page.setContent(
      `<!doctype html><meta charset="utf-8"><style>html,body{margin:0;background:#fff}
       div{position:absolute;width:${CELL}px;height:${CELL}px;overflow:hidden;font:40px sans-serif;
       line-height:${CELL}px;text-align:center;color:#000}</style>${html}`,
      { waitUntil: 'load' },
    );
    await page.evaluate(() => document.fonts.ready.then(() => undefined));
    const png = await page.screenshot({ type: 'png', encoding: 'base64', fullPage: true });
    // decode the screenshot in the page itself (no PNG library needed) and reduce each cell to an ink mask
    const masks = await page.evaluate(
      async (b64: string, n: number, cell: number, cols: number) => {
        const img = new Image();
        img.src = `data:image/png;base64,${b64}`;
        await img.decode();
        const c = document.createElement('canvas');
        c.width = img.width;
        c.height = img.height;
        const g = c.getContext('2d')!;
        g.drawImage(img, 0, 0);
        const out: string[] = [];
        for (let i = 0; i < n; i++) {
          const d = g.getImageData((i % cols) * cell, Math.floor(i / cols) * cell, cell, cell).data;
          let bits = '';
          for (let p = 0; p < d.length; p += 4) bits += d[p]! + d[p + 1]! + d[p + 2]! < 3 * 160 ? '1' : '0';
          out.push(bits);
        }
        return out;
      },
      png,
      cells.length,
      CELL,
      COLS,
    );
    return samples.map((s) => {
      const mine = cells.map((c, i) => ({ ...c, mask: masks[i]! })).filter((c) => c.lang === s.lang);
      const probes = mine.filter((c) => c.probe).map((c) => c.mask);
      const missing = mine
        .filter((c) => !c.probe)
        .filter((c) => !c.mask.includes('1') || probes.some((p) => sameShape(p, c.mask)))
        .map((c) => c.ch);
      return { lang: s.lang, checked: s.chars.length, missing };
    });
  } finally {
    await page.close();
  }
}

/** Two masks are the same shape when they differ in at most 2% of their inked pixels. */
function sameShape(a: string, b: string): boolean {
  let diff = 0;
  let ink = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] === '1';
    const y = b[i] === '1';
    if (x || y) ink++;
    if (x !== y) diff++;
  }
  if (ink === 0) return true;
  return diff <= Math.max(2, ink * 0.02);
}
