import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defaultPlaylistPlan } from '../../device/playback/default-playlist-plan.js';
import {
  type PlanAt,
  type PlayEvent,
  PlayerLoop,
  type SkipEvent,
} from '../../device/playback/player-loop.js';
import { resolveSlide, tickerSpec } from '../../device/playback/resolve-slide.js';
import { MemorySurface } from '../../player/surface.js';
import { memoryLogger } from '../../platform/log.js';
import type { PlannedItem } from '../../protocol/schedule.js';
import { MutableContentSource } from '../helpers/dir-content.js';
import { memoryBundle } from '../helpers/memory-bundle.js';

const SITE = 'kien-giang/ha-tien';
const m = (f: string) => `${SITE}/media/${f}`;
const LANGS = ['vi', 'km', 'en', 'zh-Hans'];

function manifest() {
  return {
    schema: 1,
    siteGroup: SITE,
    createdAt: '2026-01-01T00:00:00Z',
    items: [
      {
        id: 'photo',
        title: 'Photo',
        kind: 'image',
        durationMs: 1000,
        variants: { vi: { src: m('a.png') }, km: { src: m('a-km.png') } },
      },
      {
        id: 'clip',
        title: 'Clip',
        kind: 'video',
        durationMs: 2000,
        loop: true,
        variants: { vi: { src: m('c.webm') } },
      },
      {
        id: 'hello',
        title: 'Hello',
        kind: 'text',
        durationMs: 1000,
        variants: { vi: { body: 'Xin chào' }, km: { body: 'សួស្តី' } },
      },
    ],
    playlists: [
      {
        id: 'main',
        name: 'Main',
        entries: [{ itemId: 'photo' }, { itemId: 'clip' }, { itemId: 'hello' }],
        transition: 'fade',
        fadeMs: 300,
        ticker: { text: { en: 'Hello', vi: 'Xin chào', lo: 'ສະບາຍດີ' }, speedPxPerS: 90 },
      },
    ],
    schedule: { defaultPlaylistId: 'main' },
  };
}

describe('player loop', () => {
  const T0 = Date.parse('2026-03-01T08:00:00Z');
  let surface: MemorySurface;
  let content: MutableContentSource;
  let loop: PlayerLoop | undefined;
  const clock = { now: () => Date.now() };

  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(T0);
    surface = new MemorySurface();
    content = new MutableContentSource(memoryBundle(manifest()));
  });
  afterEach(() => {
    loop?.stop();
    vi.useRealTimers();
  });

  function startLoop(planAt?: PlanAt, leadMs = 1500) {
    loop = new PlayerLoop({
      surface,
      content,
      planAt: planAt ?? ((t) => defaultPlaylistPlan(content.current()!, LANGS)(t)),
      clock,
      gate: { name: 'Hà Tiên', languages: LANGS },
      deviceId: 'dev-1',
      leadMs,
      log: memoryLogger(),
    });
    const played: PlayEvent[] = [];
    const skipped: SkipEvent[] = [];
    loop.onPlayed((e) => played.push(e));
    loop.onSkipped((e) => skipped.push(e));
    loop.start();
    return { played, skipped };
  }

  /** Advances time in small steps, letting the memory surface start whatever is due. */
  async function run(ms: number, step = 50) {
    for (let t = 0; t < ms; t += step) {
      await vi.advanceTimersByTimeAsync(step);
      surface.startDue(Date.now());
    }
  }

  it('shows what is on air at once, then queues each next item ahead of its planned start', async () => {
    const { played } = startLoop();
    expect(surface.replaced).toHaveLength(1);
    const first = surface.replaced[0]![0]!;
    expect(first.startAt).toBe(0); // on air now: shown as soon as it is loaded
    surface.startDue(Date.now());
    await run(12_000);
    // Every queued slide was queued at least the lead time before its start.
    for (const s of surface.enqueued) expect(s.startAt).toBeGreaterThan(0);
    const order = played.map((e) => `${e.item.itemId}/${e.language}`);
    // Cycle: photo vi, photo km, clip vi, hello vi, hello km (no en/zh variants: left out).
    expect(order.length).toBeGreaterThan(6);
    const cycle = ['photo/vi', 'photo/km', 'clip/vi', 'hello/vi', 'hello/km'];
    const at = cycle.indexOf(order[0]!);
    for (const [i, o] of order.entries()) expect(o).toBe(cycle[(at + i) % cycle.length]);
    // Planned starts are back to back.
    for (let i = 2; i < played.length; i++) {
      expect(played[i]!.scheduledStart).toBe(played[i - 1]!.scheduledStart + played[i - 1]!.durationMs);
      expect(played[i]!.actualStart).toBe(played[i]!.scheduledStart);
    }
  });

  it('emits one play event per item with language, variant hash and bundle version', async () => {
    const { played } = startLoop();
    surface.startDue(Date.now());
    await run(6000);
    const photo = played.find((e) => e.item.itemId === 'photo' && e.language === 'km')!;
    const bundle = content.current()!;
    expect(photo).toMatchObject({
      language: 'km',
      siteGroup: SITE,
      bundleVersion: 1,
      variant: { targetPath: m('a-km.png'), sha256: bundle.targets.get(m('a-km.png'))!.sha256 },
      durationMs: 1000,
    });
    const text = played.find((e) => e.item.kind === 'text')!;
    expect(text.variant.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(new Set(played.map((e) => e.slideId)).size).toBe(played.length);
  });

  it('records the slot on air at a bundle switch once, with the time it was really on air', async () => {
    // Two plans for the same playlist, as two bundles give them: the new one starts each slot 200 ms
    // later, so the item on air at the switch is the same showing under another slide id.
    const slot = (itemId: string, startAt: number, durationMs: number): PlannedItem => ({
      startAt,
      durationMs,
      source: 'default',
      playlistId: 'main',
      itemId,
      kind: itemId === 'hello' ? 'text' : 'image',
      language: 'vi',
      forLanguage: 'vi',
      transition: 'cut',
      fadeMs: 0,
    });
    const plans: Record<number, (t: number) => { current?: PlannedItem; next?: PlannedItem }> = {
      1: (t) =>
        t < T0 + 1000
          ? { current: slot('photo', T0, 1000), next: slot('hello', T0 + 1000, 1000) }
          : { current: slot('hello', T0 + 1000, 1000), next: slot('photo', T0 + 2000, 1000) },
      2: (t) =>
        t < T0 + 1200
          ? { current: slot('photo', T0 + 200, 1000), next: slot('hello', T0 + 1200, 1000) }
          : t < T0 + 2200
            ? { current: slot('hello', T0 + 1200, 1000), next: slot('photo', T0 + 2200, 5000) }
            : { current: slot('photo', T0 + 2200, 5000) },
    };
    const { played } = startLoop((t) => plans[content.current()!.version]!(t), 500);
    surface.startDue(Date.now());
    await run(600);
    content.set(memoryBundle(manifest(), { version: 2 })); // at T0 + 600: photo is still on air
    await run(2000);
    loop!.stop(); // what is on air when the loop stops is recorded up to then
    const shown = played.map((e) => ({
      id: `${e.item.itemId}/${e.language}`,
      from: e.actualStart - T0,
      ms: e.durationMs,
      v: e.bundleVersion,
    }));
    expect(shown).toEqual([
      { id: 'photo/vi', from: 0, ms: 1200, v: 1 }, // on air from 0 until hello replaced it at 1200
      { id: 'hello/vi', from: 1200, ms: 1000, v: 2 },
      { id: 'photo/vi', from: 2200, ms: 400, v: 2 },
    ]);
  });

  it('queues each slide at least the lead time before it starts', async () => {
    startLoop(undefined, 1500);
    const queuedAt = new Map<string, number>();
    const orig = surface.enqueue.bind(surface);
    surface.enqueue = async (s) => {
      queuedAt.set(s.id, Date.now());
      return orig(s);
    };
    surface.startDue(Date.now());
    await run(10_000);
    expect(queuedAt.size).toBeGreaterThan(4);
    for (const s of surface.enqueued) {
      if (queuedAt.has(s.id)) expect(s.startAt - queuedAt.get(s.id)!).toBeGreaterThanOrEqual(1500);
    }
  });

  it('skips an item whose file is missing and reports it, without a gap in the queue', async () => {
    content = new MutableContentSource(memoryBundle(manifest(), { missing: [m('c.webm')] }));
    const { played, skipped } = startLoop();
    surface.startDue(Date.now());
    await run(8000);
    expect(skipped.some((s) => s.item.itemId === 'clip' && /not installed/.test(s.reason))).toBe(true);
    expect(played.some((e) => e.item.itemId === 'clip')).toBe(false);
    expect(played.length).toBeGreaterThan(3);
  });

  it('reports a slide the page failed to load as skipped', async () => {
    const { skipped } = startLoop();
    surface.startDue(Date.now());
    await run(200);
    const next = surface.waiting[0]!;
    surface.fail(next.id, 'decode failed');
    await run(4000);
    expect(skipped.map((s) => s.slideId)).toContain(next.id);
    expect(skipped.find((s) => s.slideId === next.id)!.reason).toBe('decode failed');
  });

  it('shows the waiting card with the gate name and device id when nothing is installed', async () => {
    content = new MutableContentSource(undefined);
    startLoop((t) => {
      const b = content.current();
      return b ? defaultPlaylistPlan(b, LANGS)(t) : {};
    });
    const card = surface.replaced[0]![0]!;
    expect(card.content).toMatchObject({ kind: 'card', title: 'gatecast – Hà Tiên – waiting for content' });
    expect(JSON.stringify(card.content)).toContain('dev-1');
    // A bundle arrives: the loop starts over and plays it.
    content.set(memoryBundle(manifest(), { version: 2 }));
    expect(surface.replaced).toHaveLength(2);
    expect(surface.replaced[1]![0]!.content.kind).not.toBe('card');
  });

  it('starts over when the clock jumps past the queue', async () => {
    startLoop();
    surface.startDue(Date.now());
    await run(1000);
    const before = surface.replaced.length;
    vi.setSystemTime(Date.now() + 3600_000);
    await run(3000);
    expect(surface.replaced.length).toBe(before + 1);
    expect(surface.replaced.at(-1)![0]!.startAt).toBe(0);
  });

  it('keeps the page filled when the planner throws for a moment', async () => {
    let fail = false;
    const base = (t: number) => defaultPlaylistPlan(content.current()!, LANGS)(t);
    startLoop((t) => {
      if (fail) throw new Error('engine broke');
      return base(t);
    });
    fail = true;
    await run(9000);
    expect(surface.replaced.at(-1)![0]!.content.kind).toBe('card');
    fail = false;
    await run(6000);
    expect(surface.replaced.at(-1)![0]!.content.kind).not.toBe('card');
  });
});

describe('slide resolution', () => {
  const bundle = memoryBundle(manifest());
  const item = (p: Partial<PlannedItem>): PlannedItem => ({
    startAt: 1000,
    durationMs: 1000,
    source: 'default',
    playlistId: 'main',
    itemId: 'photo',
    kind: 'image',
    language: 'vi',
    forLanguage: 'vi',
    transition: 'fade',
    fadeMs: 300,
    ...p,
  });

  it('maps an image variant to a page-server URL naming its verified bytes, with the playlist ticker in gate order', () => {
    const r = resolveSlide(item({}), bundle, LANGS);
    const sha256 = bundle.targets.get('kien-giang/ha-tien/media/a.png')!.sha256;
    expect(r.ok && r.slide).toMatchObject({
      id: 'photo/vi@1000',
      content: { kind: 'image', src: `/content/kien-giang/ha-tien/media/a.png?sha256=${sha256}` },
      transition: 'fade',
      fadeMs: 300,
      ticker: {
        speedPxPerS: 90,
        parts: [
          { lang: 'vi', text: 'Xin chào' },
          { lang: 'en', text: 'Hello' },
        ],
      },
    });
  });

  it('refuses a language the item has no variant in, and an unknown item', () => {
    expect(resolveSlide(item({ language: 'zh-Hans' }), bundle, LANGS)).toMatchObject({ ok: false });
    expect(resolveSlide(item({ itemId: 'nope' }), bundle, LANGS)).toMatchObject({ ok: false });
  });

  it('orders ticker parts by the gate and falls back to all when none match', () => {
    expect(
      tickerSpec({ text: { lo: 'a', vi: 'b' }, speedPxPerS: 50 }, ['vi', 'lo'])!.parts.map((p) => p.lang),
    ).toEqual(['vi', 'lo']);
    expect(tickerSpec({ text: { fr: 'a' }, speedPxPerS: 50 }, ['vi'])!.parts.map((p) => p.lang)).toEqual([
      'fr',
    ]);
  });
});
