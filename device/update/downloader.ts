/**
 * Resumable, verifying download of one target into a partial file on the store's disk.
 *
 * A partial file survives a cut or a restart; the next attempt hashes what is there and asks for the
 * rest with `Range: bytes=N-`. A 206 is accepted only if its Content-Range starts at N and names the
 * expected total; anything else (a 200, a wrong range, a 416) restarts from byte 0. The file is
 * complete only when its length and SHA-256 equal the verified metadata; then it is fsynced and the
 * caller may rename it into place. Bytes beyond the expected length, or a wrong hash, delete the
 * partial file: those bytes are not worth keeping.
 *
 * A transfer stopped by its budget, the throughput floor or the refresh's budget is a cut too: what
 * arrived is fsynced and kept, and the guard's own error (its code) is what the caller sees.
 *
 * Disk space is different: a partial file must never hold the disk full "for resume". The caller's
 * `spaceGuard` is asked before the first byte is written and again every SPACE_CHECK_BYTES; when it
 * refuses (the download would eat the disk's reserve), or a write or fsync fails with ENOSPC, the
 * partial file is deleted at once and DISK_SPACE_LOW / DISK_FULL is thrown.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isUpdateError, UpdateError } from './errors.js';
import { isDiskFullError } from '../content/free-space.js';
import { hashInto } from '../../platform/hash.js';
import { type HttpOptions, httpGet, isTransferLimitError } from './http.js';

export interface ExpectedTarget {
  /** Target path, for messages. */
  path: string;
  length: number;
  sha256: string;
}

export interface DownloadResult {
  /** Bytes received over the network by this call. */
  bytesFetched: number;
  /** Bytes that were already in the partial file and were reused. */
  bytesReused: number;
}

const CONTENT_RANGE = /^bytes (\d+)-(\d+)\/(\d+|\*)$/;
/** How often (in bytes written) the space guard is asked again during a download. */
export const SPACE_CHECK_BYTES = 4 * 1024 * 1024;

/** Throws UpdateError DISK_SPACE_LOW when `bytesToWrite` more bytes would use the disk's reserve. */
export type SpaceGuard = (bytesToWrite: number) => Promise<void>;

export async function downloadResumable(
  url: string,
  expected: ExpectedTarget,
  partialPath: string,
  opts: HttpOptions & { onProgress?: (bytesFetched: number) => void; spaceGuard?: SpaceGuard } = {},
): Promise<DownloadResult> {
  await mkdir(dirname(partialPath), { recursive: true });
  let have = await sizeOf(partialPath);
  if (have > expected.length) {
    await rm(partialPath, { force: true });
    have = 0;
  }
  let hash = createHash('sha256');
  if (have > 0) have = await hashInto(hash, partialPath, have);
  const reused = have;
  let fetched = 0;

  if (have === expected.length) {
    if (hash.digest('hex') === expected.sha256) return { bytesFetched: 0, bytesReused: reused };
    await rm(partialPath, { force: true });
    have = 0;
    hash = createHash('sha256');
  }

  for (let attempt = 0; attempt < 2; attempt++) {
    const { res, received } = await httpGet(url, have > 0 ? { range: `bytes=${have}-` } : {}, opts);
    const status = res.statusCode ?? 0;
    if (status === 206) {
      const m = CONTENT_RANGE.exec(String(res.headers['content-range'] ?? ''));
      const ok = m && Number(m[1]) === have && (m[3] === '*' || Number(m[3]) === expected.length);
      if (!ok) {
        res.destroy();
        await rm(partialPath, { force: true });
        have = 0;
        hash = createHash('sha256');
        continue;
      }
    } else if (status === 200) {
      if (have > 0) {
        await rm(partialPath, { force: true });
        have = 0;
        hash = createHash('sha256');
      }
    } else {
      res.resume();
      if (status === 416 && have > 0) {
        await rm(partialPath, { force: true });
        have = 0;
        hash = createHash('sha256');
        continue;
      }
      throw new UpdateError('DOWNLOAD_FAILED', `${expected.path}: HTTP ${status} from ${url}`);
    }

    const dropForSpace = async (err: unknown): Promise<never> => {
      res.destroy();
      await rm(partialPath, { force: true });
      if (isUpdateError(err)) throw err;
      throw new UpdateError(
        'DISK_FULL',
        `${expected.path}: the data disk is full (${(err as { code?: string }).code}); partial download dropped`,
        { cause: err },
      );
    };
    try {
      await opts.spaceGuard?.(expected.length - have);
    } catch (err) {
      await dropForSpace(err);
    }
    const fh = await open(partialPath, have > 0 ? 'a' : 'w');
    let cutErr: unknown;
    let sinceCheck = 0;
    try {
      try {
        for await (const chunk of res as AsyncIterable<Buffer>) {
          if (have + chunk.length > expected.length) {
            res.destroy();
            await fh.close().catch(() => undefined); // closing before the delete below
            await rm(partialPath, { force: true });
            throw new UpdateError(
              'TARGET_LENGTH_MISMATCH',
              `${expected.path}: server sent more than the ${expected.length} bytes in verified metadata`,
            );
          }
          received(chunk.length);
          try {
            if (opts.spaceGuard && sinceCheck >= SPACE_CHECK_BYTES) {
              sinceCheck = 0;
              await opts.spaceGuard(expected.length - have);
            }
            await fh.write(chunk);
          } catch (err) {
            if (!isDiskFullError(err) && !(isUpdateError(err) && err.code === 'DISK_SPACE_LOW')) throw err;
            await fh.close().catch(() => undefined); // closing before the delete
            await dropForSpace(err);
          }
          sinceCheck += chunk.length;
          hash.update(chunk);
          have += chunk.length;
          fetched += chunk.length;
          opts.onProgress?.(fetched);
        }
      } catch (err) {
        if (err instanceof UpdateError && !isTransferLimitError(err)) throw err;
        cutErr = err;
      }
      // What arrived stays on disk for the next attempt, even after a cut.
      try {
        await fh.sync();
      } catch (err) {
        // ext4 may allocate delayed blocks only now: a full disk shows here rather than at write.
        if (!isDiskFullError(err)) throw err;
        await fh.close().catch(() => undefined); // closing before the delete
        await dropForSpace(err);
      }
    } finally {
      await fh.close().catch(() => undefined); // may already be closed after a length overrun
    }
    if (have < expected.length && res.complete && !cutErr) {
      await rm(partialPath, { force: true });
      throw new UpdateError(
        'TARGET_LENGTH_MISMATCH',
        `${expected.path}: server sent ${have} bytes, verified metadata says ${expected.length}`,
      );
    }
    if (have < expected.length && isTransferLimitError(cutErr)) throw cutErr;
    if (have < expected.length) {
      const why = cutErr instanceof Error ? cutErr.message : 'connection closed early';
      throw new UpdateError(
        'DOWNLOAD_FAILED',
        `${expected.path}: got ${have} of ${expected.length} bytes (${why}); will resume`,
        { cause: cutErr },
      );
    }
    const digest = hash.digest('hex');
    if (digest !== expected.sha256) {
      await rm(partialPath, { force: true });
      throw new UpdateError(
        'TARGET_HASH_MISMATCH',
        `${expected.path}: SHA-256 ${digest} differs from ${expected.sha256} in verified metadata`,
      );
    }
    return { bytesFetched: fetched, bytesReused: reused };
  }
  throw new UpdateError('DOWNLOAD_FAILED', `${expected.path}: server kept answering with a wrong range`);
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0; // no partial file yet
  }
}
