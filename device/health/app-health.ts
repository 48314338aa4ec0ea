/**
 * What the health report says about the app itself: the display, what is on air, the bundle, the
 * update client and the clock. Pure: the daemon's parts are read by main.ts and passed in.
 */
import type { DaemonStatus } from '../daemon.js';
import type { HardwareHealth } from '../hardware.js';
import type { TimeHealth, TimeStatus } from '../time/trusted-clock.js';
import type { UpdateStatus } from '../update/update-client.js';
import { type AppHealth, UNKNOWN_APP_HEALTH } from './health-report.js';

/** The screen's power as the display controller last read (or set) it; 'unknown' without control. */
export function displayState(display: HardwareHealth['display']): 'on' | 'off' | 'unknown' {
  if (display.adapter === 'none' || !('actual' in display)) return 'unknown';
  return display.actual;
}

/** For proof of play: a screen whose power cannot be read is taken to be lit. */
export function isScreenOn(display: HardwareHealth['display']): boolean {
  return displayState(display) !== 'off';
}

export interface AppHealthInputs {
  daemon: Pick<DaemonStatus, 'lastPlayed'>;
  /** Undefined when the device is not enrolled (no update client). */
  update: Pick<UpdateStatus, 'latestSeenVersion' | 'lastSuccessAt' | 'diskFault'> | undefined;
  hardware: Pick<HardwareHealth, 'display'>;
  installedBundleVersion: number | undefined;
  clock: { health: Pick<TimeHealth, 'systemSkewMs'>; status: TimeStatus };
  /** The browser's last measured memory; 0 or undefined when not measured yet. */
  browserMemoryBytes: number | undefined;
  /** Whether an enrolled device still has its TUF trust root (main.ts trustRootState). */
  trustRoot?: 'present' | 'missing' | 'not-enrolled';
  /** Records waiting in memory for the database (proof of play, health samples, events), when any. */
  unsaved?: { pop: number; health: number; event: number };
  /** The screen as device.json declares it (config.screen). */
  screen?: { width: number; height: number; orientation: 'landscape' | 'portrait' };
  /** The release health (release-state.ts releaseHealth) on an A/B layout; absent otherwise. */
  release?: AppHealth['release'];
}

export function appHealthFrom(i: AppHealthInputs): AppHealth {
  const u = i.update;
  return {
    ...UNKNOWN_APP_HEALTH,
    display: displayState(i.hardware.display),
    currentItem: i.daemon.lastPlayed?.itemId ?? null,
    currentLanguage: i.daemon.lastPlayed?.language ?? null,
    installedBundleVersion: i.installedBundleVersion !== undefined ? String(i.installedBundleVersion) : null,
    latestBundleVersion: u?.latestSeenVersion !== undefined ? String(u.latestSeenVersion) : null,
    lastSuccessfulUpdateAt: u?.lastSuccessAt ? Date.parse(u.lastSuccessAt) : null,
    clockOffsetMs: i.clock.health.systemSkewMs,
    clockSource: i.clock.status,
    browserMemoryBytes: i.browserMemoryBytes || null,
    ...(i.trustRoot && i.trustRoot !== 'not-enrolled' ? { trustRoot: i.trustRoot } : {}),
    ...(u?.diskFault
      ? {
          diskFault: {
            code: u.diskFault.code,
            at: Date.parse(u.diskFault.at),
            message: u.diskFault.message.slice(0, 500),
          },
        }
      : {}),
    ...(i.release ? { release: i.release } : {}),
    ...(i.unsaved && i.unsaved.pop + i.unsaved.health + i.unsaved.event > 0
      ? { unsaved: { ...i.unsaved } }
      : {}),
    ...(i.screen ? { screen: { ...i.screen } } : {}),
  };
}
