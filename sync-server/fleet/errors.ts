/** Errors of the fleet's APIs, each with a stable code (the HTTP status is web/errors.ts's). */
import { coded } from '../../protocol/errors.js';

/** A command for a revoked device: it will never come to take it. */
export class DeviceRevokedError extends coded('DEVICE_REVOKED') {}
/** A command only its own service issues (end-emergency: the emergency end service), asked of the generic command route. */
export class CommandReservedError extends coded('COMMAND_RESERVED') {}
