#!/usr/bin/env node
/**
 * Regenerates samples/ha-tien/: a bundle for site group kien-giang/ha-tien built from
 * samples/gate-texts.json (vi, km, en, zh-Hans).
 * - PNG slides per language, rendered by Chromium (CHROMIUM_PATH or /usr/bin/chromium) so the
 *   Khmer and Chinese scripts are shaped by the same fonts the screens use;
 * - a 6-second H.264 clip and its poster, made by ffmpeg (`apt-get install ffmpeg`);
 * - bundle.json: image, text and video items, a day and a night playlist, a schedule.
 * Usage: node samples/generate-ha-tien.mjs   (outputs are committed; rerun only to change them)
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'ha-tien');
const SG = 'kien-giang/ha-tien';
const LANGS = ['vi', 'km', 'en', 'zh-Hans'];
const texts = JSON.parse(readFileSync(join(here, 'gate-texts.json'), 'utf8')).texts;
const gateName = {
  vi: 'Cửa khẩu Quốc tế Hà Tiên',
  km: 'ច្រកព្រំដែនអន្តរជាតិហាទៀង',
  en: 'Ha Tien International Border Gate',
  'zh-Hans': '河仙国际口岸',
};

const chromium = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
  (p) => p && existsSync(p),
);
if (!chromium) throw new Error('Chromium not found (CHROMIUM_PATH, /usr/bin/chromium)');

rmSync(join(out, 'media'), { recursive: true, force: true });
mkdirSync(join(out, 'media'), { recursive: true });

const slide = (title, subtitle, colours, lang) => `<!doctype html><html lang="${lang}"><meta charset="utf-8">
<style>
  html,body{margin:0;width:1280px;height:720px;overflow:hidden}
  body{background:${colours[0]};color:#fff;display:flex;flex-direction:column;
       justify-content:center;align-items:center;text-align:center;font-family:"Noto Sans","Noto Sans Khmer","Noto Sans CJK SC",sans-serif}
  .band{position:absolute;top:0;left:0;right:0;height:90px;background:${colours[1]};display:flex;align-items:center;
        padding:0 48px;font-size:34px;letter-spacing:.5px}
  h1{font-size:68px;line-height:1.35;margin:0 90px;font-weight:700;}
  p{font-size:38px;margin:36px 90px 0;opacity:.92}
  .star{position:absolute;bottom:40px;right:56px;width:70px;height:70px;background:#ffd400;
        clip-path:polygon(50% 0,61% 35%,98% 35%,68% 57%,79% 91%,50% 70%,21% 91%,32% 57%,2% 35%,39% 35%)}
</style><div class="band">${gateName[lang]}</div><h1>${title}</h1>${subtitle ? `<p>${subtitle}</p>` : ''}<div class="star"></div>`;

const browser = await puppeteer.launch({
  executablePath: chromium,
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
});
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 720 });
  const images = {
    welcome: { colours: ['#b3001b', '#6d0010'], sub: (l) => texts.tourism[l] },
    tourism: { colours: ['#00695c', '#003d33'], sub: () => '' },
  };
  for (const [name, spec] of Object.entries(images)) {
    mkdirSync(join(out, 'media', name), { recursive: true });
    for (const lang of LANGS) {
      await page.setContent(slide(texts[name][lang], spec.sub(lang), spec.colours, lang), {
        waitUntil: 'load',
      });
      await page.evaluate(() => document.fonts.ready);
      const png = await page.screenshot({ type: 'png' });
      writeFileSync(join(out, 'media', name, `${lang}.png`), png);
    }
  }
} finally {
  await browser.close();
}

// A short clip: moving test pattern with the gate's name, no audio, small enough to commit.
execFileSync('ffmpeg', [
  '-loglevel',
  'error',
  '-y',
  '-f',
  'lavfi',
  '-i',
  'testsrc2=size=640x360:rate=25:duration=6',
  '-vf',
  "drawtext=fontfile=/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf:text='Hà Tiên':fontsize=56:fontcolor=white:box=1:boxcolor=black@0.5:x=(w-tw)/2:y=h-th-30",
  '-c:v',
  'libx264',
  '-preset',
  'veryslow',
  '-crf',
  '32',
  '-pix_fmt',
  'yuv420p',
  '-movflags',
  '+faststart',
  join(out, 'media', 'gate-clip.mp4'),
]);
execFileSync('ffmpeg', [
  '-loglevel',
  'error',
  '-y',
  '-ss',
  '1',
  '-i',
  join(out, 'media', 'gate-clip.mp4'),
  '-frames:v',
  '1',
  '-q:v',
  '6',
  join(out, 'media', 'gate-clip-poster.jpg'),
]);

const per = (fn) => Object.fromEntries(LANGS.map((l) => [l, fn(l)]));
const manifest = {
  schema: 1,
  siteGroup: SG,
  label: 'Hà Tiên sample bundle',
  createdAt: '2026-11-22T00:00:00+07:00',
  items: [
    {
      id: 'welcome',
      title: 'Welcome',
      kind: 'image',
      durationMs: 8000,
      variants: per((l) => ({ src: `${SG}/media/welcome/${l}.png` })),
    },
    {
      id: 'documents',
      title: 'Travel documents',
      kind: 'text',
      durationMs: 8000,
      style: 'notice',
      variants: per((l) => ({ title: gateName[l], body: texts.documents[l] })),
    },
    {
      id: 'customs',
      title: 'Customs declaration',
      kind: 'text',
      durationMs: 8000,
      style: 'standard',
      variants: per((l) => ({ body: texts.customs[l] })),
    },
    {
      id: 'gate-clip',
      title: 'Gate clip',
      kind: 'video',
      // A silent clip: one "no linguistic content" variant, played once per pass, looped for 12 s.
      durationMs: 12000,
      loop: true,
      variants: { zxx: { src: `${SG}/media/gate-clip.mp4`, poster: `${SG}/media/gate-clip-poster.jpg` } },
    },
    {
      id: 'tourism',
      title: 'Two countries, one destination',
      kind: 'image',
      durationMs: 8000,
      variants: per((l) => ({ src: `${SG}/media/tourism/${l}.png` })),
    },
  ],
  playlists: [
    {
      id: 'day',
      name: 'Daytime',
      languageMode: 'all-in-turn',
      transition: 'fade',
      fadeMs: 400,
      entries: [
        { itemId: 'welcome' },
        { itemId: 'documents' },
        { itemId: 'customs' },
        { itemId: 'gate-clip' },
        { itemId: 'tourism' },
      ],
      ticker: { text: per((l) => texts.welcome[l]), speedPxPerS: 80 },
      layoutId: 'gate-day',
    },
    {
      id: 'night',
      name: 'Night',
      languageMode: 'rotate-per-loop',
      transition: 'cut',
      entries: [{ itemId: 'welcome', durationMs: 15000 }, { itemId: 'documents' }],
    },
  ],
  schedule: {
    timezone: 'Asia/Ho_Chi_Minh',
    defaultPlaylistId: 'day',
    entries: [{ id: 'night', playlistId: 'night', priority: 10, window: { start: '20:00', end: '06:00' } }],
  },
  emergencies: [],
  // The header of the day layout: the gate's name in the language on air, clock and countdown.
  gate: { name: gateName, hours: [{ start: '07:00', end: '22:00' }] },
  layouts: [
    {
      id: 'gate-day',
      name: 'Header, main, ticker',
      mainAspect: '16:9',
      regions: { header: { clock: true, countdown: true }, ticker: {} },
    },
  ],
};
writeFileSync(join(out, 'bundle.json'), `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`wrote ${out}`);
