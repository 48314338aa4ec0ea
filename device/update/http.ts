/**
 * The one HTTP edge of the update client: a GET that resolves with the response head, used by both
 * the metadata fetcher and the resumable target downloader. Plain node:http(s), so a Range request
 * and its 206 answer are under our control and nothing is buffered behind our back.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { UpdateError } from './errors.js';

export interface HttpOptions {
  /** No byte for this long (connect or body) aborts the request. */
  idleTimeoutMs?: number;
  /** Extra CA (PEM) for the server, from enrolment. */
  ca?: string | Buffer;
  userAgent?: string;
}

export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

export function httpGet(
  url: string,
  headers: Record<string, string>,
  opts: HttpOptions = {},
): Promise<IncomingMessage> {
  const u = new URL(url);
  const request = u.protocol === 'https:' ? httpsRequest : u.protocol === 'http:' ? httpRequest : undefined;
  if (!request) return Promise.reject(new UpdateError('DOWNLOAD_FAILED', `unsupported URL scheme in ${url}`));
  return new Promise((resolve, reject) => {
    const req = request(
      u,
      {
        method: 'GET',
        headers: { 'user-agent': opts.userAgent ?? 'gatecast-update', ...headers },
        ...(opts.ca ? { ca: opts.ca } : {}),
      },
      (res) => {
        res.setTimeout(opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS, () =>
          res.destroy(
            new UpdateError(
              'DOWNLOAD_FAILED',
              `${url}: no data for ${opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS} ms`,
            ),
          ),
        );
        resolve(res);
      },
    );
    req.setTimeout(opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS, () =>
      req.destroy(new UpdateError('DOWNLOAD_FAILED', `${url}: no answer`)),
    );
    req.on('error', (err) =>
      reject(
        err instanceof UpdateError
          ? err
          : new UpdateError('DOWNLOAD_FAILED', `${url}: ${err.message}`, { cause: err }),
      ),
    );
    req.end();
  });
}
