import { describe, expect, it } from 'vitest';
import { GateConfig } from '../../../protocol/config.js';
import { memoryLogger } from '../../../platform/log.js';
import { alertStateOf } from '../../../sync-server/alerts/alert-state-store.js';
import { RegistryAlertSource } from '../../../sync-server/alerts/registry-source.js';
import { evaluateAlerts } from '../../../sync-server/alerts/rules.js';
import { loadActiveAlerts, saveActiveAlerts } from '../../../sync-server/alerts/store.js';
import type { AlertRecord } from '../../../sync-server/alerts/types.js';
import { manifest, playlist, textItem } from '../../helpers/schedule-fixtures.js';
import { GATE, healthAt } from '../../helpers/sync.js';
import { startTufRepo } from '../../helpers/tuf-repo.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';
import { openTempRegistry } from '../../helpers/registry.js';

const T0 = Date.parse('2026-03-10T03:00:00Z');
const HOUR = 3_600_000;
const cleanups = cleanupsAfterEach();

async function openRegistry() {
  const { dir, registry } = openTempRegistry(cleanups, 'gc-alert-src-');
  registry.gates.upsert(GateConfig.parse(GATE));
  for (const [id, name] of [
    ['d1', 'Sảnh A'],
    ['d2', 'Sảnh B'],
  ] as const)
    registry.devices.add({
      id,
      siteGroup: GATE.siteGroup,
      screenName: name,
      publicKey: `key-${id}`,
      nowMs: T0 - 48 * HOUR,
    });
  return { dir, registry };
}

describe('RegistryAlertSource', () => {
  it('builds the rules input from stored health, events, commands and the published bundle', async () => {
    const { registry } = await openRegistry();
    // Item "a" (played by the default playlist) has only Vietnamese: km and en are gaps at this gate.
    const bundle = manifest({
      items: [textItem('a', ['vi'], 10_000), ...['b', 'c', 'd'].map((id) => textItem(id, undefined, 10_000))],
      playlists: [
        playlist('default', ['a']),
        playlist('p-b', ['b']),
        playlist('p-c', ['c']),
        playlist('p-d', ['d']),
      ],
    });
    const tuf = await startTufRepo({
      serve: false,
      files: { 'kien-giang/ha-tien/bundle.json': Buffer.from(JSON.stringify(bundle)) },
    });
    cleanups.push(() => tuf.close());
    registry.ingest.storeBatches([
      {
        deviceId: 'd1',
        stream: 'health',
        fromSeq: 1,
        records: [
          {
            seq: 1,
            at: T0 - 60_000,
            payload: healthAt(T0 - 60_000, {
              display: 'off',
              cpuTempC: 82,
              diskFreeBytes: 0.5e9,
              clockOffsetMs: 45_000,
              throttling: {
                underVoltageNow: false,
                underVoltageOccurred: true,
                frequencyCappedNow: false,
                throttledNow: false,
                softTempLimitNow: false,
                throttledOccurred: false,
                source: 'vcgencmd',
              },
            }),
          },
        ],
      },
      {
        deviceId: 'd1',
        stream: 'event',
        fromSeq: 1,
        // Five playback errors in the window, one too old, one of another kind.
        records: [
          {
            seq: 1,
            at: T0 - 20 * 60_000,
            payload: { at: T0 - 20 * 60_000, kind: 'item-skipped', level: 'warn', message: 'old' },
          },
          ...[1, 2, 3].map((i) => ({
            seq: 1 + i,
            at: T0 - i * 60_000,
            payload: { at: T0 - i * 60_000, kind: 'item-skipped', level: 'warn', message: 'media failed' },
          })),
          ...[5, 6].map((seq) => ({
            seq,
            at: T0 - seq * 1000,
            payload: { at: T0 - seq * 1000, kind: 'browser-restart', level: 'error', message: 'crash' },
          })),
          { seq: 7, at: T0, payload: { at: T0, kind: 'update-installed', level: 'info', message: 'v1' } },
        ],
      },
    ]);
    const source = new RegistryAlertSource({
      registry,
      hub: { isOnline: (id) => id === 'd1', lastSeenMs: (id) => (id === 'd1' ? T0 - 1000 : undefined) },
      tuf: { repo: tuf.repo, repoDir: tuf.dir },
      logger: memoryLogger('alerts'),
    });

    // Publications through this server are noted as they happen; a repeat does not move the time.
    await source.notePublished(GATE.siteGroup, '1', T0);
    await source.notePublished(GATE.siteGroup, '1', T0 + HOUR);
    const first = source.read(T0 + 1);
    expect(first.devices.map((d) => [d.deviceId, d.online, d.lastSeenAt, d.installedBundleVersion])).toEqual([
      ['d1', true, T0 - 1000, '12'],
      ['d2', false, null, null],
    ]);
    expect(first.latestHealth.get('d1')).toMatchObject({
      at: T0 - 60_000,
      cpuTempC: 82,
      display: 'off',
      underVoltageNow: false,
      underVoltageSinceBoot: true,
      clockOffsetMs: 45_000,
    });
    expect(first.recentHealth.get('d1')?.map((h) => h.at)).toEqual([
      T0 - 3 * 60_000,
      T0 - 2 * 60_000,
      T0 - 60_000,
      T0 - 6000,
      T0 - 5000,
    ]);
    // The version was first seen at its publication: that is its publication time.
    expect(first.latestBundles.get(GATE.siteGroup)).toEqual({
      siteGroup: GATE.siteGroup,
      version: '1',
      publishedAt: T0,
    });
    await source.refreshManifests();

    const later = source.read(T0 + 7 * HOUR - 60_000);
    expect(later.latestBundles.get(GATE.siteGroup)?.publishedAt).toBe(T0);
    expect(
      [...(later.contentGaps.get(GATE.siteGroup) ?? [])].map((g) => `${g.itemId}:${g.language}`).sort(),
    ).toEqual(['a:en', 'a:km']);
    const atT0 = evaluateAlerts({ ...source.read(T0), contentGaps: later.contentGaps });
    expect(atT0.map((a) => `${a.key}:${a.severity}`)).toEqual([
      'clock-skew:d1:warning',
      'disk-low:d1:critical',
      'display-off-in-opening-hours:d1:critical',
      'missing-language-variants:kien-giang/ha-tien:warning',
      'offline:d2:critical',
      'playback-errors:d1:warning',
      'temperature-high:d1:critical',
      'under-voltage:d1:warning',
    ]);
    // Seven hours after the first sighting, both screens lag the published version.
    const lagging = evaluateAlerts(source.read(T0 + 7 * HOUR)).filter((a) => a.kind === 'bundle-lagging');
    expect(lagging.map((a) => a.key)).toEqual(['bundle-lagging:d1', 'bundle-lagging:d2']);

    // Ops turned the panel off on purpose: no display alert.
    registry.commands.create({
      id: 'c1',
      deviceId: 'd1',
      name: 'display-off',
      issuedAtMs: T0,
      expiresAtMs: T0 + HOUR,
    });
    expect(evaluateAlerts(source.read(T0)).some((a) => a.kind === 'display-off-in-opening-hours')).toBe(
      false,
    );
    registry.commands.setState('c1', 'failed', T0);
    expect(evaluateAlerts(source.read(T0)).some((a) => a.kind === 'display-off-in-opening-hours')).toBe(true);
  });

  it('raises one alert for an item the screen could not show, not a playback-error count as well', async () => {
    const { registry } = await openRegistry();
    const skipped = (seq: number, data: Record<string, unknown>) => ({
      seq,
      at: T0 - seq * 60_000,
      payload: { at: T0 - seq * 60_000, kind: 'item-skipped', level: 'warn', message: 'decode failed', data },
    });
    registry.ingest.storeBatches([
      {
        deviceId: 'd1',
        stream: 'event',
        fromSeq: 1,
        // Five skips of one named item: more than the playback-error threshold on their own.
        records: [1, 2, 3, 4, 5].map((seq) =>
          skipped(seq, { itemId: 'welcome', language: 'vi', title: 'Chào mừng', file: 'media/vi.png' }),
        ),
      },
    ]);
    const source = new RegistryAlertSource({
      registry,
      hub: { isOnline: (id) => id === 'd1', lastSeenMs: () => T0 - 1000 },
      logger: memoryLogger('alerts'),
    });
    const d1 = evaluateAlerts(source.read(T0)).filter((a) => a.deviceId === 'd1');
    expect(d1.map((a) => a.key)).toEqual(['item-not-shown:d1:welcome:vi']);
    expect(d1[0]?.params).toMatchObject({ title: 'Chào mừng', file: 'media/vi.png', language: 'vi' });
    expect(source.read(T0).recentHealth.get('d1')).toEqual([]);
  });

  it('stores active alerts and reads them back; an unreadable row is left out', async () => {
    const { registry } = await openRegistry();
    const alert: AlertRecord = {
      key: 'offline:d2',
      kind: 'offline',
      severity: 'critical',
      siteGroup: GATE.siteGroup,
      deviceId: 'd2',
      params: { minutes: 10, offlineMinutes: 12 },
      raisedAt: T0,
      lastHeldAt: T0,
      resolvedAt: null,
      acknowledgedAt: T0 + 1,
      acknowledgedBy: 'op',
    };
    saveActiveAlerts(alertStateOf(registry), [alert]);
    expect(loadActiveAlerts(alertStateOf(registry), memoryLogger())).toEqual([alert]);
    const log = memoryLogger();
    alertStateOf(registry).saveActive([alert, { key: 'weird', kind: 'nonsense' } as unknown as AlertRecord]);
    expect(loadActiveAlerts(alertStateOf(registry), log)).toEqual([alert]);
    expect(JSON.stringify(log.records)).toContain('stored alert dropped');
    saveActiveAlerts(alertStateOf(registry), []);
    expect(loadActiveAlerts(alertStateOf(registry), log)).toEqual([]);
  });
});
