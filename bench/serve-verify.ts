/**
 * `npm run bench -- serve-verify [--rounds N]`: what verifying bundle files costs the page server.
 * Serves 20 images of 512 KiB and one 16 MiB video over real HTTP on 127.0.0.1, N rounds, with the
 * page server as it runs (hash on the first request after start and after a change, cached verdict
 * otherwise) and, as the baseline in the same run, the same server with a verdict store that opens
 * files without hashing them. The figure is the median time of one full round of requests after
 * the first; the first round (when every file is hashed once) is printed beside it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ExpectedFile,
  type FileProblem,
  FileVerdicts,
  type VerifiedHandle,
} from '../player/file-verdicts.js';
import { contentUrl, PageServer, type ServedContent } from '../player/page-server.js';
import { memoryLogger } from '../platform/log.js';
import { median, numberArg, resultLine } from './lib.js';

/** The baseline: opens the file and serves it without looking at its bytes. */
class UncheckedFiles extends FileVerdicts {
  override async open(path: string, expected: ExpectedFile): Promise<VerifiedHandle | FileProblem> {
    const handle = await open(path, 'r');
    return { handle, size: expected.length };
  }
}

async function round(origin: string, paths: string[]): Promise<number> {
  const t0 = performance.now();
  for (const p of paths) {
    const res = await fetch(origin + contentUrl(p));
    if (res.status !== 200) throw new Error(`${p}: HTTP ${res.status}`);
    await res.arrayBuffer();
  }
  return performance.now() - t0;
}

export default async function main(args: string[]): Promise<void> {
  const rounds = numberArg(args, 'rounds', 15);
  const dir = mkdtempSync(join(tmpdir(), 'gatecast-bench-serve-'));
  try {
    const targets = new Map<string, { sha256: string; length: number }>();
    const files: [string, number][] = [
      ...Array.from({ length: 20 }, (_, i) => [`bench/media/img-${i}.png`, 512 * 1024] as [string, number]),
      ['bench/media/film.webm', 16 * 1024 * 1024],
    ];
    for (const [p, size] of files) {
      const bytes = randomBytes(size);
      mkdirSync(join(dir, 'bench/media'), { recursive: true });
      writeFileSync(join(dir, p), bytes);
      targets.set(p, { sha256: createHash('sha256').update(bytes).digest('hex'), length: size });
    }
    const content: ServedContent = {
      current: () => ({ targets, filePath: (p) => (targets.has(p) ? join(dir, p) : undefined) }),
    };
    const paths = files.map(([p]) => p);
    const measure = async (verdicts: FileVerdicts) => {
      const server = new PageServer({ content, log: memoryLogger(), verdicts });
      await server.start();
      try {
        const first = await round(server.origin, paths);
        const later: number[] = [];
        for (let i = 0; i < rounds; i++) later.push(await round(server.origin, paths));
        return { first, later: median(later) };
      } finally {
        await server.stop();
      }
    };
    // Alternate, so the neighbours' load falls on both alike.
    const checked: { first: number; later: number }[] = [];
    const plain: { first: number; later: number }[] = [];
    for (let i = 0; i < 3; i++) {
      plain.push(await measure(new UncheckedFiles()));
      checked.push(await measure(new FileVerdicts()));
    }
    const mb = files.reduce((a, [, s]) => a + s, 0) / 1024 ** 2;
    process.stdout.write(
      `${files.length} files, ${mb.toFixed(0)} MiB per round, ${rounds} rounds after the first, 3 alternating runs\n` +
        `first round (every file hashed once): ${median(checked.map((c) => c.first)).toFixed(1)} ms ` +
        `vs ${median(plain.map((c) => c.first)).toFixed(1)} ms unchecked\n`,
    );
    resultLine(
      'serve-verify',
      Math.round(median(checked.map((c) => c.later)) * 10) / 10,
      'ms per round',
      Math.round(median(plain.map((c) => c.later)) * 10) / 10,
      'ratio ≤ 1.1 once verified (cached verdicts)',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
