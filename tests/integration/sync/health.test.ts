import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildHealthReport, UNKNOWN_APP_HEALTH } from '../../../device/health/health-report.js';
import { HealthReporter } from '../../../device/health/reporter.js';
import { LinuxSystemSensors, MemorySystemSensors, parseThrottled } from '../../../device/health/sensors.js';
import { fakeClock } from '../../../protocol/clock.js';
import { memoryLogger } from '../../../platform/log.js';
import { HealthReport } from '../../../protocol/messages.js';
import { tempDir } from '../../helpers/temp.js';

const dirs: { cleanup: () => void }[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) d.cleanup();
});

function fakeTree(opts: { ro?: boolean; hwmonAlarm?: string } = {}) {
  const d = tempDir('gc-sysfs-');
  dirs.push(d);
  const w = (p: string, text: string) => {
    mkdirSync(join(d.path, p, '..'), { recursive: true });
    writeFileSync(join(d.path, p), text);
  };
  w('sys/class/thermal/thermal_zone0/temp', '51234\n');
  w('proc/loadavg', '0.52 0.41 0.30 1/234 5678\n');
  w(
    'proc/meminfo',
    'MemTotal:        3884096 kB\nMemFree:          100000 kB\nMemAvailable:    2942048 kB\n',
  );
  w('proc/uptime', '12345.67 40000.00\n');
  w(
    'proc/self/mountinfo',
    `22 1 179:2 / / ${opts.ro ? 'ro' : 'rw'},noatime shared:1 - ext4 /dev/mmcblk0p2 rw\n23 22 179:1 / /boot/firmware rw,relatime shared:2 - vfat /dev/mmcblk0p1 rw\n`,
  );
  w('sys/fs/ext4/mmcblk0p2/errors_count', '3\n');
  w(
    'proc/net/route',
    'Iface\tDestination\tGateway\tFlags\nwlan0\t0000A8C0\t00000000\t0001\neth0\t00000000\t0100A8C0\t0003\n',
  );
  if (opts.hwmonAlarm !== undefined) {
    w('sys/class/hwmon/hwmon0/name', 'cpu_thermal\n');
    w('sys/class/hwmon/hwmon1/name', 'rpi_volt\n');
    w('sys/class/hwmon/hwmon1/in0_lcrit_alarm', `${opts.hwmonAlarm}\n`);
  }
  return d.path;
}

const ifaces = () => ({ eth0: [{ address: '10.1.2.3', family: 'IPv4', internal: false }] }) as never;

describe('health sensors and reports', () => {
  it('reads a fake sysfs/proc tree', async () => {
    const root = fakeTree();
    const s = new LinuxSystemSensors(
      { proc: join(root, 'proc'), sys: join(root, 'sys'), diskPath: root },
      async () => 'throttled=0x50005\n',
      ifaces,
    );
    const r = await s.read();
    expect(r.cpuTempC).toBeCloseTo(51.234);
    expect(r.load).toEqual([0.52, 0.41, 0.3]);
    expect(r.memory).toEqual({ totalBytes: 3884096 * 1024, availableBytes: 2942048 * 1024 });
    expect(r.uptimeS).toBe(12345.67);
    expect(r.ext4ErrorsCount).toBe(3);
    expect(r.rootReadOnly).toBe(false);
    expect(r.network).toEqual({ interface: 'eth0', address: '10.1.2.3' });
    expect(r.disk!.totalBytes).toBeGreaterThan(0);
    expect(r.throttling).toMatchObject({
      underVoltageNow: true,
      throttledNow: true,
      underVoltageOccurred: true,
      throttledOccurred: true,
      source: 'vcgencmd',
    });
  });

  it('falls back to hwmon rpi_volt and latches under-voltage; sees a read-only root', async () => {
    const root = fakeTree({ ro: true, hwmonAlarm: '1' });
    const s = new LinuxSystemSensors(
      { proc: join(root, 'proc'), sys: join(root, 'sys'), diskPath: root },
      async () => null,
      ifaces,
    );
    expect((await s.read()).throttling).toMatchObject({
      underVoltageNow: true,
      underVoltageOccurred: true,
      source: 'hwmon',
    });
    writeFileSync(join(root, 'sys/class/hwmon/hwmon1/in0_lcrit_alarm'), '0\n');
    const r = await s.read();
    expect(r.throttling).toMatchObject({ underVoltageNow: false, underVoltageOccurred: true });
    expect(r.rootReadOnly).toBe(true);
  });

  it('reports unknown (null), not guesses, where the platform has no data', async () => {
    const d = tempDir('gc-empty-');
    dirs.push(d);
    const s = new LinuxSystemSensors(
      { proc: join(d.path, 'proc'), sys: join(d.path, 'sys'), diskPath: d.path },
      async () => 'garbage',
      ifaces,
    );
    const r = await s.read();
    expect(r).toMatchObject({
      cpuTempC: null,
      load: null,
      memory: null,
      throttling: null,
      ext4ErrorsCount: null,
      rootReadOnly: null,
      network: null,
    });
  });

  it('parses vcgencmd get_throttled bits', () => {
    expect(parseThrottled('throttled=0x0')).toMatchObject({
      underVoltageNow: false,
      underVoltageOccurred: false,
    });
    expect(parseThrottled('throttled=0x10000')).toMatchObject({
      underVoltageNow: false,
      underVoltageOccurred: true,
    });
    expect(parseThrottled('throttled=0x8')).toMatchObject({ softTempLimitNow: true });
    expect(parseThrottled('error')).toBeNull();
  });

  it('builds a report that passes the protocol schema, and the reporter sends it', async () => {
    const clock = fakeClock('2026-03-01T00:00:00Z');
    const sensors = new MemorySystemSensors({ cpuTempC: 47.26, load: [0.1234, 0.2, 0.3], uptimeS: 10 });
    const sent: HealthReport[] = [];
    const rep = new HealthReporter({
      intervalMs: 30_000,
      appVersion: '1.2.3',
      sensors,
      app: () => ({
        ...UNKNOWN_APP_HEALTH,
        display: 'on',
        currentItem: 'welcome',
        currentLanguage: 'km',
        clockOffsetMs: 12,
      }),
      send: (r) => sent.push(r),
      clock,
      log: memoryLogger(),
    });
    await rep.tick();
    expect(sent).toHaveLength(1);
    expect(HealthReport.parse(sent[0])).toMatchObject({
      cpuTempC: 47.3,
      load1: 0.12,
      display: 'on',
      currentLanguage: 'km',
      clockOffsetMs: 12,
      at: clock.now(),
    });
    const pure = buildHealthReport(5, 'v', await sensors.read(), UNKNOWN_APP_HEALTH);
    expect(pure).toEqual(buildHealthReport(5, 'v', await sensors.read(), UNKNOWN_APP_HEALTH));
  });
});
