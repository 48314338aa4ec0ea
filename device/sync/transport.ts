/** Which URLs the device may talk to the server over: TLS everywhere except loopback or an explicit dev flag. */
import { GatecastError } from '../../protocol/errors.js';

export class SyncError extends GatecastError {
  constructor(
    readonly code:
      | 'SYNC_INSECURE_URL'
      | 'SYNC_ENROL_REFUSED'
      | 'SYNC_ENROL_FAILED'
      | 'SYNC_ENROL_BAD_RESPONSE'
      | 'SYNC_BAD_URL',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
export const isSyncError = (e: unknown): e is SyncError => e instanceof SyncError;

export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** Throws unless `url` is https/wss, or plain http/ws to a loopback host, or `allowInsecure` (dev only). */
export function checkServerUrl(url: string, allowInsecure = false): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch (err) {
    throw new SyncError('SYNC_BAD_URL', `not a URL: ${url}`, { cause: err });
  }
  if (u.protocol === 'https:' || u.protocol === 'wss:') return u;
  if (u.protocol !== 'http:' && u.protocol !== 'ws:')
    throw new SyncError('SYNC_BAD_URL', `unsupported scheme ${u.protocol} in ${url}`);
  if (isLoopbackHost(u.hostname) || allowInsecure) return u;
  throw new SyncError(
    'SYNC_INSECURE_URL',
    `refusing plain ${u.protocol.slice(0, -1)} to ${u.hostname}: use https (or the dev flag for a test network)`,
  );
}

/** The device WebSocket URL for a server base URL. */
export function wsUrlFor(base: URL, path: string): string {
  const scheme = base.protocol === 'https:' || base.protocol === 'wss:' ? 'wss:' : 'ws:';
  return `${scheme}//${base.host}${path}`;
}
