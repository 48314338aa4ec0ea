/**
 * Streaming SHA-256 of a file (or its first bytes) through large reads, so verifying media never
 * holds a whole file in memory and runs close to the machine's OpenSSL speed.
 */
import { createHash, type Hash } from 'node:crypto';
import { open } from 'node:fs/promises';

const CHUNK_BYTES = 4 * 1024 * 1024;

/** Feeds the first `limit` bytes (default: all) of `path` into `hash`; returns the count read. */
export async function hashInto(hash: Hash, path: string, limit = Number.POSITIVE_INFINITY): Promise<number> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(CHUNK_BYTES);
    let total = 0;
    while (total < limit) {
      const want = Math.min(CHUNK_BYTES, limit - total);
      const { bytesRead } = await fh.read(buf, 0, want, total);
      if (bytesRead === 0) break;
      hash.update(bytesRead === buf.length ? buf : buf.subarray(0, bytesRead));
      total += bytesRead;
    }
    return total;
  } finally {
    await fh.close();
  }
}

/** Length and lower-case hex SHA-256 of a file. */
export async function hashFile(path: string): Promise<{ sha256: string; length: number }> {
  const hash = createHash('sha256');
  const length = await hashInto(hash, path);
  return { sha256: hash.digest('hex'), length };
}
