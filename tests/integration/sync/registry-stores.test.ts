import { describe, expect, it } from 'vitest';
import { alertStateOf } from '../../../sync-server/alerts/alert-state-store.js';
import { Registry } from '../../../sync-server/registry/registry.js';
import { columns, RegistryError, rowMapper } from '../../../sync-server/registry/rows.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';
import { openTempRegistry } from '../../helpers/registry.js';

const cleanups = cleanupsAfterEach();

describe('columns', () => {
  const row = columns('devices', {
    deviceId: 'str',
    appVersion: 'strOrNull',
    lastSeenMs: ['numOrNull', 'last_seen'],
    online: 'isOne',
    config: 'json',
    count: ['num', 'n'],
  });

  it('reads each field from its snake_case column, or the column named, typed by kind', () => {
    const got = row.one({
      device_id: 'ht-1',
      app_version: null,
      last_seen: 5,
      online: 1,
      config: '{"a":[1]}',
      n: 3,
    });
    expect(got).toEqual({
      deviceId: 'ht-1',
      appVersion: null,
      lastSeenMs: 5,
      online: true,
      config: { a: [1] },
      count: 3,
    });
    expect(Object.keys(got!)).toEqual(['deviceId', 'appVersion', 'lastSeenMs', 'online', 'config', 'count']);
    expect(row.one(undefined)).toBeUndefined();
  });

  it('names the table, the column and what it expected for a value of another type', () => {
    const base = { device_id: 'ht-1', app_version: null, last_seen: null, online: 0, config: '{}', n: 1 };
    expect(() => row.one({ ...base, device_id: 7 })).toThrow(
      new RegistryError('devices: column device_id is number, expected text'),
    );
    expect(() => row.one({ ...base, app_version: 2 })).toThrow(
      'devices: column app_version is number, expected text or NULL',
    );
    expect(() => row.one({ ...base, last_seen: 'x' })).toThrow(
      'devices: column last_seen is string, expected a number or NULL',
    );
    const { n: _n, ...missing } = base;
    expect(() => row.one(missing)).toThrow('devices: column n is missing, expected a number');
    expect(() => row.all(['not a row'])).toThrow('devices: expected a row, got string');
  });

  it('checks blobs as rowMapper reads them', () => {
    const png = rowMapper('screenshots', (r) => r.blob('png'));
    expect(png.one({ png: Buffer.from([1, 2]) })).toEqual(Buffer.from([1, 2]));
    expect(() => png.one({ png: 'x' })).toThrow('screenshots: column png is string, expected a blob');
  });
});

describe('the registry stores', () => {
  it('hands out each store once open and refuses before', () => {
    const never = new Registry('/nonexistent/never-opened.db');
    expect(() => never.devices).toThrow(RegistryError);
    expect(() => never.health).toThrow('registry /nonexistent/never-opened.db is not open');
    expect(() => alertStateOf(never)).toThrow(/is not open/);
    const { registry } = openTempRegistry(cleanups, 'registry-stores-');
    expect(registry.devices.list()).toEqual([]);
    expect(registry.gates.list()).toEqual([]);
    expect(registry.pop).toBe(registry.pop);
  });

  it("keeps the alerts' state beside the alerts module, one store per open registry, saved in its file", async () => {
    const { registry } = openTempRegistry(cleanups, 'registry-stores-');
    const alerts = alertStateOf(registry);
    expect(alertStateOf(registry)).toBe(alerts);
    alerts.saveActive([{ key: 'offline:ht-1' }]);
    alerts.appendHistory([{ at: 10, type: 'raised', key: 'offline:ht-1', record: { n: 1 } }], 0);
    await registry.close();

    registry.open();
    cleanups.push(() => registry.close());
    const reopened = alertStateOf(registry);
    expect(reopened).not.toBe(alerts);
    expect(reopened.loadActive()).toEqual([{ key: 'offline:ht-1', record: { key: 'offline:ht-1' } }]);
    expect(reopened.history(5)).toEqual([
      { id: 1, at: 10, type: 'raised', key: 'offline:ht-1', record: { n: 1 } },
    ]);
  });
});
