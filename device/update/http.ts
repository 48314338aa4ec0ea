/**
 * The one HTTP edge of the update client: a GET that resolves with the response head, used by both
 * the metadata fetcher and the resumable target downloader. Plain node:http(s), so a Range request
 * and its 206 answer are under our control and nothing is buffered behind our back.
 *
 * Besides the idle timeout (no byte at all), every request can carry a transfer guard: a total
 * budget from the request to the last body byte and a throughput floor checked over a sliding
 * window, so a mirror that trickles a byte every few seconds cannot hold a refresh for hours. The
 * refresh's own budget arrives as an AbortSignal whose reason is the error to fail with.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { UpdateConfig } from '../../protocol/config.js';
import { UpdateError } from './errors.js';

/** Time budgets and the throughput floor of a refresh (device config `update.*`). */
export interface TransferLimits {
  /** One metadata file, from the request to its last byte. */
  metadataBudgetMs: number;
  /** One target download (one attempt; a cut-off partial file is resumed by the next refresh). */
  targetBudgetMs: number;
  /** One refresh as a whole: metadata, delegations and every target download. */
  refreshBudgetMs: number;
  /** Fewer body bytes than this per second over a throughput window stops the transfer. */
  minBytesPerSecond: number;
  /** Length of the window the throughput floor is checked over. */
  throughputWindowMs: number;
}

const configDefaults = UpdateConfig.parse({});
export const DEFAULT_TRANSFER_LIMITS: TransferLimits = Object.freeze({
  metadataBudgetMs: configDefaults.metadataBudgetMs,
  targetBudgetMs: configDefaults.targetBudgetMs,
  refreshBudgetMs: configDefaults.refreshBudgetMs,
  minBytesPerSecond: configDefaults.minBytesPerSecond,
  throughputWindowMs: configDefaults.throughputWindowMs,
});

/** The guard of one request. */
export interface TransferGuard {
  budgetMs: number;
  minBytesPerSecond: number;
  throughputWindowMs: number;
}

export interface HttpOptions {
  /** No byte for this long (connect or body) aborts the request. */
  idleTimeoutMs?: number;
  /** Extra CA (PEM) for the server, from enrolment. */
  ca?: string | Buffer;
  userAgent?: string;
  /** Total budget and throughput floor of this one request (none: only the idle timeout). */
  guard?: TransferGuard;
  /** Aborted when the refresh this request belongs to runs out of time; its reason is the error. */
  signal?: AbortSignal;
}

/** A response whose body the caller reads; each chunk read is counted toward the throughput floor. */
export interface HttpTransfer {
  res: IncomingMessage;
  received(bytes: number): void;
}

export const DEFAULT_IDLE_TIMEOUT_MS = 30_000;

export function httpGet(
  url: string,
  headers: Record<string, string>,
  opts: HttpOptions = {},
): Promise<HttpTransfer> {
  const u = new URL(url);
  const request = u.protocol === 'https:' ? httpsRequest : u.protocol === 'http:' ? httpRequest : undefined;
  if (!request) return Promise.reject(new UpdateError('DOWNLOAD_FAILED', `unsupported URL scheme in ${url}`));
  if (opts.signal?.aborted) return Promise.reject(abortReason(opts.signal, url));
  return new Promise((resolve, reject) => {
    let res: IncomingMessage | undefined;
    let windowBytes = 0;
    const timers: ReturnType<typeof setTimeout>[] = [];
    const stopGuard = () => {
      for (const t of timers) clearTimeout(t);
      timers.length = 0;
      opts.signal?.removeEventListener('abort', onAbort);
    };
    const fail = (err: UpdateError) => {
      stopGuard();
      // Before the head arrives the request's 'error' rejects; after, the body reader sees `err`.
      if (res) res.destroy(err);
      else req.destroy(err);
    };
    const onAbort = () => fail(abortReason(opts.signal!, url));

    const req = request(
      u,
      {
        method: 'GET',
        headers: { 'user-agent': opts.userAgent ?? 'gatecast-update', ...headers },
        ...(opts.ca ? { ca: opts.ca } : {}),
      },
      (r) => {
        res = r;
        r.once('close', stopGuard);
        r.setTimeout(opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS, () =>
          r.destroy(
            new UpdateError(
              'DOWNLOAD_FAILED',
              `${url}: no data for ${opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS} ms`,
            ),
          ),
        );
        resolve({
          res: r,
          received: (bytes) => {
            windowBytes += bytes;
          },
        });
      },
    );
    req.setTimeout(opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS, () =>
      req.destroy(new UpdateError('DOWNLOAD_FAILED', `${url}: no answer`)),
    );
    req.on('error', (err) => {
      stopGuard();
      reject(
        err instanceof UpdateError
          ? err
          : new UpdateError('DOWNLOAD_FAILED', `${url}: ${err.message}`, { cause: err }),
      );
    });

    const g = opts.guard;
    if (g) {
      const budget = setTimeout(
        () =>
          fail(
            new UpdateError(
              'TRANSFER_BUDGET_EXCEEDED',
              `${url}: not complete within its ${g.budgetMs} ms budget`,
            ),
          ),
        g.budgetMs,
      );
      // The window starts with the request: a mirror slow to answer at all is as slow as one that trickles.
      const floor = (g.minBytesPerSecond * g.throughputWindowMs) / 1000;
      const window = setInterval(() => {
        const got = windowBytes;
        windowBytes = 0;
        if (got < floor)
          fail(
            new UpdateError(
              'THROUGHPUT_TOO_LOW',
              `${url}: ${got} bytes in ${g.throughputWindowMs} ms, below the floor of ${g.minBytesPerSecond} bytes/s`,
            ),
          );
      }, g.throughputWindowMs);
      budget.unref();
      window.unref();
      timers.push(budget, window);
    }
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    req.end();
  });
}

function abortReason(signal: AbortSignal, url: string): UpdateError {
  const reason: unknown = signal.reason;
  if (reason instanceof UpdateError) return reason;
  return new UpdateError('DOWNLOAD_FAILED', `${url}: aborted`, { cause: reason });
}

/** True for the errors a transfer guard or a refresh budget stops a download with. */
export function isTransferLimitError(err: unknown): err is UpdateError {
  return (
    err instanceof UpdateError &&
    (err.code === 'TRANSFER_BUDGET_EXCEEDED' ||
      err.code === 'THROUGHPUT_TOO_LOW' ||
      err.code === 'REFRESH_BUDGET_EXCEEDED')
  );
}

/**
 * The budget of one refresh as a whole: `signal` aborts, with REFRESH_BUDGET_EXCEEDED as its
 * reason, once `budgetMs` has passed. Work already done stays (partial files are kept); only the
 * transfers in flight or yet to start are stopped. Call `end()` when the refresh is over.
 */
export function refreshBudget(budgetMs: number): { signal: AbortSignal; end(): void } {
  const controller = new AbortController();
  const timer = setTimeout(
    () =>
      controller.abort(
        new UpdateError('REFRESH_BUDGET_EXCEEDED', `refresh not complete within its ${budgetMs} ms budget`),
      ),
    budgetMs,
  );
  timer.unref();
  return { signal: controller.signal, end: () => clearTimeout(timer) };
}
