/**
 * The enrolment port provisioning uses. The default, `syncEnroller`, is the device's real enrolment
 * (device/sync/enrol.ts): the device key in `identityKeyPath(dataDir)` is reused or made, the token and
 * the public key go to the sync server's ENROL_PATH, and the answer is the protocol's EnrolResponse.
 * Tests that need a failure the real server cannot produce pass their own Enroller.
 */
import { exchangeEnrolment, isEnrolRefusedError } from '../device/sync/enrol.js';
import { isSyncError } from '../device/sync/transport.js';
import { coded, ProtocolError } from '../protocol/errors.js';
import type { EnrolResponse } from '../protocol/messages.js';

export interface EnrolRequestOptions {
  serverUrl: string;
  token: string;
  /** The data directory as this process reaches it (under --root when provisioning an image). */
  dataDir: string;
  /** PEM of the server certificate or CA to pin. */
  ca?: Buffer;
  /** Enrol with a new device key (the box was enrolled before). */
  newKey: boolean;
  allowInsecure: boolean;
}

/** Trades a one-time token for a device identity; the device key is on disk once this resolves. */
export type Enroller = (r: EnrolRequestOptions) => Promise<EnrolResponse>;

export type EnrolFailure = 'token-rejected' | 'refused' | 'unreachable' | 'bad-response' | 'insecure-url';

/** Enrolment failed; `reason` tells the technician what to do. */
export class EnrolError extends coded('ENROL_FAILED') {
  constructor(
    message: string,
    readonly reason: EnrolFailure,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Sorts an error of the real enrolment into what the technician must do about it. */
export function classifyEnrolFailure(err: unknown): EnrolFailure | undefined {
  if (isEnrolRefusedError(err))
    return err.serverCode?.startsWith('ENROL_TOKEN_') ? 'token-rejected' : 'refused';
  if (isSyncError(err)) {
    if (err.code === 'SYNC_ENROL_FAILED') return 'unreachable';
    if (err.code === 'SYNC_ENROL_BAD_RESPONSE') return 'bad-response';
    if (err.code === 'SYNC_INSECURE_URL' || err.code === 'SYNC_BAD_URL') return 'insecure-url';
  }
  if (err instanceof ProtocolError) return 'bad-response';
  return undefined;
}

/** The real enrolment (device/sync/enrol.ts), its errors turned into EnrolError. */
export function syncEnroller(opts: { appVersion?: string; timeoutMs?: number } = {}): Enroller {
  return async (r) => {
    try {
      const { response } = await exchangeEnrolment({
        serverUrl: r.serverUrl,
        token: r.token,
        dataDir: r.dataDir,
        ...(r.ca ? { ca: r.ca } : {}),
        allowInsecure: r.allowInsecure,
        newKey: r.newKey,
        ...(opts.appVersion ? { appVersion: opts.appVersion } : {}),
        timeoutMs: opts.timeoutMs ?? 20_000,
      });
      return response;
    } catch (err) {
      const reason = classifyEnrolFailure(err);
      if (!reason) throw err;
      // a ProtocolError's message already lists each problem
      throw new EnrolError((err as Error).message.replace(/\n\s*/g, ' '), reason, { cause: err });
    }
  };
}
