/**
 * The demo's schedule, evaluated by the schedule engine on the bundle the demo publishes: the day
 * playlist (ticker, video, every language) at any hour, the night playlist only in the short window
 * the schedule names. The "on air" line says what the engine chose and why.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  demoNotes,
  demoSchedule,
  describeOnAir,
  NIGHT_DEMO_ENTRY_ID,
  watchOnAir,
  writeDemoBundle,
} from '../../cli/demo-schedule.js';
import type { PlannedItem } from '../../protocol/schedule.js';
import { isGatecastError } from '../../protocol/errors.js';
import { type BundleManifest, parseBundleManifest } from '../../protocol/content.js';
import { createScheduleEngine } from '../../protocol/schedule-engine.js';
import { sampleBundleDir } from '../../sync-server/tuf/demo-repository.js';
import { HA_TIEN, t } from '../helpers/schedule-fixtures.js';
import { tempDir } from '../helpers/temp.js';

const ZONE = 'Asia/Ho_Chi_Minh';

describe('the demo schedule', () => {
  let dir: ReturnType<typeof tempDir> | undefined;
  afterEach(() => {
    dir?.cleanup();
    dir = undefined;
  });

  /** The manifest the demo publishes when started at `startAt` (written as the demo writes it). */
  function published(startAt: number, nightInMinutes?: number): BundleManifest {
    dir = tempDir('gc-demo-bundle-');
    const to = join(dir.path, 'bundle');
    writeDemoBundle(sampleBundleDir(), to, startAt, nightInMinutes === undefined ? {} : { nightInMinutes });
    return parseBundleManifest(JSON.parse(readFileSync(join(to, 'bundle.json'), 'utf8')));
  }

  it('plays the day playlist at 23:00 and at 12:00 in Vietnam, whenever the demo was started', () => {
    // Started in a European afternoon (22:30 in Hà Tiên), and in a Vietnamese morning.
    for (const start of ['2026-12-06T22:30:00+07:00', '2026-12-06T09:10:00+07:00']) {
      const engine = createScheduleEngine(published(t(start)), HA_TIEN);
      for (const at of [
        '2026-12-06T23:00:00+07:00',
        '2026-12-07T12:00:00+07:00',
        '2026-12-07T02:00:00+07:00',
      ]) {
        const seg = engine.segmentAt(t(at));
        expect({ start, at, source: seg.source, playlist: seg.playlistId }).toEqual({
          start,
          at,
          source: 'default',
          playlist: 'day',
        });
      }
      dir?.cleanup();
    }
    // The sample's own schedule is a gate's real one: night from 20:00. Not what a demo shows.
    const sample = parseBundleManifest(
      JSON.parse(readFileSync(join(sampleBundleDir(), 'bundle.json'), 'utf8')),
    );
    expect(createScheduleEngine(sample, HA_TIEN).segmentAt(t('2026-12-06T23:00:00+07:00')).playlistId).toBe(
      'night',
    );
  });

  it('puts the night playlist in one short window a few minutes after the start, on that date only', () => {
    const manifest = published(t('2026-12-06T22:30:40+07:00'));
    expect(manifest.schedule).toEqual({
      timezone: ZONE,
      defaultPlaylistId: 'day',
      entries: [
        {
          id: NIGHT_DEMO_ENTRY_ID,
          playlistId: 'night',
          priority: 10,
          from: '2026-12-06',
          to: '2026-12-06',
          window: { start: '22:33', end: '22:35' },
        },
      ],
    });
    const engine = createScheduleEngine(manifest, HA_TIEN);
    const night = engine.segmentAt(t('2026-12-06T22:34:00+07:00'));
    expect(night).toMatchObject({
      source: 'schedule',
      playlistId: 'night',
      scheduleEntryId: NIGHT_DEMO_ENTRY_ID,
      startAt: t('2026-12-06T22:33:00+07:00'),
      endAt: t('2026-12-06T22:35:00+07:00'),
    });
    expect(engine.segmentAt(t('2026-12-07T22:34:00+07:00')).playlistId).toBe('day'); // not the next day
    // The rest of the sample is published as it is: items, playlists (the day one with its ticker).
    const sample = JSON.parse(readFileSync(join(sampleBundleDir(), 'bundle.json'), 'utf8')) as BundleManifest;
    expect(manifest.playlists.map((p) => p.id)).toEqual(sample.playlists.map((p) => p.id));
    expect(manifest.items.map((i) => i.id)).toEqual(sample.items.map((i) => i.id));
  });

  it('shows the night playlist at once on request, across midnight too, and refuses a bad delay', () => {
    const at = t('2026-12-06T23:59:20+07:00');
    const { schedule, nightFrom } = demoSchedule({ defaultPlaylistId: 'day', entries: [] }, ZONE, at, {
      nightInMinutes: 0,
    });
    expect(nightFrom).toBe(t('2026-12-06T23:59:00+07:00'));
    expect(schedule.entries[0]!.window).toEqual({ start: '23:59', end: '00:01' });
    const engine = createScheduleEngine(published(at, 0), HA_TIEN);
    expect(engine.segmentAt(at).playlistId).toBe('night');
    expect(engine.segmentAt(t('2026-12-07T00:00:30+07:00')).playlistId).toBe('night');
    expect(engine.segmentAt(t('2026-12-07T00:01:00+07:00')).playlistId).toBe('day');
    for (const bad of [-1, 1.5, Number.NaN, 5000])
      expect(() =>
        demoSchedule({ defaultPlaylistId: 'day', entries: [] }, ZONE, at, { nightInMinutes: bad }),
      ).toThrow(expect.objectContaining({ code: 'DEMO_OPTION_INVALID' }));
    expect(
      isGatecastError(
        catchError(() =>
          demoSchedule({ defaultPlaylistId: 'day', entries: [] }, ZONE, at, { nightInMinutes: -1 }),
        ),
      ),
    ).toBe(true);
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('the "on air" line', () => {
  const manifest = parseBundleManifest({
    ...(JSON.parse(readFileSync(join(sampleBundleDir(), 'bundle.json'), 'utf8')) as object),
    schedule: {
      timezone: ZONE,
      defaultPlaylistId: 'day',
      entries: [{ id: 'night', playlistId: 'night', priority: 10, window: { start: '20:00', end: '06:00' } }],
    },
    emergencies: [
      {
        id: 'flood',
        text: { vi: { body: 'Lũ' }, en: { body: 'Flood' } },
        startsAt: '2026-12-08T10:00:00+07:00',
        expiresAt: '2026-12-08T11:30:00+07:00',
      },
    ],
  });
  const engine = createScheduleEngine(manifest, HA_TIEN);
  const line = (iso: string, notes = {}) =>
    describeOnAir(engine.segmentAt(t(iso)), manifest, engine.timezone, notes);

  it('says which playlist is on air and why, from the engine segment', () => {
    expect(line('2026-12-06T23:00:00+07:00')).toBe(
      "on air: night playlist (schedule entry 'night', 20:00–06:00 Asia/Ho_Chi_Minh)",
    );
    expect(line('2026-12-06T12:00:00+07:00')).toBe(
      "on air: day playlist (the schedule's default: no schedule entry from 06:00 to 20:00 Asia/Ho_Chi_Minh)",
    );
    expect(line('2026-12-08T10:15:00+07:00')).toBe(
      "on air: emergency 'flood' (from 10:00 until 11:30 Asia/Ho_Chi_Minh; an emergency overrides the schedule)",
    );
    const unknown = engine.segmentAt(t('2026-12-06T12:00:00+07:00'), { timeUnknownSince: 0 });
    expect(describeOnAir(unknown, manifest, ZONE)).toBe(
      'on air: day playlist (the clock is not trusted yet: the default playlist plays until it is)',
    );
  });

  it("adds the demo schedule's reason for the playlists it placed", () => {
    const demo = published(t('2026-12-06T22:30:00+07:00'));
    const e = createScheduleEngine(demo, HA_TIEN);
    const say = (iso: string) => describeOnAir(e.segmentAt(t(iso)), demo, e.timezone, demoNotes());
    expect(say('2026-12-06T22:31:00+07:00')).toBe(
      "on air: day playlist (the schedule's default: no schedule entry from 00:00 to 22:33 Asia/Ho_Chi_Minh) " +
        'because the demo schedule plays the day playlist at any hour',
    );
    expect(say('2026-12-06T22:34:00+07:00')).toBe(
      "on air: night playlist (schedule entry 'night-demo', 22:33–22:35 Asia/Ho_Chi_Minh, 2026-12-06 only) " +
        'because the demo schedule puts the night playlist on for 2 minutes so it can be seen',
    );
    expect(say('2026-12-06T23:00:00+07:00')).toBe(
      "on air: day playlist (the schedule's default: no schedule entry from 22:35 to 24:00 Asia/Ho_Chi_Minh) " +
        'because the demo schedule plays the day playlist at any hour',
    );
  });

  let tmp: ReturnType<typeof tempDir> | undefined;
  afterEach(() => tmp?.cleanup());
  function published(startAt: number): BundleManifest {
    tmp = tempDir('gc-demo-bundle-');
    writeDemoBundle(sampleBundleDir(), join(tmp.path, 'b'), startAt);
    return parseBundleManifest(JSON.parse(readFileSync(join(tmp.path, 'b', 'bundle.json'), 'utf8')));
  }
});

describe('the demo watching what is on air', () => {
  let tmp: ReturnType<typeof tempDir> | undefined;
  afterEach(() => tmp?.cleanup());

  it('prints a line when the reason changes, and the demo reason only for the schedule it made', () => {
    tmp = tempDir('gc-demo-bundle-');
    const start = t('2026-12-06T22:30:10+07:00');
    const made = writeDemoBundle(sampleBundleDir(), join(tmp.path, 'b'), start);
    let manifest = parseBundleManifest(made.manifest);
    const listeners = new Set<(e: { item: PlannedItem }) => void>();
    const lines: string[] = [];
    const stop = watchOnAir(
      {
        onStarted: (l) => {
          listeners.add(l);
          return () => listeners.delete(l);
        },
        manifest: () => manifest,
        gate: HA_TIEN,
        offsetMs: () => 0,
      },
      made.schedule,
      (l) => lines.push(l),
    );
    // Every item the engine plans from the start to 22:36, as the screen puts them on air.
    const play = (from: number, to: number) => {
      for (const item of createScheduleEngine(manifest, HA_TIEN).timeline(from, to))
        for (const l of listeners) l({ item });
    };
    play(start, t('2026-12-06T22:36:00+07:00'));
    expect(lines).toEqual([
      "on air: day playlist (the schedule's default: no schedule entry from 00:00 to 22:33 Asia/Ho_Chi_Minh) because the demo schedule plays the day playlist at any hour",
      "on air: night playlist (schedule entry 'night-demo', 22:33–22:35 Asia/Ho_Chi_Minh, 2026-12-06 only) because the demo schedule puts the night playlist on for 2 minutes so it can be seen",
      "on air: day playlist (the schedule's default: no schedule entry from 22:35 to 24:00 Asia/Ho_Chi_Minh) because the demo schedule plays the day playlist at any hour",
    ]);
    // Someone publishes the sample's own schedule from the dashboard: the line says what it does.
    manifest = parseBundleManifest(JSON.parse(readFileSync(join(sampleBundleDir(), 'bundle.json'), 'utf8')));
    play(t('2026-12-06T22:40:00+07:00'), t('2026-12-06T22:41:00+07:00'));
    expect(lines.slice(3)).toEqual([
      "on air: night playlist (schedule entry 'night', 20:00–06:00 Asia/Ho_Chi_Minh)",
    ]);
    stop();
    expect(listeners.size).toBe(0);
  });
});
