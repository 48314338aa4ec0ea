/** Errors of the fleet's APIs, each with a stable code (the HTTP status is web/errors.ts's). */
import { coded } from '../../protocol/errors.js';

/** A command for a revoked device: it will never come to take it. */
export class DeviceRevokedError extends coded('DEVICE_REVOKED') {}
