/**
 * `npm run bench -- verify [--mb 500] [--runs 7]`: how fast the device verifies installed media
 * (the boot check and the downloader use the same streaming SHA-256), against `openssl dgst
 * -sha256` over the same files in the same run — the machine's own SHA-256 speed.
 * Goal: ≥ 0.9× openssl.
 */
import { execFileSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { hashFile } from '../platform/hash.js';
import { benchDir } from './fixtures/update-bench.js';
import { median, numberArg, resultLine } from './lib.js';

export default async function verify(args: string[]): Promise<void> {
  const totalMb = numberArg(args, 'mb', 500);
  const runs = numberArg(args, 'runs', 7);
  const fileMb = 50;
  const dir = benchDir('verify');
  try {
    const files: string[] = [];
    const chunk = Buffer.allocUnsafe(8 * 1024 * 1024);
    for (let f = 0; f * fileMb < totalMb; f++) {
      const path = join(dir.path, `media-${f}.mp4`);
      const fd = openSync(path, 'w');
      for (let written = 0; written < fileMb * 1024 * 1024; written += chunk.length) {
        randomFillSync(chunk);
        writeSync(fd, chunk);
      }
      closeSync(fd);
      files.push(path);
    }
    const bytes = files.length * fileMb * 1024 * 1024;
    const mb = bytes / 1e6;
    const ours: number[] = [];
    const openssl: number[] = [];
    // Warm the page cache once so both read from memory, then alternate.
    execFileSync('openssl', ['dgst', '-sha256', ...files], { stdio: 'ignore' });
    for (let r = 0; r < runs; r++) {
      let t = process.hrtime.bigint();
      for (const f of files) await hashFile(f);
      ours.push(mb / (Number(process.hrtime.bigint() - t) / 1e9));
      t = process.hrtime.bigint();
      execFileSync('openssl', ['dgst', '-sha256', ...files], { stdio: 'ignore' });
      openssl.push(mb / (Number(process.hrtime.bigint() - t) / 1e9));
    }
    process.stdout.write(
      `verify: ${files.length} files, ${mb.toFixed(0)} MB; runs ours ${ours.map((v) => v.toFixed(0)).join(', ')} MB/s; openssl ${openssl.map((v) => v.toFixed(0)).join(', ')} MB/s\n`,
    );
    resultLine('verify', median(ours), 'MB/s', median(openssl), '≥ 0.9× openssl dgst -sha256');
  } finally {
    dir.cleanup();
  }
}
