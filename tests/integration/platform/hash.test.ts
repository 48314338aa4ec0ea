import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hashFile, hashInto } from '../../../platform/hash.js';
import { tempDir } from '../../helpers/temp.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('streaming file hash', () => {
  const dirs: { cleanup: () => void }[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) d.cleanup();
  });
  const file = (bytes: Uint8Array) => {
    const d = tempDir('gatecast-hash-');
    dirs.push(d);
    const p = join(d.path, 'f.bin');
    writeFileSync(p, bytes);
    return p;
  };

  it('gives the length and hex sha256 of empty, small and multi-chunk files', async () => {
    // 9 MiB + 7 bytes spans several reads and ends in a short one.
    const big = Buffer.alloc(9 * 1024 * 1024 + 7);
    for (let i = 0; i < big.length; i += 4096) big[i] = i % 251;
    for (const bytes of [Buffer.alloc(0), Buffer.from('gatecast'), big]) {
      expect(await hashFile(file(bytes))).toEqual({ sha256: sha(bytes), length: bytes.length });
    }
  });

  it('feeds only the first bytes when given a limit, and stops at the end of a shorter file', async () => {
    const bytes = Buffer.from('0123456789');
    const p = file(bytes);
    const h = createHash('sha256');
    expect(await hashInto(h, p, 4)).toBe(4);
    expect(h.digest('hex')).toBe(sha(bytes.subarray(0, 4)));
    const all = createHash('sha256');
    expect(await hashInto(all, p, 1000)).toBe(10);
    expect(all.digest('hex')).toBe(sha(bytes));
  });

  it('rejects a missing file with the file system error', async () => {
    const d = tempDir('gatecast-hash-');
    dirs.push(d);
    await expect(hashFile(join(d.path, 'absent'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
