import { z } from 'zod';
import { GateConfig } from '../protocol/config.js';
import { GatecastError } from '../protocol/errors.js';
import { zodProblems } from '../protocol/validate.js';

/** What enrolment gives the device. */
export interface EnrolResult {
  deviceId: string;
  gate: GateConfig;
  /** The TUF root.json the device trusts from now on (verbatim text). */
  trustedRootJson: string;
  /** PEM of the server certificate or its CA, when the server uses a private CA. */
  serverCaPem?: string;
}

/**
 * The enrolment port: trade a one-time token for a device identity. The real implementation
 * (device/identity.ts + the server's enrolment endpoint, branch sync) also creates the device key in
 * dataDir; `httpEnroller` below is the plain HTTP exchange provisioning is tested against.
 */
export type Enroller = (serverUrl: string, token: string, dataDir: string) => Promise<EnrolResult>;

/** Enrolment failed; `reason` tells the technician what to do. */
export class EnrolError extends GatecastError {
  readonly code = 'ENROL_FAILED';
  constructor(
    message: string,
    readonly reason: 'token-rejected' | 'unreachable' | 'bad-response',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
export const isEnrolError = (e: unknown): e is EnrolError => e instanceof EnrolError;

export const EnrolResponse = z.object({
  deviceId: z.string().min(1).max(64),
  gate: GateConfig,
  trustedRootJson: z.string().min(2),
  serverCaPem: z.string().startsWith('-----BEGIN ').optional(),
});

/**
 * Assumed wire shape (until the sync branch's endpoint lands):
 *   POST {serverUrl}/api/enrol  {"token": "…"}  →  200 EnrolResponse JSON
 *   401/403/404/410 → the token is wrong, used or expired.
 */
export function httpEnroller(fetchImpl: typeof fetch = fetch, timeoutMs = 20_000): Enroller {
  return async (serverUrl, token) => {
    const url = new URL('api/enrol', serverUrl.endsWith('/') ? serverUrl : `${serverUrl}/`);
    let res: Response;
    try {
      res = await fetchImpl(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const e = err as Error & { cause?: { code?: string } };
      throw new EnrolError(`${url.origin}: ${e.cause?.code ?? e.message}`, 'unreachable', { cause: err });
    }
    const text = await res.text();
    if ([401, 403, 404, 410].includes(res.status))
      throw new EnrolError(
        `the server refused the token (HTTP ${res.status}): ${text.slice(0, 200)}`,
        'token-rejected',
      );
    if (!res.ok)
      throw new EnrolError(`enrolment failed: HTTP ${res.status} ${text.slice(0, 200)}`, 'unreachable');
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new EnrolError('the server answered enrolment with something that is not JSON', 'bad-response', {
        cause: err,
      });
    }
    const parsed = EnrolResponse.safeParse(raw);
    if (!parsed.success)
      throw new EnrolError(
        `the server's enrolment answer is malformed: ${zodProblems(parsed.error)
          .map((p) => `${p.path}: ${p.message}`)
          .join('; ')}`,
        'bad-response',
      );
    return parsed.data;
  };
}
