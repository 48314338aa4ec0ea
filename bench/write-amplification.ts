/**
 * `npm run bench -- write-amplification [--files 20] [--size 10485760]`: bytes this process causes
 * to be written to the disk (/proc/self/io write_bytes) while installing a bundle, per byte of
 * content installed. The downloader writes each byte once into the partial file, which is renamed
 * (not copied) into the store; metadata and the bundle record are small. Goal: ≤ 1.1.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDeviceClient, publishClips, withServerRepo } from './fixtures/update-bench.js';
import { numberArg, resultLine } from './lib.js';

function writeBytes(): number {
  const m = /write_bytes:\s*(\d+)/.exec(readFileSync('/proc/self/io', 'utf8'));
  if (!m) throw new Error('/proc/self/io has no write_bytes');
  return Number(m[1]);
}

export default async function writeAmplification(args: string[]): Promise<void> {
  const count = numberArg(args, 'files', 20);
  const size = numberArg(args, 'size', 10 * 1024 * 1024);
  await withServerRepo('write-amp', async (server, dir) => {
    const { manifest } = await publishClips(server, count, size, 'mp4');
    const content = count * size + manifest.length;
    const client = await openDeviceClient(join(dir, 'device'), server);
    const before = writeBytes();
    const res = await client.refreshNow();
    const written = writeBytes() - before;
    if (!res?.changed) throw new Error(`install failed: ${JSON.stringify(client.status().lastError)}`);
    if (written === 0) throw new Error('write_bytes did not move: this file system does not account writes');
    process.stdout.write(
      `write-amplification: installed ${content} content bytes; ${written} bytes written to disk\n`,
    );
    resultLine('write-amplification', written, 'bytes', content, '≤ 1.1 bytes written per content byte');
    await client.stop();
  });
}
