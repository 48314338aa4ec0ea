/**
 * tuf-js's Fetcher, implemented on our HTTP edge: metadata is read into memory (it is small and
 * bounded by maxLength), never through a temp file, and an oversize answer is cut off at maxLength.
 * Target files never go through here; see downloader.ts.
 *
 * Each file gets the metadata budget and the throughput floor; `signal` is the budget of the
 * refresh that is running (TufClient sets it), so delegations fetched late in a refresh share it.
 */
import type { Fetcher } from 'tuf-js';
import { DownloadHTTPError } from 'tuf-js/dist/error.js';
import { UpdateError } from './errors.js';
import { DEFAULT_TRANSFER_LIMITS, type HttpOptions, httpGet, type TransferLimits } from './http.js';

export class HttpMetadataFetcher implements Fetcher {
  /** Body bytes received, for diagnostics and benchmarks. */
  bytesReceived = 0;

  /** The running refresh's budget; requests started after it fires fail at once. */
  signal: AbortSignal | undefined;

  constructor(
    private readonly opts: HttpOptions = {},
    private readonly limits: TransferLimits = DEFAULT_TRANSFER_LIMITS,
  ) {}

  async downloadBytes(url: string, maxLength: number): Promise<Buffer> {
    const { res, received } = await httpGet(
      url,
      {},
      {
        ...this.opts,
        guard: {
          budgetMs: this.limits.metadataBudgetMs,
          minBytesPerSecond: this.limits.minBytesPerSecond,
          throughputWindowMs: this.limits.throughputWindowMs,
        },
        ...(this.signal ? { signal: this.signal } : {}),
      },
    );
    const status = res.statusCode ?? 0;
    if (status < 200 || status > 299) {
      res.resume();
      // tuf-js reads 403/404 on the next root version as "no newer root": it needs its own class.
      throw new DownloadHTTPError(`${url}: HTTP ${status}`, status);
    }
    const declared = Number(res.headers['content-length'] ?? Number.NaN);
    if (declared > maxLength) {
      res.destroy();
      throw new UpdateError(
        'METADATA_TOO_LARGE',
        `${url} is ${declared} bytes, more than the ${maxLength} allowed`,
      );
    }
    const chunks: Buffer[] = [];
    let total = 0;
    try {
      for await (const chunk of res as AsyncIterable<Buffer>) {
        total += chunk.length;
        this.bytesReceived += chunk.length;
        received(chunk.length);
        if (total > maxLength) {
          res.destroy();
          throw new UpdateError('METADATA_TOO_LARGE', `${url} is more than the ${maxLength} bytes allowed`);
        }
        chunks.push(chunk);
      }
    } catch (err) {
      if (err instanceof UpdateError) throw err;
      throw new UpdateError('DOWNLOAD_FAILED', `${url}: ${(err as Error).message}`, { cause: err });
    }
    if (!res.complete) throw new UpdateError('DOWNLOAD_FAILED', `${url}: connection closed early`);
    return Buffer.concat(chunks, total);
  }

  downloadFile<T>(url: string): Promise<T> {
    // Targets are fetched by the resumable downloader into the content store, never via tuf-js.
    return Promise.reject(new Error(`downloadFile(${url}) is not used: targets go through the downloader`));
  }
}
