/**
 * A screen that cannot show an item raises an alert at once that says which item and language
 * (and its title and file), from the device's own item-skipped event: not a count of playback
 * errors at the next evaluation. Real server, real ws, real device outbox; the alert timer is 10 min
 * away, so only the stored event can have raised it.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { deviceEvents } from '../../../device/events/event-sink.js';
import type { PlannedItem } from '../../../protocol/schedule.js';
import { alertText } from '../../../sync-server/alerts/messages.js';
import { enrolTestDevice, healthAt, makeDevice, startServer, until } from '../../helpers/sync.js';
import { tempDir } from '../../helpers/temp.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups.length = 0;
});

describe('an item the screen cannot show', () => {
  it('raises an alert at once naming the item, its title, the language and the file', async () => {
    const dir = tempDir('gc-item-alert-');
    cleanups.push(dir.cleanup);
    const s = await startServer(dir.path, { alerts: { evaluateIntervalMs: 600_000 } });
    cleanups.push(() => s.server.stop());
    const e = await enrolTestDevice(s.api, s.server.url, join(dir.path, 'd'));
    const dev = makeDevice(join(dir.path, 'd'), e.deviceId, s.server.url);
    cleanups.push(() => dev.close());
    dev.outbox.appendHealth(healthAt(Date.now() - 5_000));
    dev.client.start();
    await until(() => s.server.registry.ingest.watermark(e.deviceId, 'health') === 1, 5000, 'health stored');
    const active = () => s.server.alerts.monitor.active.filter((a) => a.resolvedAt === null);
    expect(active()).toEqual([]);

    const item = { itemId: 'welcome', language: 'vi' } as PlannedItem;
    const file = 'kien-giang/ha-tien/media/welcome/vi.png';
    dev.outbox.appendEvent(
      deviceEvents.itemSkipped(Date.now(), {
        item,
        reason: 'image failed to decode',
        title: 'Chào mừng',
        file,
      }),
    );
    await until(() => active().some((a) => a.kind === 'item-not-shown'), 5000, 'item alert');
    const alert = active().find((a) => a.kind === 'item-not-shown')!;
    expect(alert).toMatchObject({
      deviceId: e.deviceId,
      severity: 'warning',
      params: { itemId: 'welcome', language: 'vi', title: 'Chào mừng', file },
    });
    expect(alertText(alert, 'en')).toBe(`Item “Chào mừng” (welcome) in vi not shown: file ${file}`);
    expect(alertText(alert, 'vi')).toContain('welcome');

    // Another language of the same item is its own alert.
    dev.outbox.appendEvent(
      deviceEvents.itemSkipped(Date.now(), {
        item: { itemId: 'welcome', language: 'km' } as PlannedItem,
        reason: 'file is not installed',
      }),
    );
    await until(() => active().filter((a) => a.kind === 'item-not-shown').length === 2, 5000, 'second alert');
  });
});
