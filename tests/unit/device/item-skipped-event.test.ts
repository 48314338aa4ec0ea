/**
 * A variant the page cannot show (decode failure reported by the page, or a file not installed) is
 * told at once, as the page reports it: the event names the item, its title, the language and the
 * file, in its message and its data.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { deviceEvents, MemoryEventSink } from '../../../device/events/event-sink.js';
import { defaultPlaylistPlan } from '../../../device/playback/default-playlist-plan.js';
import { PlayerLoop } from '../../../device/playback/player-loop.js';
import { MemorySurface } from '../../../player/surface.js';
import { memoryLogger } from '../../../platform/log.js';
import { MutableContentSource } from '../../helpers/dir-content.js';
import { memoryBundle } from '../../helpers/memory-bundle.js';

const SITE = 'kien-giang/ha-tien';
const m = (f: string) => `${SITE}/media/${f}`;

const manifest = {
  schema: 1,
  siteGroup: SITE,
  createdAt: '2026-01-01T00:00:00Z',
  items: [
    {
      id: 'welcome',
      title: 'Chào mừng',
      kind: 'image',
      durationMs: 1000,
      variants: { vi: { src: m('welcome/vi.png') }, en: { src: m('welcome/en.png') } },
    },
  ],
  playlists: [{ id: 'main', name: 'Main', entries: [{ itemId: 'welcome' }] }],
  schedule: { defaultPlaylistId: 'main' },
};

describe('a variant the screen cannot show', () => {
  let loop: PlayerLoop | undefined;
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(Date.parse('2026-03-01T08:00:00Z'));
  });
  afterEach(() => {
    loop?.stop();
    vi.useRealTimers();
  });

  function start(content: MutableContentSource, surface: MemorySurface) {
    const events = new MemoryEventSink();
    loop = new PlayerLoop({
      surface,
      content,
      planAt: (t) => defaultPlaylistPlan(content.current()!, ['vi', 'en'])(t),
      clock: { now: () => Date.now() },
      gate: { name: 'Hà Tiên', languages: ['vi', 'en'] },
      leadMs: 1500,
      log: memoryLogger(),
    });
    loop.onSkipped((e) => events.emit(deviceEvents.itemSkipped(Date.now(), e)));
    loop.start();
    return events;
  }

  it('reports a decode failure at once, naming item, title, language and file', () => {
    const surface = new MemorySurface();
    const events = start(new MutableContentSource(memoryBundle(manifest)), surface);
    const first = surface.replaced[0]![0]!;
    expect(first.id.startsWith('welcome/vi@')).toBe(true);
    surface.fail(first.id, 'image failed to decode');
    surface.startDue(Date.now());
    // No timer ran: the event is there as soon as the page said so.
    expect(events.events).toHaveLength(1);
    expect(events.events[0]).toMatchObject({
      kind: 'item-skipped',
      message: `item "welcome" (Chào mừng) in vi not shown: file ${m('welcome/vi.png')}: image failed to decode`,
      data: {
        itemId: 'welcome',
        title: 'Chào mừng',
        language: 'vi',
        file: m('welcome/vi.png'),
        reason: 'image failed to decode',
      },
    });
  });

  it('names the file of a variant that is not installed', () => {
    const surface = new MemorySurface();
    const content = new MutableContentSource(memoryBundle(manifest, { missing: [m('welcome/vi.png')] }));
    const events = start(content, surface);
    const skipped = events.events.find((e) => e.data?.['language'] === 'vi')!;
    expect(skipped.data).toMatchObject({ itemId: 'welcome', title: 'Chào mừng', file: m('welcome/vi.png') });
    expect(skipped.message).toContain('item "welcome" (Chào mừng) in vi not shown');
  });
});
