import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryLogger } from '../../../platform/log.js';
import {
  ALERT_HISTORY_RETENTION_MS,
  loadAlertHistory,
  saveAlertEvents,
} from '../../../sync-server/alerts/store.js';
import { alertStateOf } from '../../../sync-server/alerts/alert-state-store.js';
import type { AlertRecord } from '../../../sync-server/alerts/types.js';
import { Registry } from '../../../sync-server/registry/registry.js';
import { tempDir } from '../../helpers/temp.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';

const T0 = Date.parse('2026-04-01T03:00:00Z');
const cleanups = cleanupsAfterEach();

const alert: AlertRecord = {
  key: 'offline:gc-1',
  kind: 'offline',
  severity: 'critical',
  siteGroup: 'kien-giang/ha-tien',
  deviceId: 'gc-1',
  params: { minutes: 10 },
  raisedAt: T0,
  lastHeldAt: T0,
  resolvedAt: null,
  acknowledgedAt: null,
  acknowledgedBy: null,
};

describe('alert history in the registry', () => {
  it('stores each event at its own time, reads newest first, survives a reopen, prunes by age and drops unreadable rows', async () => {
    const dir = tempDir('gc-alert-hist-');
    cleanups.push(dir.cleanup);
    const path = join(dir.path, 'registry.db');
    let registry = new Registry(path);
    registry.open();
    const acked = { ...alert, acknowledgedAt: T0 + 60_000, acknowledgedBy: 'op' };
    saveAlertEvents(
      alertStateOf(registry),
      [
        { type: 'raised', alert },
        { type: 'acknowledged', alert: acked },
        { type: 'resolved', alert: { ...acked, resolvedAt: T0 + 120_000 } },
      ],
      T0 + 120_000,
    );
    await registry.close();

    registry = new Registry(path);
    registry.open();
    cleanups.push(() => registry.close());
    const log = memoryLogger('alerts');
    expect(
      loadAlertHistory(alertStateOf(registry), 10, log).map((h) => [h.type, h.at, h.alert.acknowledgedBy]),
    ).toEqual([
      ['resolved', T0 + 120_000, 'op'],
      ['acknowledged', T0 + 60_000, 'op'],
      ['raised', T0, null],
    ]);
    expect(loadAlertHistory(alertStateOf(registry), 1, log)).toHaveLength(1);

    // A row that no longer parses is logged and left out, the others still read.
    alertStateOf(registry).appendHistory(
      [{ at: T0 + 130_000, type: 'resolved', key: 'x', record: { key: 'x' } }],
      0,
    );
    expect(loadAlertHistory(alertStateOf(registry), 10, log)).toHaveLength(3);
    expect(log.records.some((r) => r.msg === 'alert history entry dropped: unreadable record')).toBe(true);

    // Much later: the old events are pruned when new ones are stored.
    const later = T0 + ALERT_HISTORY_RETENTION_MS + 121_000;
    saveAlertEvents(
      alertStateOf(registry),
      [{ type: 'raised', alert: { ...alert, raisedAt: later } }],
      later,
    );
    expect(loadAlertHistory(alertStateOf(registry), 10, log).map((h) => [h.type, h.at])).toEqual([
      ['raised', later],
    ]);
  });
});
