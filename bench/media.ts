/**
 * `npm run bench -- media [--mb 1000] [--videos 3] [--video-seconds 6]`
 *
 * Publish-time normalisation throughput on a mixed folder of about `--mb` MB made under a temp dir
 * (untimed): 4K PNGs (noise over a gradient, so they stay large), 4K JPEGs, 1080p PNGs already within
 * limits (kept as they are) and `--videos` MPEG-4 part 2 clips of 2560×1440 at 50 fps from ffmpeg's
 * testsrc (transcoded to H.264/AAC ≤1080p30). Timed, file by file:
 *   - ours: what a draft upload does once the bytes are verified (sync-server/tuf/draft-media.ts
 *     stageDraftMedia): the content check, normalisation, the check of the result, its SHA-256 and
 *     the staging renames;
 *   - baseline: sharp or ffmpeg alone on the same file with the same settings (imagePipeline,
 *     videoArgs), nothing for a file already within limits.
 * Throughput is input MB per second; the runs alternate ours/baseline per file so the machine's load
 * hits both alike. Ends with `media: <MB/s> MB/s (baseline <MB/s>, ratio <r>, goal ≥ 0.9)` and the
 * bytes saved.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import {
  DEFAULT_MEDIA_LIMITS,
  fitBox,
  imagePipeline,
  videoArgs,
  videoOverLimits,
} from '../platform/media-normalise.js';
import { probeMedia } from '../platform/media-probe.js';
import { runTool } from '../platform/media-tools.js';
import { MediaJobs, stageDraftMedia } from '../sync-server/tuf/draft-media.js';
import { numberArg, resultLine } from './lib.js';

interface Sample {
  name: string;
  file: string;
  bytes: number;
}

async function noiseImage(width: number, height: number, sigma: number) {
  const noise = await sharp({
    create: { width, height, channels: 3, background: '#777', noise: { type: 'gaussian', mean: 128, sigma } },
  })
    .raw()
    .toBuffer();
  return sharp(noise, { raw: { width, height, channels: 3 } });
}

async function makeFolder(
  dir: string,
  targetMb: number,
  videos: number,
  videoSeconds: number,
): Promise<Sample[]> {
  const out: Sample[] = [];
  const add = (name: string) => {
    const file = join(dir, name);
    out.push({ name, file, bytes: statSync(file).size });
  };
  for (let i = 0; i < videos; i++) {
    const name = `clip-${i}.mp4`;
    execFileSync(
      'ffmpeg',
      [
        '-nostdin',
        '-v',
        'error',
        '-y',
        '-f',
        'lavfi',
        '-i',
        `testsrc2=size=2560x1440:rate=50:duration=${videoSeconds}`,
        '-f',
        'lavfi',
        '-i',
        `sine=frequency=${300 + i * 100}:duration=${videoSeconds}`,
        '-c:v',
        'mpeg4',
        '-q:v',
        '2',
        '-c:a',
        'aac',
        '-shortest',
        join(dir, name),
      ],
      { stdio: 'ignore' },
    );
    add(name);
  }
  const total = () => out.reduce((a, s) => a + s.bytes, 0);
  // Mixed sizes: for every three 4K PNGs, two 4K JPEGs and one 1080p PNG (kept as it is).
  for (let i = 0; total() < targetMb * 1e6; i++) {
    const kind = i % 6;
    const sigma = 20 + (i % 5) * 8;
    if (kind < 3) {
      const name = `slide-${i}.png`;
      await (await noiseImage(3840, 2160, sigma)).png({ compressionLevel: 1 }).toFile(join(dir, name));
      add(name);
    } else if (kind < 5) {
      const name = `photo-${i}.jpg`;
      await (await noiseImage(3840, 2160, sigma)).jpeg({ quality: 95 }).toFile(join(dir, name));
      add(name);
    } else {
      const name = `small-${i}.png`;
      await (await noiseImage(1920, 1080, sigma)).png({ compressionLevel: 1 }).toFile(join(dir, name));
      add(name);
    }
  }
  return out;
}

function sha256File(file: string) {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

export default async function run(args: string[]): Promise<void> {
  const targetMb = numberArg(args, 'mb', 1000);
  const videos = numberArg(args, 'videos', 3);
  const videoSeconds = numberArg(args, 'video-seconds', 6);
  const root = mkdtempSync(join(tmpdir(), 'gatecast-bench-media-'));
  try {
    const src = join(root, 'src');
    mkdirSync(src);
    process.stdout.write(`making a ~${targetMb} MB folder under ${root} …\n`);
    const samples = await makeFolder(src, targetMb, videos, videoSeconds);
    const inBytes = samples.reduce((a, s) => a + s.bytes, 0);
    process.stdout.write(
      `folder: ${samples.length} files, ${(inBytes / 1e6).toFixed(1)} MB (${videos} videos of ${videoSeconds} s 2560×1440@50 MPEG-4)\n`,
    );
    const limits = DEFAULT_MEDIA_LIMITS;
    const draftDir = join(root, 'draft');
    const baseDir = join(root, 'baseline');
    mkdirSync(join(draftDir, 'files'), { recursive: true });
    mkdirSync(baseDir);
    let oursMs = 0;
    let baseMs = 0;
    let outBytes = 0;
    let baseOutBytes = 0;
    const jobs = new MediaJobs();
    for (const [i, s] of samples.entries()) {
      // Baseline first for even files, ours first for odd ones.
      const order = i % 2 === 0 ? ['base', 'ours'] : ['ours', 'base'];
      for (const which of order) {
        if (which === 'base') {
          // Untimed: what to run (the baseline does not check; its settings are ours).
          const info = await probeMedia(s.file, s.name, { decode: false });
          const out = join(baseDir, s.name);
          const t0 = performance.now();
          if (info.kind === 'image') {
            const box = fitBox(limits.screen, info.width, info.height);
            if (info.width > box.width || info.height > box.height)
              await imagePipeline(s.file, info, box).toFile(out);
          } else if (info.kind === 'video' && videoOverLimits(info, limits).length)
            await runTool('ffmpeg', videoArgs(s.file, info, limits, out), {
              timeoutMs: limits.toolTimeoutMs,
              what: `baseline ${s.name}`,
            });
          baseMs += performance.now() - t0;
          baseOutBytes += statSync(out, { throwIfNoEntry: false })?.size ?? s.bytes;
          rmSync(out, { force: true });
        } else {
          // The upload's temp file (a copy, untimed): stageDraftMedia moves it.
          const tmp = join(draftDir, 'files', `.upload.${i}.tmp`);
          writeFileSync(tmp, readFileSync(s.file));
          const original = { length: s.bytes, sha256: sha256File(s.file) };
          const t0 = performance.now();
          const staged = await stageDraftMedia({
            draftDir,
            path: `bench/site/media/${s.name}`,
            tmp,
            original,
            limits,
            job: jobs.start('bench', s.name),
          });
          oursMs += performance.now() - t0;
          outBytes += staged.target.length;
          rmSync(join(draftDir, 'files'), { recursive: true, force: true });
          rmSync(join(draftDir, 'originals'), { recursive: true, force: true });
          mkdirSync(join(draftDir, 'files'));
        }
      }
    }
    const mb = inBytes / 1e6;
    const ours = mb / (oursMs / 1000);
    const base = mb / (baseMs / 1000);
    process.stdout.write(
      `ours: ${(oursMs / 1000).toFixed(1)} s, baseline (sharp/ffmpeg alone): ${(baseMs / 1000).toFixed(1)} s\n`,
    );
    process.stdout.write(
      `bytes: ${inBytes} in → ${outBytes} out, saved ${inBytes - outBytes} (${(((inBytes - outBytes) / inBytes) * 100).toFixed(1)} %); baseline out ${baseOutBytes}\n`,
    );
    resultLine('media', Math.round(ours * 100) / 100, 'MB/s', Math.round(base * 100) / 100, '≥ 0.9');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
