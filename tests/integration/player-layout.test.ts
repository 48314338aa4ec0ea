/**
 * The gate screen's layout in real Chromium: header (gate name in the language on air, clock,
 * countdown), main with no bars, ticker; at 1920×1080, 3840×2160 and portrait 1080×1920; and an
 * emergency with every gate language on screen at once.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'puppeteer-core';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveSlide } from '../../device/playback/resolve-slide.js';
import type { Slide } from '../../player/slide.js';
import { clockText, countdownAt, countdownText, gateHoursView } from '../../protocol/gate-hours.js';
import type { PlannedItem } from '../../protocol/schedule.js';
import { MutableContentSource } from '../helpers/dir-content.js';
import { tofuIn } from '../helpers/glyphs.js';
import {
  EMERGENCY,
  GATE_NAMES,
  LANGS,
  layoutBundle,
  layoutManifest,
  ZONE,
} from '../helpers/layout-bundle.js';
import { type Rig, started, startRig } from '../helpers/player-rig.js';
import { decodePng, type Image } from '../helpers/png.js';
import { tempDir } from '../helpers/temp.js';

type Box = { x: number; y: number; w: number; h: number };
interface Regions {
  layout: string | null;
  emergency: boolean;
  header: Box | null;
  main: Box | null;
  info: Box | null;
  ticker: Box | null;
}

interface HeaderRead {
  now: number;
  name: string;
  nameLang: string;
  time: string;
  date: string;
  countdown: string;
  headerCountdown: string;
  today: string;
}

/** Where to keep screenshots for a person to look at (never committed); unset: none kept. */
const SHOTS = process.env['GATECAST_SHOTS'];

const planned = (p: Partial<PlannedItem>): PlannedItem => ({
  startAt: 0,
  durationMs: 60_000,
  source: 'default',
  playlistId: 'day',
  itemId: 'photo',
  kind: 'image',
  language: 'vi',
  forLanguage: 'vi',
  transition: 'cut',
  fadeMs: 0,
  ...p,
});

describe('gate screen layout', () => {
  let dir: ReturnType<typeof tempDir> | undefined;
  let rig: Rig | undefined;
  afterEach(async () => {
    await rig?.stop();
    dir?.cleanup();
    rig = undefined;
    dir = undefined;
  });

  async function start(
    width: number,
    height: number,
    tweak?: (m: ReturnType<typeof layoutManifest>) => void,
  ) {
    dir = tempDir('gatecast-layout-');
    const bundle = layoutBundle(dir.path, 1, tweak);
    // A 4K screenshot can keep the page busy for seconds on a loaded machine: no stall restarts here.
    rig = await startRig(new MutableContentSource(bundle), dir.path, { width, height, pageStallMs: 120_000 });
    const gate = { languages: LANGS, timezone: ZONE };
    let n = 0;
    const show = async (p: Partial<PlannedItem>): Promise<Slide> => {
      const r = resolveSlide(planned({ startAt: Date.now(), ...p }), bundle, gate);
      if (!r.ok) throw new Error(r.reason);
      const s = { ...r.slide, id: `${r.slide.id}#${n++}`, startAt: 0 };
      await rig!.surface.enqueue(s);
      await rig!.waitFor(started(s.id));
      return s;
    };
    const page = (await rig.surface.inspectPage(async (p) => p))!;
    return { bundle, show, page };
  }

  const regions = (page: Page) => page.evaluate('window.gatecast.regions()') as Promise<Regions>;
  const shot = async (page: Page, name: string): Promise<Image> => {
    const png = Buffer.from(await page.screenshot({ type: 'png' }));
    if (SHOTS) writeFileSync(join(SHOTS, `${name}.png`), png);
    return decodePng(png);
  };
  const pixel = (img: Image, x: number, y: number) => {
    const i = (Math.round(y) * img.width + Math.round(x)) * 4;
    return [img.data[i]!, img.data[i + 1]!, img.data[i + 2]!];
  };
  const isRed = ([r, g, b]: number[]) => r! > 200 && g! < 60 && b! < 60;

  /** The header's texts as the page shows them, with the TS functions' answer for the page's time. */
  async function headerTexts(page: Page, lang: string) {
    for (let attempt = 0; ; attempt++) {
      const got = (await page.evaluate(() => ({
        now: Date.now(),
        name: document.getElementById('gate-name')!.textContent,
        nameLang: document.getElementById('gate-name')!.lang,
        time: document.getElementById('clock-time')!.textContent,
        date: document.getElementById('clock-date')!.textContent,
        countdown: document.getElementById('info-countdown')!.textContent,
        headerCountdown: document.getElementById('header-countdown')!.textContent,
        today: document.getElementById('today')!.textContent,
      }))) as HeaderRead;
      const view = gateHoursView(ZONE, [{ start: '07:00', end: '22:00' }], got.now);
      const want = {
        ...clockText(lang, ZONE, got.now),
        countdown: countdownText(lang, countdownAt(view, got.now)!),
      };
      // A minute may turn between the page's render and this read: read again.
      if ((got.time === want.time && got.countdown === want.countdown) || attempt >= 2) return { got, want };
    }
  }

  for (const [width, height] of [
    [1920, 1080],
    [3840, 2160],
  ] as const) {
    it(`shows header, clock, countdown and a main region without bars at ${width}×${height} in vi, km, lo, zh-Hans and en`, async () => {
      const { show, page } = await start(width, height);
      for (const lang of LANGS) {
        await show({ language: lang, forLanguage: lang });
        const r = await regions(page);
        expect(r.layout).toBe('gate-day');
        // Header on top, ticker at the bottom, main between them at 16:9, the info panel beside it.
        const { header, main, info, ticker } = r as Required<{
          [K in keyof Regions]: NonNullable<Regions[K]>;
        }>;
        expect(header.y).toBe(0);
        expect(header.w).toBe(width);
        expect(main.y).toBe(header.h);
        expect(Math.abs(main.w / main.h - 16 / 9)).toBeLessThan(0.003);
        expect(ticker.y + ticker.h).toBe(height);
        expect(main.y + main.h).toBe(ticker.y);
        expect(info.x).toBe(main.w);
        expect(info.x + info.w).toBe(width);
        // The 16:9 image fills main: red right to its edges, no bars (a 4K screenshot takes seconds
        // on a loaded machine: one language there, every language at 1080p).
        const img =
          width < 3000 || lang === 'km' ? await shot(page, `layout-${width}x${height}-${lang}`) : null;
        if (img) expect(img.width).toBe(width);
        if (img)
          for (const [x, y] of [
            [main.x + 1, main.y + 1],
            [main.x + main.w - 2, main.y + 1],
            [main.x + 1, main.y + main.h - 2],
            [main.x + main.w - 2, main.y + main.h - 2],
            [main.x + main.w / 2, main.y + main.h / 2],
          ])
            expect(isRed(pixel(img, x!, y!)), `${lang} (${x}, ${y})`).toBe(true);
        const fitted = (await page.evaluate(() => {
          const i = document.querySelector('#stage .layer.front img') as HTMLImageElement;
          const b = i.getBoundingClientRect();
          const scale = Math.min(b.width / i.naturalWidth, b.height / i.naturalHeight);
          return { barX: b.width - i.naturalWidth * scale, barY: b.height - i.naturalHeight * scale };
        })) as { barX: number; barY: number };
        expect(fitted.barX).toBeLessThan(1);
        expect(fitted.barY).toBeLessThan(1);
        // The header speaks the language on air; clock and countdown as the pure functions say.
        const { got, want } = await headerTexts(page, lang);
        expect(got.name).toBe(GATE_NAMES[lang]);
        expect(got.nameLang).toBe(lang);
        expect(got.time).toMatch(/^\d{2}:\d{2}$/);
        expect(got.time).toBe(want.time);
        expect(got.date).toBe(want.date);
        expect(got.countdown).toBe(want.countdown);
        expect(got.countdown.length).toBeGreaterThan(3);
        expect(got.today.length).toBeGreaterThan(3);
      }
      // Every header text in its script renders with real glyphs.
      const texts = (await page.evaluate(() => ({
        date: document.getElementById('clock-date')!.textContent,
      }))) as { date: string };
      expect(texts.date.length).toBeGreaterThan(3);
      const now = Date.now();
      const view = gateHoursView(ZONE, [{ start: '07:00', end: '22:00' }], now);
      const c = countdownAt(view, now)!;
      const tofu = await tofuIn(
        page,
        LANGS.map((lang) => ({
          lang,
          text: `${GATE_NAMES[lang]}${clockText(lang, ZONE, now).date}${countdownText(lang, c)}`,
        })),
      );
      expect(tofu).toEqual([]);
    }, 240_000);
  }

  it('lays out a portrait screen: main 16:9 across the width, the info panel below it', async () => {
    const { show, page } = await start(1080, 1920);
    await show({ language: 'km', forLanguage: 'km' });
    const r = await regions(page);
    const img = await shot(page, 'layout-1080x1920-km');
    expect(r.main!.w).toBe(1080);
    expect(Math.abs(r.main!.w / r.main!.h - 16 / 9)).toBeLessThan(0.003);
    expect(r.info!.y).toBe(r.main!.y + r.main!.h);
    expect(r.info!.w).toBe(1080);
    expect(r.ticker!.y + r.ticker!.h).toBe(1920);
    expect(isRed(pixel(img, 1, r.main!.y + 1))).toBe(true);
    expect(isRed(pixel(img, 1078, r.main!.y + r.main!.h - 2))).toBe(true);
    const { got, want } = await headerTexts(page, 'km');
    expect(got.name).toBe(GATE_NAMES.km);
    expect(got.countdown).toBe(want.countdown);
  });

  for (const [width, height] of [
    [1920, 1080],
    [1080, 1920],
  ] as const) {
    it(`shows an emergency in every gate language at once, large, over every region, at ${width}×${height}`, async () => {
      const { show, page } = await start(width, height);
      await show({ language: 'vi', forLanguage: 'vi' });
      await show({
        source: 'emergency',
        itemId: 'pause',
        emergencyId: 'pause',
        playlistId: 'emergency:pause',
        kind: 'text',
        language: 'km',
        forLanguage: 'km',
      });
      const r = await regions(page);
      expect(r.emergency).toBe(true);
      const parts = (await page.evaluate(() =>
        Array.from(document.querySelectorAll('#stage .layer.front .emergency-part')).map((e) => {
          const b = e.getBoundingClientRect();
          const p = e.querySelector('p')!;
          const h = e.querySelector('h1')!;
          return {
            lang: (e as HTMLElement).lang,
            title: h.textContent,
            body: p.textContent,
            top: b.top,
            bottom: b.bottom,
            left: b.left,
            right: b.right,
            bodyPx: parseFloat(getComputedStyle(p).fontSize),
            titlePx: parseFloat(getComputedStyle(h).fontSize),
            bodyScrolls: p.scrollHeight > p.clientHeight + 1,
          };
        }),
      )) as {
        lang: string;
        title: string;
        body: string;
        top: number;
        bottom: number;
        left: number;
        right: number;
        bodyPx: number;
        titlePx: number;
      }[];
      // All five at once, in the gate's order, each whole and inside the screen.
      expect(parts.map((p) => p.lang)).toEqual([...LANGS]);
      const short = Math.min(width, height);
      for (const p of parts) {
        const lang = p.lang as (typeof LANGS)[number];
        expect(p.title).toBe(EMERGENCY[lang].title);
        expect(p.body).toBe(EMERGENCY[lang].body);
        expect(p.top, lang).toBeGreaterThanOrEqual(0);
        expect(p.bottom, lang).toBeLessThanOrEqual(height);
        expect(p.left, lang).toBeGreaterThanOrEqual(0);
        expect(p.right, lang).toBeLessThanOrEqual(width);
        // Large: a body line at least 3.3 % of the short side (36 px on a 1080-line screen).
        expect(p.bodyPx, lang).toBeGreaterThanOrEqual(0.033 * short);
        expect(p.titlePx, lang).toBeGreaterThan(p.bodyPx);
      }
      // Over every region: the emergency covers the header and the ticker.
      const cover = (await page.evaluate(() => {
        const at = (x: number, y: number) => !!document.elementFromPoint(x, y)?.closest('.emergency');
        return [
          at(innerWidth / 2, 5),
          at(innerWidth / 2, innerHeight - 5),
          at(innerWidth - 5, innerHeight / 2),
        ];
      })) as boolean[];
      expect(cover).toEqual([true, true, true]);
      // Attention without flashing: the pulse takes 2 s each way (0.25 Hz), nothing faster.
      const anims = (await page.evaluate(() =>
        document.getAnimations().map((a) => ({
          name: (a as CSSAnimation).animationName ?? '',
          duration: Number(a.effect?.getTiming().duration),
          direction: a.effect?.getTiming().direction,
        })),
      )) as { name: string; duration: number; direction: string }[];
      const pulse = anims.filter((a) => a.name === 'emergency-pulse');
      expect(pulse.length).toBeGreaterThan(0);
      for (const a of pulse) expect(a.duration).toBeGreaterThanOrEqual(1000);
      await shot(page, `emergency-${width}x${height}`);
      // Each script with real glyphs.
      expect(
        await tofuIn(
          page,
          LANGS.map((lang) => ({ lang, text: `${EMERGENCY[lang].title}${EMERGENCY[lang].body}` })),
        ),
      ).toEqual([]);
      // When it ends the layout comes back as it was.
      await show({ language: 'en', forLanguage: 'en' });
      const after = await regions(page);
      expect(after.emergency).toBe(false);
      expect(after.layout).toBe('gate-day');
      expect(after.header).not.toBeNull();
    });
  }

  it('loops a side region of its own, item after item, while main stays on', async () => {
    const { show, page } = await start(1920, 1080, (m) => {
      m.playlists.push({
        id: 'side-pl',
        name: 'Side',
        entries: [
          { itemId: 'red', durationMs: 2500 },
          { itemId: 'green', durationMs: 2500 },
        ],
      } as never);
      m.layouts[0]!.regions = { ...m.layouts[0]!.regions, side: { playlistId: 'side-pl' } } as never;
    });
    await show({ itemId: 'hello', kind: 'text', language: 'lo', forLanguage: 'lo' });
    const side = async () =>
      (await page.evaluate('window.gatecast.regions()')) as Regions & {
        side: Box | null;
        sideState: { current: string | null };
      };
    const seen: string[] = [];
    for (let i = 0; i < 200 && seen.length < 3; i++) {
      const r = await side();
      const id = r.sideState.current;
      if (id && id !== seen.at(-1)) {
        seen.push(id);
        // What the side region shows is painted: red, then green (checked when the screenshot
        // surely shows this one: it is still on air after it).
        const img = await shot(page, `layout-side-${seen.length}`);
        const [red, green] = pixel(img, r.side!.x + r.side!.w / 2, r.side!.y + r.side!.h / 2);
        if ((await side()).sideState.current === id)
          expect(id.includes('/red/') ? red! > 200 : green! > 100, `${id}: ${red}, ${green}`).toBe(true);
      }
      await new Promise((res) => setTimeout(res, 50)); // polling the page's state, not a timing assertion
    }
    // Round after round, red on even rounds and green on odd ones (a loaded machine's polling may
    // miss a round, never reorder them).
    expect(seen.length).toBe(3);
    const rounds = seen.map((id) => Number(id.split('#')[1]));
    expect(rounds[0]).toBe(0);
    expect(rounds[1]).toBeGreaterThan(rounds[0]!);
    expect(rounds[2]).toBeGreaterThan(rounds[1]!);
    for (const id of seen)
      expect(id).toBe(
        `gate-day/side/${Number(id.split('#')[1]) % 2 ? 'green' : 'red'}/vi#${id.split('#')[1]}`,
      );
    // Beside main, in the space that would have been a bar; no info panel then (its countdown
    // moves into the header).
    const r = await side();
    expect(r.side!.x).toBe(r.main!.w);
    expect(r.info).toBeNull();
    expect(await page.evaluate(() => getComputedStyle(document.getElementById('info')!).display)).toBe(
      'none',
    );
    expect(
      await page.evaluate(() => getComputedStyle(document.getElementById('header-countdown')!).display),
    ).toBe('block');
    expect((await page.evaluate('window.gatecast.state()')) as { current: string }).toMatchObject({
      current: expect.stringMatching(/^hello\/lo@/),
    });
  });
});
