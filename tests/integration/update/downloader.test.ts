import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { downloadResumable } from '../../../device/update/downloader.js';
import { isUpdateError } from '../../../device/update/errors.js';
import { tempDir } from '../../helpers/temp.js';

const body = Buffer.alloc(300_000);
for (let i = 0; i < body.length; i++) body[i] = (i * 31) & 0xff;
const expected = {
  path: 'g/media/film.mp4',
  length: body.length,
  sha256: createHash('sha256').update(body).digest('hex'),
};

type Mode = 'range' | 'ignore-range' | 'wrong-range' | 'cut';

describe('resumable target download', () => {
  let tmp: ReturnType<typeof tempDir>;
  let server: Server;
  let url: string;
  let mode: Mode;
  let cutAt: number;
  let requests: { range?: string; sent: number }[];

  beforeEach(async () => {
    tmp = tempDir();
    requests = [];
    mode = 'range';
    server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const range = req.headers.range;
      const entry: { range?: string; sent: number } = { sent: 0, ...(range ? { range } : {}) };
      requests.push(entry);
      const m = /^bytes=(\d+)-$/.exec(range ?? '');
      let start = 0;
      if (m && mode !== 'ignore-range') {
        start = Number(m[1]);
        const claimed = mode === 'wrong-range' ? start - 1000 : start;
        res.writeHead(206, {
          'content-length': body.length - start,
          'content-range': `bytes ${claimed}-${body.length - 1}/${body.length}`,
        });
      } else {
        res.writeHead(200, { 'content-length': body.length });
      }
      const part = body.subarray(start);
      if (mode === 'cut') {
        entry.sent = cutAt;
        res.write(part.subarray(0, cutAt), () => res.socket?.destroy());
        return;
      }
      entry.sent = part.length;
      res.end(part);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/film`;
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    tmp.cleanup();
  });

  const partial = () => join(tmp.path, 'partial', expected.sha256);
  const seedPartial = (bytes: Buffer) => {
    mkdirSync(join(tmp.path, 'partial'), { recursive: true });
    writeFileSync(partial(), bytes);
  };

  it('keeps what arrived before a cut and fetches only the rest with Range', async () => {
    mode = 'cut';
    cutAt = 120_000;
    const err = await downloadResumable(url, expected, partial()).catch((e: unknown) => e);
    expect(isUpdateError(err) && err.code).toBe('DOWNLOAD_FAILED');
    const kept = statSync(partial()).size;
    expect(kept).toBeGreaterThan(0);
    expect(kept).toBeLessThanOrEqual(cutAt);
    mode = 'range';
    const r = await downloadResumable(url, expected, partial());
    expect(requests.at(-1)?.range).toBe(`bytes=${kept}-`);
    expect(r).toEqual({ bytesFetched: body.length - kept, bytesReused: kept });
    expect(readFileSync(partial()).equals(body)).toBe(true);
  });

  it('restarts from byte 0 when the server ignores Range and answers 200', async () => {
    seedPartial(body.subarray(0, 50_000));
    mode = 'ignore-range';
    const r = await downloadResumable(url, expected, partial());
    expect(r.bytesFetched).toBe(body.length);
    expect(readFileSync(partial()).equals(body)).toBe(true);
  });

  it('restarts from byte 0 when a 206 names a different range', async () => {
    seedPartial(body.subarray(0, 50_000));
    mode = 'wrong-range';
    const r = await downloadResumable(url, expected, partial());
    expect(requests.map((q) => q.range)).toEqual(['bytes=50000-', undefined]);
    expect(r.bytesFetched).toBe(body.length);
    expect(readFileSync(partial()).equals(body)).toBe(true);
  });

  it('drops a partial file whose bytes are wrong once complete (TARGET_HASH_MISMATCH)', async () => {
    mkdirSync(join(tmp.path, 'partial'), { recursive: true });
    const bad = Buffer.from(body.subarray(0, 50_000));
    bad[5] = bad[5]! ^ 0xff;
    writeFileSync(partial(), bad);
    const err = await downloadResumable(url, expected, partial()).catch((e: unknown) => e);
    expect(isUpdateError(err) && err.code).toBe('TARGET_HASH_MISMATCH');
    expect(existsSync(partial())).toBe(false);
    // The next attempt starts clean and succeeds.
    await downloadResumable(url, expected, partial());
    expect(readFileSync(partial()).equals(body)).toBe(true);
  });
});
