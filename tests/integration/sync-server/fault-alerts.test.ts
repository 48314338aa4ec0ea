/**
 * Faults a screen reports raise alerts in the running server: a missing trust root and a full data
 * disk at once from their events (not at the next evaluation or health sample), an unusable content
 * file naming the file, and a screen running on an unverified clock. Real server, real ws, real device
 * outbox; the alert timer is far away (10 min), so only the stored event can have raised them.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { alertText } from '../../../sync-server/alerts/messages.js';
import { enrolTestDevice, healthAt, makeDevice, startServer, until } from '../../helpers/sync.js';
import { tempDir } from '../../helpers/temp.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups.length = 0;
});

describe('fault alerts in the running sync server', () => {
  it('raises trust root missing and disk fault at once from their events, and names an unusable file', async () => {
    const dir = tempDir('gc-fault-alerts-');
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

    dev.outbox.appendEvent({
      at: Date.now(),
      kind: 'disk-full',
      level: 'error',
      message: 'content download stopped by the data disk: ENOSPC writing visa.webm',
      data: { code: 'DISK_FULL' },
    });
    await until(() => active().some((a) => a.kind === 'disk-fault'), 5000, 'disk fault alert');
    const disk = active().find((a) => a.kind === 'disk-fault')!;
    expect(disk).toMatchObject({ severity: 'critical', deviceId: e.deviceId, params: { code: 'DISK_FULL' } });

    dev.outbox.appendEvent({
      at: Date.now(),
      kind: 'trust-root-missing',
      level: 'error',
      message: 'the TUF trust root is missing',
      data: { path: '/var/lib/gatecast/root.json' },
    });
    dev.outbox.appendEvent({
      at: Date.now(),
      kind: 'content-file-unusable',
      level: 'error',
      message: 'installed file media/visa.webm is damaged: not shown, fetching it again',
      data: { targetPath: 'media/visa.webm', sha256: 'ab'.repeat(32), problem: { kind: 'damaged' } },
    });
    await until(
      () =>
        active().some((a) => a.kind === 'trust-root-missing') &&
        active().some((a) => a.kind === 'content-file-unusable'),
      5000,
      'trust root and file alerts',
    );
    const file = active().find((a) => a.kind === 'content-file-unusable')!;
    expect(file.params).toEqual({ files: 'media/visa.webm', count: 1 });
    expect(alertText(file, 'en')).toContain('media/visa.webm');

    // The next sample: the disk fault stands no more, the root is still missing, the clock unverified.
    dev.outbox.appendHealth(healthAt(Date.now() + 1, { trustRoot: 'missing', clockSource: 'unverified' }));
    await until(() => s.server.registry.ingest.watermark(e.deviceId, 'health') === 2, 5000, 'health stored');
    s.server.alerts.monitor.evaluate();
    expect(
      active()
        .map((a) => a.kind)
        .sort(),
    ).toEqual(['clock-unverified', 'content-file-unusable', 'trust-root-missing']);
  });
});
