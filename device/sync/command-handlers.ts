/**
 * What each ops command does on this device, through the ports of the parts that carry it out: the
 * player (reload, restart, screenshot, notices), display power, the update client, the status LED
 * and the system (reboot). The dispatcher (commands.ts) decides whether a command runs at all.
 */
import type { Clock } from '../../protocol/clock.js';
import type { Logger } from '../../platform/log.js';
import type { Notice } from '../../player/surface.js';
import type { Run } from '../display/display-power.js';
import type { Timers } from '../timers.js';
import type { CommandHandlers } from './commands.js';

/** Leaves time for the reboot command's result to reach the server. */
export const REBOOT_DELAY_MS = 5000;
/** How long a display-on/off command overrides the opening-hours schedule. */
export const DISPLAY_OVERRIDE_MS = 12 * 3600_000;

/** The player as commands drive it (the Daemon). */
export interface PlayerControl {
  reloadPage(): Promise<void>;
  restartBrowser(reason: string): Promise<void>;
  screenshot(): Promise<Buffer>;
  notice(notice: Notice | null): Promise<void>;
}

/** Display power as commands drive it (Hardware). */
export interface DisplayControl {
  displayOverride(state: 'on' | 'off', untilMs: number): Promise<void>;
}

export interface CommandHandlerDeps {
  deviceId: string;
  /** The second line of the identify notice (gate and screen name). */
  screenLabel: string;
  player: PlayerControl;
  display: DisplayControl;
  /** Checks the server for new content now (does nothing on a device that is not enrolled). */
  refreshNow(): Promise<void>;
  /** Told when an identify runs, so the LED flickers until then (system-clock epoch ms). */
  onIdentify(untilMs: number): void;
  /** The trusted clock (display override deadlines). */
  trusted: Clock;
  /** The system clock (notices: the page shows them on the browser's clock). */
  system: Clock;
  run: Run;
  timers: Timers;
  log: Logger;
}

export function commandHandlers(d: CommandHandlerDeps): Required<CommandHandlers> {
  return {
    reloadPlayer: () => d.player.reloadPage(),
    restartPlayer: () => d.player.restartBrowser('asked by ops'),
    reboot: async () => {
      const handle = d.timers.setTimeout(() => {
        d.run('systemctl', ['reboot']).catch((err: unknown) => d.log.error('reboot failed', { err }));
      }, REBOOT_DELAY_MS);
      // A pending reboot must not keep a stopping daemon alive.
      (handle as { unref?: () => void } | undefined)?.unref?.();
    },
    screenshot: () => d.player.screenshot(),
    syncNow: () => d.refreshNow(),
    display: (on) => d.display.displayOverride(on ? 'on' : 'off', d.trusted.now() + DISPLAY_OVERRIDE_MS),
    identify: async (durationMs) => {
      const untilMs = d.system.now() + durationMs;
      d.onIdentify(untilMs);
      d.log.info('identify', { deviceId: d.deviceId, durationMs });
      await d.player.notice({ lines: [d.deviceId, d.screenLabel], untilEpochMs: untilMs });
    },
  };
}
