/** Builds one health report from sensor readings and the daemon's own state. Pure: inputs → report. */
import type { HealthReport } from '../../protocol/messages.js';
import type { SensorReadings } from './sensors.js';

/** What the rest of the daemon knows about itself (player, update client, clock). */
export interface AppHealth {
  display: HealthReport['display'];
  currentItem: string | null;
  currentLanguage: string | null;
  installedBundleVersion: string | null;
  latestBundleVersion: string | null;
  lastSuccessfulUpdateAt: number | null;
  /** Device clock minus server/NTP time, when known. */
  clockOffsetMs: number | null;
  clockSource?: HealthReport['clockSource'];
  browserMemoryBytes: number | null;
  trustRoot?: HealthReport['trustRoot'];
  /** Set while a download stands stopped by the data disk (full, or its reserve reached). */
  diskFault?: NonNullable<HealthReport['storage']['diskFault']>;
  /** Set while records wait in memory because the database could not take them. */
  unsaved?: NonNullable<HealthReport['storage']['unsaved']>;
  /** The screen as device.json declares it. */
  screen?: NonNullable<HealthReport['screen']>;
  /** The running gatecast release and where an over-the-air update stands (A/B layouts only). */
  release?: NonNullable<HealthReport['release']>;
}

export const UNKNOWN_APP_HEALTH: AppHealth = {
  display: 'unknown',
  currentItem: null,
  currentLanguage: null,
  installedBundleVersion: null,
  latestBundleVersion: null,
  lastSuccessfulUpdateAt: null,
  clockOffsetMs: null,
  browserMemoryBytes: null,
};

const round = (n: number | null, digits: number) =>
  n === null ? null : Math.round(n * 10 ** digits) / 10 ** digits;

export function buildHealthReport(
  at: number,
  appVersion: string,
  s: SensorReadings,
  app: AppHealth,
): HealthReport {
  return {
    at,
    appVersion,
    uptimeS: s.uptimeS ?? 0,
    cpuTempC: round(s.cpuTempC, 1),
    load1: s.load ? round(s.load[0], 2) : null,
    load5: s.load ? round(s.load[1], 2) : null,
    memTotalBytes: s.memory?.totalBytes ?? null,
    memAvailableBytes: s.memory?.availableBytes ?? null,
    diskTotalBytes: s.disk?.totalBytes ?? null,
    diskFreeBytes: s.disk?.freeBytes ?? null,
    throttling: s.throttling,
    storage: {
      ext4ErrorsCount: s.ext4ErrorsCount,
      rootReadOnly: s.rootReadOnly,
      ...(app.diskFault ? { diskFault: { ...app.diskFault } } : {}),
      ...(app.unsaved ? { unsaved: { ...app.unsaved } } : {}),
    },
    display: app.display,
    currentItem: app.currentItem,
    currentLanguage: app.currentLanguage,
    bundle: {
      installedVersion: app.installedBundleVersion,
      latestVersion: app.latestBundleVersion,
      lastSuccessfulUpdateAt: app.lastSuccessfulUpdateAt,
    },
    clockOffsetMs: app.clockOffsetMs,
    ...(app.clockSource ? { clockSource: app.clockSource } : {}),
    browserMemoryBytes: app.browserMemoryBytes,
    ...(app.trustRoot ? { trustRoot: app.trustRoot } : {}),
    ...(app.release ? { release: { ...app.release } } : {}),
    network: s.network,
    ...(app.screen ? { screen: { ...app.screen } } : {}),
  };
}
