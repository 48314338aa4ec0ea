/**
 * `npm run bench -- write-amplification [--files 20] [--size 10485760]`: bytes this process causes
 * to be written to the disk (/proc/self/io write_bytes) while installing a bundle, per byte of
 * content installed. The downloader writes each byte once into the partial file, which is renamed
 * (not copied) into the store; metadata and the bundle record are small. Goal: ≤ 1.1.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  benchDir,
  deviceClient,
  manifestBytes,
  manifestPath,
  mediaBytes,
  SITE_GROUP,
  startServerRepo,
} from './fixtures/update-bench.js';
import { resultLine } from './lib.js';

function writeBytes(): number {
  const m = /write_bytes:\s*(\d+)/.exec(readFileSync('/proc/self/io', 'utf8'));
  if (!m) throw new Error('/proc/self/io has no write_bytes');
  return Number(m[1]);
}

function arg(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
}

export default async function writeAmplification(args: string[]): Promise<void> {
  const count = arg(args, 'files', 20);
  const size = arg(args, 'size', 10 * 1024 * 1024);
  const dir = benchDir('write-amp');
  const server = await startServerRepo(join(dir.path, 'repo'));
  try {
    const paths = Array.from({ length: count }, (_, i) => `${SITE_GROUP}/media/clip-${i}.mp4`);
    const manifest = manifestBytes(paths, 'v1');
    const files: Record<string, Uint8Array> = { [manifestPath]: manifest };
    paths.forEach((p, i) => {
      files[p] = mediaBytes(size, i + 1);
    });
    await server.publish(files);
    const content = count * size + manifest.length;
    const client = deviceClient(join(dir.path, 'device'), server);
    await client.loadInstalled();
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
  } finally {
    await server.close();
    dir.cleanup();
  }
}
