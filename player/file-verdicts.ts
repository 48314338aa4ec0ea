/**
 * Whether a file on disk still holds the bytes verified metadata names, decided by hashing it and
 * remembered per file version: the verdict is kept under the file's device, inode, size, mtime and
 * ctime, so the file is hashed again only after one of them changes (a rewrite, a truncation, a
 * replacement by rename, a `touch`). Serving from the handle that was checked closes the gap between
 * "checked" and "read" for a replaced file.
 *
 * What this cannot see: bytes that change under an unchanged inode, size, mtime and ctime (bit rot
 * on the SD card, a controller that returns other data than it stored). The boot check re-hashes
 * everything for those; an SD card's behaviour here has not been observed on a real Pi.
 */
import { createHash } from 'node:crypto';
import { type FileHandle, open } from 'node:fs/promises';

const CHUNK_BYTES = 1024 * 1024;

export interface ExpectedFile {
  /** Lower-case hex SHA-256 from verified metadata. */
  sha256: string;
  length: number;
}

export type FileProblem =
  /** The file is not there (deleted, never installed). */
  | { kind: 'missing' }
  /** Its length or hash differs from the verified metadata. */
  | { kind: 'damaged'; actualLength: number; actualSha256?: string };

/** An open, verified file: read from `handle`; the caller closes it. */
export interface VerifiedHandle {
  handle: FileHandle;
  size: number;
}

/** What one version of a file was found to hold (no hash when its length was already wrong). */
interface Remembered {
  version: string;
  actualSha256?: string;
}

export class FileVerdicts {
  private readonly known = new Map<string, Remembered>();
  private readonly hashing = new Map<string, Promise<string>>();
  /** Files hashed and verdicts reused, since start (benchmarks, health). */
  readonly counts = { hashed: 0, reused: 0 };

  /**
   * Opens `path` and returns the handle if its bytes are `expected`; otherwise closes it and says
   * what is wrong. Hashes only a file version it has not judged before.
   */
  async open(path: string, expected: ExpectedFile): Promise<VerifiedHandle | FileProblem> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (err) {
      if (isMissing(err)) {
        this.known.delete(path);
        return { kind: 'missing' };
      }
      throw err;
    }
    try {
      const st = await handle.stat({ bigint: true });
      const size = Number(st.size);
      const version = `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
      if (size !== expected.length) {
        this.known.set(path, { version });
        await handle.close();
        return { kind: 'damaged', actualLength: size };
      }
      const seen = this.known.get(path);
      let actual: string;
      if (seen?.version === version && seen.actualSha256 !== undefined) {
        this.counts.reused++;
        actual = seen.actualSha256;
      } else {
        actual = await this.hashOnce(`${path}\n${version}`, handle);
        this.known.set(path, { version, actualSha256: actual });
      }
      const ok = actual === expected.sha256;
      if (ok) return { handle, size };
      await handle.close();
      return { kind: 'damaged', actualLength: size, actualSha256: actual };
    } catch (err) {
      await handle.close().catch(() => undefined); // already failing; the first error is the one to report
      throw err;
    }
  }

  /** `open` without keeping the handle: true only for a file whose bytes are `expected`. */
  async check(path: string, expected: ExpectedFile): Promise<true | FileProblem> {
    const r = await this.open(path, expected);
    if ('handle' in r) {
      await r.handle.close();
      return true;
    }
    return r;
  }

  /** Forgets what was known of `path` (it was moved away or replaced on purpose). */
  forget(path: string): void {
    this.known.delete(path);
  }

  /** One hash per file version, even when several requests ask at once. */
  private hashOnce(key: string, handle: FileHandle): Promise<string> {
    let p = this.hashing.get(key);
    if (!p) {
      p = hashHandle(handle).finally(() => this.hashing.delete(key));
      this.hashing.set(key, p);
      this.counts.hashed++;
    }
    return p;
  }
}

async function hashHandle(handle: FileHandle): Promise<string> {
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(CHUNK_BYTES);
  let pos = 0;
  for (;;) {
    const { bytesRead } = await handle.read(buf, 0, buf.length, pos);
    if (bytesRead === 0) break;
    hash.update(bytesRead === buf.length ? buf : buf.subarray(0, bytesRead));
    pos += bytesRead;
  }
  return hash.digest('hex');
}

function isMissing(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
