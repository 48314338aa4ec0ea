/**
 * Remote commands on the device: the sync client hands each command to `CommandDispatcher`, which
 * refuses expired and repeated ones and calls the injected handler. Handlers belong to the player,
 * GPIO and display parts; any handler left out answers 'unsupported'.
 */
import { coded, isGatecastError } from '../../protocol/errors.js';
import type { Logger } from '../../platform/log.js';
import { type Command, type CommandStatus, SCREENSHOT_MAX_BYTES } from '../../protocol/messages.js';
import { type CommandLedger, MemoryCommandLedger } from './command-ledger.js';

export interface CommandHandlers {
  reloadPlayer?(): Promise<void>;
  restartPlayer?(): Promise<void>;
  /** Should schedule the reboot a few seconds out, so the result can still be sent. */
  reboot?(): Promise<void>;
  /** A PNG of what the screen shows. */
  screenshot?(): Promise<Buffer>;
  syncNow?(): Promise<void>;
  display?(on: boolean): Promise<void>;
  /** Blink the LED and show the device id on screen for `durationMs`. */
  identify?(durationMs: number): Promise<void>;
  /**
   * Install gatecast release `version` and switch to it; resolves once the switch is made (the
   * daemon then restarts into the new release, which commits or rolls back by itself).
   */
  installRelease?(version: string): Promise<void>;
  /**
   * End emergency `emergencyId` early with its revealed end secret; resolves with what the screen did
   * (taken off air, or kept for a bundle still to come). Throws a coded error when the secret does not
   * open the commitment signed with the emergency: nothing changes.
   */
  endEmergency?(emergencyId: string, secret: string): Promise<string>;
}

/**
 * A handler's answer that this screen cannot do the command at all (no display control, a demo
 * host…); the message says why. Any other error a handler throws answers 'failed' with its reason.
 */
export class CommandUnsupportedError extends coded('COMMAND_UNSUPPORTED') {}
export const isCommandUnsupportedError = (e: unknown): e is CommandUnsupportedError =>
  e instanceof CommandUnsupportedError;

export interface CommandOutcome {
  status: CommandStatus;
  message?: string;
  screenshotPng?: Buffer;
}

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export class CommandDispatcher {
  constructor(
    private readonly handlers: CommandHandlers,
    private readonly log: Logger,
    private readonly ledger: CommandLedger = new MemoryCommandLedger(),
  ) {}

  /** Whether this command id was already run (the server resends unacknowledged commands). */
  hasRun(id: string): boolean {
    return this.ledger.has(id);
  }

  /**
   * Runs `cmd` given the device's best idea of server time; never throws. The id is recorded
   * before the handler runs, so a command that reboots the device is not run again on its resend.
   */
  async run(cmd: Command, serverNowMs: number): Promise<CommandOutcome> {
    this.ledger.add(cmd.id, serverNowMs);
    if (cmd.expiresAtMs <= serverNowMs)
      return { status: 'expired', message: 'expired before it reached the device' };
    const h = this.handlers;
    const call = async (fn: (() => Promise<void>) | undefined): Promise<CommandOutcome> => {
      if (!fn) return { status: 'unsupported', message: `no handler for ${cmd.name} on this device` };
      await fn();
      return { status: 'ok' };
    };
    try {
      switch (cmd.name) {
        case 'reload-player':
          return await call(h.reloadPlayer?.bind(h));
        case 'restart-player':
          return await call(h.restartPlayer?.bind(h));
        case 'reboot':
          return await call(h.reboot?.bind(h));
        case 'sync-now':
          return await call(h.syncNow?.bind(h));
        case 'display-on':
          return await call(h.display ? () => h.display!(true) : undefined);
        case 'display-off':
          return await call(h.display ? () => h.display!(false) : undefined);
        case 'identify': {
          const d = cmd.args?.['durationMs'];
          const durationMs = typeof d === 'number' && d > 0 && d <= 600_000 ? d : 30_000;
          return await call(h.identify ? () => h.identify!(durationMs) : undefined);
        }
        case 'install-release': {
          const v = cmd.args?.['version'];
          if (typeof v !== 'string' || !/^[0-9A-Za-z.+-]{1,64}$/.test(v))
            return { status: 'failed', message: 'install-release needs args.version (a release version)' };
          return await call(h.installRelease ? () => h.installRelease!(v) : undefined);
        }
        case 'end-emergency': {
          const id = cmd.args?.['emergencyId'];
          const secret = cmd.args?.['secret'];
          if (typeof id !== 'string' || !id || typeof secret !== 'string')
            return { status: 'failed', message: 'end-emergency needs args.emergencyId and args.secret' };
          if (!h.endEmergency)
            return { status: 'unsupported', message: 'no handler for end-emergency on this device' };
          try {
            return { status: 'ok', message: (await h.endEmergency(id, secret)).slice(0, 2000) };
          } catch (err) {
            // The code leads the answer, so the server (and the dashboard) can name the refusal.
            const code = isGatecastError(err) ? `${err.code}: ` : '';
            this.log.warn('emergency end refused', { commandId: cmd.id, emergencyId: id, err });
            return { status: 'failed', message: `${code}${(err as Error).message}`.slice(0, 2000) };
          }
        }
        case 'screenshot': {
          if (!h.screenshot)
            return { status: 'unsupported', message: 'no screenshot handler on this device' };
          const png = await h.screenshot();
          if (!png.subarray(0, 8).equals(PNG_MAGIC))
            return { status: 'failed', message: 'screenshot is not a PNG' };
          if (png.length > SCREENSHOT_MAX_BYTES) {
            return {
              status: 'failed',
              message: `screenshot of ${png.length} bytes exceeds ${SCREENSHOT_MAX_BYTES}`,
            };
          }
          return { status: 'ok', screenshotPng: png };
        }
      }
    } catch (err) {
      if (isCommandUnsupportedError(err)) {
        this.log.info('command not supported here', { commandId: cmd.id, name: cmd.name, why: err.message });
        return { status: 'unsupported', message: err.message.slice(0, 2000) };
      }
      this.log.warn('command failed', { commandId: cmd.id, name: cmd.name, err });
      return { status: 'failed', message: (err as Error).message?.slice(0, 2000) ?? String(err) };
    }
  }
}
