/**
 * Issuing a command to a screen, the one way every part of the server does it (the dashboard, the
 * ops API, the release rollout): the screen must exist and not be revoked; the command is queued in
 * the registry and sent at once if the screen is connected (otherwise when it next connects).
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../protocol/clock.js';
import type { CommandName } from '../../protocol/messages.js';
import type { DeviceHub } from '../ingest/ws-hub.js';
import type { CommandRow } from '../registry/command-store.js';
import type { Registry } from '../registry/registry.js';
import { NotFoundError } from '../web/errors.js';
import { DeviceRevokedError } from './errors.js';

export interface CommandIssuerDeps {
  registry: Registry;
  hub: Pick<DeviceHub, 'deliverCommands'>;
  clock: Clock;
  /**
   * A feature's check of its own commands, run before anything is queued; throws a named error to
   * refuse (releases/command-check.ts: install-release offers only a published release).
   */
  checkCommand?: ((c: NewCommand) => void) | undefined;
}

export interface NewCommand {
  deviceId: string;
  name: CommandName;
  args?: Record<string, unknown> | undefined;
  ttlMs: number;
}

/** Queues the command without sending it (inside a caller's transaction); `deliverCommands` sends it after. */
export function queueCommand(d: Omit<CommandIssuerDeps, 'hub'>, c: NewCommand): CommandRow {
  const dev = d.registry.devices.get(c.deviceId);
  if (!dev) throw new NotFoundError(`no device ${c.deviceId}`);
  if (dev.revokedAtMs !== null) throw new DeviceRevokedError(`device ${c.deviceId} is revoked`);
  d.checkCommand?.(c);
  const now = d.clock.now();
  return d.registry.commands.create({
    id: `cmd-${randomBytes(8).toString('hex')}`,
    deviceId: c.deviceId,
    name: c.name,
    args: c.args,
    issuedAtMs: now,
    expiresAtMs: now + c.ttlMs,
  });
}

/** Queues the command and sends it now if the screen is connected; the command as stored. */
export function issueCommand(d: CommandIssuerDeps, c: NewCommand): CommandRow {
  const cmd = queueCommand(d, c);
  d.hub.deliverCommands(c.deviceId);
  return d.registry.commands.get(cmd.id)!;
}
