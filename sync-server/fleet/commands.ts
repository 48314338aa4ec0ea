/**
 * Issuing a command to a screen, the one way every part of the server does it (the dashboard, the
 * ops API, the release rollout): the screen must exist and not be revoked; the command is queued in
 * the registry and sent at once if the screen is connected (otherwise when it next connects).
 *
 * `end-emergency` is reserved to the emergency end service (docs/drafts.md §7): an end must be
 * recorded, audited as an end and followed in its end-status, so `queueCommand` refuses it
 * (COMMAND_RESERVED) and only `queueEmergencyEnd`, wired to that service alone, queues it.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../protocol/clock.js';
import type { CommandName } from '../../protocol/messages.js';
import type { DeviceHub } from '../ingest/ws-hub.js';
import type { CommandRow } from '../registry/command-store.js';
import type { Registry } from '../registry/registry.js';
import { NotFoundError } from '../web/errors.js';
import { CommandReservedError, DeviceRevokedError } from './errors.js';

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

/** Commands only their own service may issue, with the way to issue them. */
const RESERVED_COMMANDS: Partial<Record<CommandName, string>> = {
  'end-emergency':
    'an emergency is ended early only through POST /api/content/emergencies/end-early, the End now button or "gatecast emergency end", which record and audit the end',
};

/**
 * Queues the command without sending it (inside a caller's transaction); `deliverCommands` sends it
 * after. A reserved command (`end-emergency`) is refused with COMMAND_RESERVED, nothing queued.
 */
export function queueCommand(d: Omit<CommandIssuerDeps, 'hub'>, c: NewCommand): CommandRow {
  const reserved = RESERVED_COMMANDS[c.name];
  if (reserved)
    throw new CommandReservedError(`command "${c.name}" may not be sent to a screen directly: ${reserved}`);
  return queue(d, c);
}

/**
 * Queues the `end-emergency` command revealing an emergency's end secret to one screen: for the
 * emergency end service only (EmergencyEndService, which records and audits the end).
 */
export function queueEmergencyEnd(
  d: Omit<CommandIssuerDeps, 'hub'>,
  c: { deviceId: string; emergencyId: string; secret: string; ttlMs: number },
): CommandRow {
  return queue(d, {
    deviceId: c.deviceId,
    name: 'end-emergency',
    args: { emergencyId: c.emergencyId, secret: c.secret },
    ttlMs: c.ttlMs,
  });
}

function queue(d: Omit<CommandIssuerDeps, 'hub'>, c: NewCommand): CommandRow {
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
