/**
 * System sensors behind a port: `LinuxSystemSensors` reads /proc, /sys, statfs and vcgencmd (paths
 * configurable so tests point it at a fake tree); `MemorySystemSensors` is its in-memory twin.
 *
 * Not verifiable off a Pi (see docs/field-notes.md §3): the vcgencmd get_throttled output and its bit
 * meanings, the `rpi_volt` hwmon device and its in0_lcrit_alarm, the thermal zone being the SoC, and
 * the ext4 device name of the root partition (mmcblk0p2 on an SD card). The readers follow the
 * documented formats; a Pi smoke run is still owed.
 */
import { execFile } from 'node:child_process';
import { readdir, readFile, statfs } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { basename, join } from 'node:path';

export interface Throttling {
  underVoltageNow: boolean;
  underVoltageOccurred: boolean;
  frequencyCappedNow: boolean;
  throttledNow: boolean;
  softTempLimitNow: boolean;
  throttledOccurred: boolean;
  source: 'vcgencmd' | 'hwmon' | 'none';
}

export interface SensorReadings {
  cpuTempC: number | null;
  load: [number, number, number] | null;
  memory: { totalBytes: number; availableBytes: number } | null;
  disk: { totalBytes: number; freeBytes: number } | null;
  uptimeS: number | null;
  throttling: Throttling | null;
  ext4ErrorsCount: number | null;
  rootReadOnly: boolean | null;
  network: { interface: string; address: string | null } | null;
}

/** Port: one reading of everything; a value the platform cannot give is null, never a guess. */
export interface SystemSensors {
  read(): Promise<SensorReadings>;
}

export const EMPTY_READINGS: SensorReadings = {
  cpuTempC: null,
  load: null,
  memory: null,
  disk: null,
  uptimeS: null,
  throttling: null,
  ext4ErrorsCount: null,
  rootReadOnly: null,
  network: null,
};

/** In-memory twin: tests set `readings`. */
export class MemorySystemSensors implements SystemSensors {
  readings: SensorReadings;
  constructor(readings: Partial<SensorReadings> = {}) {
    this.readings = { ...EMPTY_READINGS, ...readings };
  }
  async read(): Promise<SensorReadings> {
    return structuredClone(this.readings);
  }
}

export interface LinuxSensorPaths {
  proc: string;
  sys: string;
  /** Directory whose filesystem is reported as "disk" (the data dir). */
  diskPath: string;
}

/** Runs `vcgencmd get_throttled`; resolves its stdout, or null when it is missing or fails. */
export type VcgencmdRunner = () => Promise<string | null>;

export const runVcgencmd: VcgencmdRunner = () =>
  new Promise((resolve) => {
    execFile('vcgencmd', ['get_throttled'], { timeout: 2000 }, (err, stdout) => resolve(err ? null : stdout));
  });

/** Parses "throttled=0x50005" (bits: 0 under-voltage, 1 capped, 2 throttled, 3 soft limit; 16-19 "has occurred"). */
export function parseThrottled(text: string): Throttling | null {
  const m = /throttled=0x([0-9a-fA-F]+)/.exec(text);
  if (!m) return null;
  const v = Number.parseInt(m[1]!, 16);
  const bit = (n: number) => (v & (1 << n)) !== 0;
  return {
    underVoltageNow: bit(0),
    frequencyCappedNow: bit(1),
    throttledNow: bit(2),
    softTempLimitNow: bit(3),
    underVoltageOccurred: bit(16),
    throttledOccurred: bit(17) || bit(18) || bit(19),
    source: 'vcgencmd',
  };
}

/** Mount source and options of "/" from /proc/self/mountinfo text. */
export function rootMount(mountinfo: string): { source: string; readOnly: boolean } | null {
  let found: { source: string; readOnly: boolean } | null = null;
  for (const line of mountinfo.split('\n')) {
    const [pre, post] = line.split(' - ');
    if (!pre || !post) continue;
    const f = pre.split(' ');
    if (f[4] !== '/') continue;
    // Later lines over-mount earlier ones: keep scanning, the last "/" wins.
    found = { source: post.split(' ')[1] ?? '', readOnly: (f[5] ?? '').split(',').includes('ro') };
  }
  return found;
}

/** Default-route interface from /proc/net/route text. */
export function defaultRouteInterface(route: string): string | null {
  for (const line of route.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[1] === '00000000' && f[0]) return f[0];
  }
  return null;
}

async function text(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return null; // absent on this platform: reported as unknown
  }
}

export class LinuxSystemSensors implements SystemSensors {
  private underVoltageLatched = false;

  constructor(
    private readonly paths: LinuxSensorPaths = { proc: '/proc', sys: '/sys', diskPath: '/' },
    private readonly vcgencmd: VcgencmdRunner = runVcgencmd,
    private readonly interfaces: typeof networkInterfaces = networkInterfaces,
  ) {}

  async read(): Promise<SensorReadings> {
    const { proc, sys } = this.paths;
    const [temp, loadavg, meminfo, uptime, mountinfo, route] = await Promise.all([
      text(join(sys, 'class/thermal/thermal_zone0/temp')),
      text(join(proc, 'loadavg')),
      text(join(proc, 'meminfo')),
      text(join(proc, 'uptime')),
      text(join(proc, 'self/mountinfo')),
      text(join(proc, 'net/route')),
    ]);
    const num = (s: string | undefined) =>
      s !== undefined && s !== '' && Number.isFinite(Number(s)) ? Number(s) : null;
    const cpuTempC = temp !== null && num(temp.trim()) !== null ? num(temp.trim())! / 1000 : null;
    const l = loadavg?.trim().split(/\s+/).slice(0, 3).map(Number);
    const load = l && l.length === 3 && l.every(Number.isFinite) ? (l as [number, number, number]) : null;
    const kb = (key: string) => {
      const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(meminfo ?? '');
      return m ? Number(m[1]) * 1024 : null;
    };
    const total = kb('MemTotal');
    const avail = kb('MemAvailable');
    const memory = total !== null && avail !== null ? { totalBytes: total, availableBytes: avail } : null;
    const uptimeS = num(uptime?.trim().split(/\s+/)[0]);
    const root = mountinfo ? rootMount(mountinfo) : null;
    let ext4ErrorsCount: number | null = null;
    if (root?.source.startsWith('/dev/')) {
      const e = await text(join(sys, 'fs/ext4', basename(root.source), 'errors_count'));
      ext4ErrorsCount = num(e?.trim());
    }
    const disk = await statfs(this.paths.diskPath).then(
      (s) => ({ totalBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize }),
      () => null,
    );
    const iface = route ? defaultRouteInterface(route) : null;
    const addr = iface
      ? (this.interfaces()[iface]?.find((a) => a.family === 'IPv4' && !a.internal)?.address ?? null)
      : null;
    return {
      cpuTempC,
      load,
      memory,
      disk,
      uptimeS,
      throttling: await this.throttling(),
      ext4ErrorsCount,
      rootReadOnly: root ? root.readOnly : null,
      network: iface ? { interface: iface, address: addr } : null,
    };
  }

  private async throttling(): Promise<Throttling | null> {
    const out = await this.vcgencmd();
    const parsed = out ? parseThrottled(out) : null;
    if (parsed) return parsed;
    // Without vcgencmd: hwmon rpi_volt mirrors bit 0 only; latch "occurred" ourselves.
    const hw = join(this.paths.sys, 'class/hwmon');
    let names: string[];
    try {
      names = await readdir(hw);
    } catch {
      return null; // no hwmon: not a platform that reports this
    }
    for (const n of names) {
      if ((await text(join(hw, n, 'name')))?.trim() !== 'rpi_volt') continue;
      const alarm = (await text(join(hw, n, 'in0_lcrit_alarm')))?.trim();
      if (alarm === undefined) return null;
      const now = alarm === '1';
      if (now) this.underVoltageLatched = true;
      return {
        underVoltageNow: now,
        underVoltageOccurred: this.underVoltageLatched,
        frequencyCappedNow: false,
        throttledNow: false,
        softTempLimitNow: false,
        throttledOccurred: false,
        source: 'hwmon',
      };
    }
    return null;
  }
}
