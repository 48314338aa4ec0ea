/**
 * Commands over the device link: delivering queued commands to a connected device, its
 * acknowledgements and results (with a screenshot checked to be a PNG within the cap), and
 * expiring commands nobody picked up.
 */
import type { Clock } from '../../protocol/clock.js';
import type { Logger } from '../../platform/log.js';
import { type DeviceMessage, SCREENSHOT_MAX_BYTES } from '../../protocol/messages.js';
import type { CommandRow } from '../registry/command-store.js';
import type { Registry } from '../registry/registry.js';
import type { Conn, HubLink } from './ws-connection.js';

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export class CommandRelay {
  constructor(
    private readonly registry: Registry,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly link: HubLink,
  ) {}

  /** Sends `deviceId` its deliverable commands on `c` (after expiring the stale ones). */
  deliver(c: Conn, deviceId: string): void {
    const now = this.clock.now();
    this.sweep();
    for (const cmd of this.registry.commands.deliverable(deviceId, now)) this.send(c, cmd, now);
  }

  private send(c: Conn, cmd: CommandRow, now: number): void {
    this.link.send(c, {
      type: 'command',
      v: 1,
      command: {
        id: cmd.id,
        name: cmd.name,
        issuedAtMs: cmd.issuedAtMs,
        expiresAtMs: cmd.expiresAtMs,
        ...(cmd.args ? { args: cmd.args } : {}),
      },
    });
    if (cmd.state === 'queued') {
      this.registry.commands.setState(cmd.id, 'sent', now);
      this.link.emit({ type: 'command', deviceId: cmd.deviceId, commandId: cmd.id });
    }
  }

  sweep(): void {
    const expired = this.registry.commands.expire(this.clock.now());
    if (expired.length)
      this.log.info('commands expired', { count: expired.length, ids: expired.slice(0, 20) });
  }

  onAck(c: Conn, msg: Extract<DeviceMessage, { type: 'command-ack' }>, now: number): void {
    const cmd = this.registry.commands.get(msg.commandId);
    if (!cmd || cmd.deviceId !== c.deviceId) {
      this.link.badFrame(c, `unknown command ${msg.commandId}`);
      return;
    }
    if (cmd.state === 'queued' || cmd.state === 'sent') {
      this.registry.commands.setState(cmd.id, 'acked', now);
      this.link.emit({ type: 'command', deviceId: cmd.deviceId, commandId: cmd.id });
    }
  }

  onResult(c: Conn, msg: Extract<DeviceMessage, { type: 'command-result' }>, now: number): void {
    const cmd = this.registry.commands.get(msg.commandId);
    if (!cmd || cmd.deviceId !== c.deviceId) {
      this.link.badFrame(c, `unknown command ${msg.commandId}`);
      return;
    }
    if (msg.screenshot) {
      const png = Buffer.from(msg.screenshot.base64, 'base64');
      if (png.length > SCREENSHOT_MAX_BYTES || !png.subarray(0, 8).equals(PNG_MAGIC)) {
        this.registry.commands.setState(cmd.id, 'failed', now, 'screenshot is not a PNG within the size cap');
        this.link.badFrame(c, 'screenshot is not a PNG within the size cap');
        return;
      }
      this.registry.commands.saveScreenshot(cmd.id, png, now);
    }
    this.registry.commands.setState(cmd.id, msg.status, now, msg.message);
    this.link.emit({ type: 'command', deviceId: cmd.deviceId, commandId: cmd.id });
    this.log.info('command result', {
      deviceId: c.deviceId,
      commandId: cmd.id,
      name: cmd.name,
      status: msg.status,
    });
  }
}
