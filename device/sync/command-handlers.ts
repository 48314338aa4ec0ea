/**
 * What each ops command does on this device, through the ports of the parts that carry it out: the
 * player (reload, restart, screenshot, notices), display power, the update client, the status LED
 * and the system (reboot). The dispatcher (commands.ts) decides whether a command runs at all.
 */
import type { Clock } from '../../protocol/clock.js';
import { coded } from '../../protocol/errors.js';
import type { Logger } from '../../platform/log.js';
import type { Notice } from '../../player/surface.js';
import { isDisplayUnsupportedError, type Run } from '../display/display-power.js';
import { type CommandHandlers, CommandUnsupportedError } from './commands.js';

/** The system refused or failed the reboot; the message carries its reason. */
export class RebootError extends coded('REBOOT_FAILED') {}

/** Whether the reboot command may reboot the host; the demo runs on someone's machine and refuses. */
export type HostReboot = 'allowed' | { refused: string };
export const DEMO_HOST_REBOOT: HostReboot = { refused: 'demo mode: host reboot refused' };
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
  /** 'allowed' on a screen; the demo passes DEMO_HOST_REBOOT. */
  hostReboot: HostReboot;
  log: Logger;
  /** Installs a gatecast release and switches to it; absent where over-the-air updates are not set up. */
  releases?: { install(version: string): Promise<void> };
  /** Takes an emergency off air with its revealed end secret (EndedEmergencyContent.end). */
  emergencies?: { end(emergencyId: string, secret: string): { message: string } };
}

export function commandHandlers(d: CommandHandlerDeps): Required<CommandHandlers> {
  return {
    reloadPlayer: () => d.player.reloadPage(),
    restartPlayer: () => d.player.restartBrowser('asked by ops'),
    // Asked of systemd now, so the answer is systemd's: 'ok' once it accepted the reboot job,
    // 'failed' with its words otherwise (polkit refusal, no systemd). The result frame leaves right
    // after `systemctl` returns, while systemd is still stopping units; the SQLite command ledger
    // keeps a resend from rebooting again. UNVERIFIED on a Pi: that the frame reaches the server
    // before the link goes down; if not, the server sees no result (not a false one).
    reboot: async () => {
      if (d.hostReboot !== 'allowed') throw new CommandUnsupportedError(d.hostReboot.refused);
      const r = await d.run('systemctl', ['reboot']);
      if (r.code !== 0) {
        const why = r.stderr.trim() || r.stdout.trim() || 'no output';
        d.log.error('reboot failed', { code: r.code, why });
        throw new RebootError(`systemctl reboot failed (exit ${r.code}): ${why}`);
      }
      d.log.warn('reboot accepted by systemd');
    },
    screenshot: () => d.player.screenshot(),
    syncNow: () => d.refreshNow(),
    display: async (on) => {
      try {
        await d.display.displayOverride(on ? 'on' : 'off', d.trusted.now() + DISPLAY_OVERRIDE_MS);
      } catch (err) {
        if (isDisplayUnsupportedError(err))
          throw new CommandUnsupportedError(`not supported on this screen: ${err.message}`, { cause: err });
        throw err;
      }
    },
    identify: async (durationMs) => {
      const untilMs = d.system.now() + durationMs;
      d.onIdentify(untilMs);
      d.log.info('identify', { deviceId: d.deviceId, durationMs });
      await d.player.notice({ lines: [d.deviceId, d.screenLabel], untilEpochMs: untilMs });
    },
    installRelease: async (version) => {
      if (!d.releases)
        throw new CommandUnsupportedError('over-the-air updates of gatecast are not set up on this device');
      await d.releases.install(version);
    },
    endEmergency: async (emergencyId, secret) => {
      if (!d.emergencies)
        throw new CommandUnsupportedError('ending emergencies early is not set up on this device');
      return d.emergencies.end(emergencyId, secret).message;
    },
  };
}
