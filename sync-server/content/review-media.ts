/**
 * What the review page shows of an image or a video without sending the file itself: a small
 * thumbnail made here (sharp; a video's poster is one frame ffmpeg decodes, then made small the
 * same way) and the facts a reviewer compares (resolution, and a video's duration). The file is
 * always taken for what its bytes are (the caller passes the type detected from them), never for
 * what its name says. Thumbnails are kept on disk by the file's SHA-256 (the same bytes always give
 * the same picture), facts in memory; at most `concurrency` decodes run at a time, so a review with
 * many videos does not start one ffmpeg per video at once.
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import sharp from 'sharp';
import { writeFileAtomic } from '../../platform/atomic-file.js';
import type { DetectedType } from '../../platform/file-type.js';
import { MediaUndecodableError } from '../../platform/media-probe.js';
import { MediaToolError, runTool } from '../../platform/media-tools.js';
import { MediaNotViewableError } from './errors.js';

/** The box a thumbnail fits in (it keeps its aspect, never enlarged). */
export const THUMB_BOX = Object.freeze({ width: 320, height: 180 });
export const THUMB_MIME = 'image/webp';

/** What the page says of an image or a video beside its thumbnail. */
export interface MediaFacts {
  kind: 'image' | 'video';
  width: number;
  height: number;
  /** Videos: seconds, as ffprobe reads the container. */
  durationS?: number;
}

/** One file to look at: where its bytes are, their SHA-256 and the type its bytes are. */
export interface MediaSource {
  file: string;
  sha256: string;
  type: DetectedType;
}

export interface ReviewMediaOptions {
  /** Where thumbnails are kept (created when needed). */
  cacheDir: string;
  /** Longest one ffmpeg or ffprobe run may take. */
  toolTimeoutMs?: number;
  concurrency?: number;
}

const SHA = /^[0-9a-f]{64}$/;

export class ReviewMedia {
  readonly #o: Required<ReviewMediaOptions>;
  readonly #facts = new Map<string, Promise<MediaFacts>>();
  readonly #thumbs = new Map<string, Promise<Buffer>>();
  #running = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(o: ReviewMediaOptions) {
    this.#o = { toolTimeoutMs: 60_000, concurrency: 2, ...o };
  }

  /** Resolution (and duration) of an image or a video; MediaUndecodableError if it does not decode. */
  facts(src: MediaSource): Promise<MediaFacts> {
    const kind = viewable(src);
    return once(this.#facts, src.sha256, () =>
      this.#limited(() => (kind === 'image' ? imageFacts(src) : this.#videoFacts(src))),
    );
  }

  /** A WebP of at most THUMB_BOX: the image itself, or a video's poster frame. */
  thumbnail(src: MediaSource): Promise<Buffer> {
    const kind = viewable(src);
    if (!SHA.test(src.sha256)) throw new Error(`not a SHA-256: ${src.sha256}`);
    return once(this.#thumbs, src.sha256, async () => {
      const cached = join(this.#o.cacheDir, `${src.sha256}.webp`);
      const kept = await readFile(cached).catch(() => null);
      if (kept) return kept;
      const bytes = await this.#limited(() => (kind === 'image' ? imageThumb(src) : this.#posterThumb(src)));
      await mkdir(this.#o.cacheDir, { recursive: true });
      await writeFileAtomic(cached, bytes);
      return bytes;
    });
  }

  async #videoFacts(src: MediaSource): Promise<MediaFacts> {
    const probe = await this.#probe(src);
    return { kind: 'video', width: probe.width, height: probe.height, durationS: probe.durationS };
  }

  async #probe(src: MediaSource): Promise<{ width: number; height: number; durationS: number }> {
    let out: {
      streams?: { codec_type?: string; width?: number; height?: number }[];
      format?: { duration?: string };
    };
    try {
      out = JSON.parse(
        await runTool(
          'ffprobe',
          ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', src.file],
          { timeoutMs: this.#o.toolTimeoutMs, what: `probing ${src.sha256}` },
        ),
      ) as typeof out;
    } catch (err) {
      if (err instanceof MediaToolError && err.notStarted) throw err; // no verdict on the file
      throw new MediaUndecodableError(`the video ${src.sha256} does not probe: ${(err as Error).message}`, {
        cause: err,
      });
    }
    const v = out.streams?.find((s) => s.codec_type === 'video');
    if (!v?.width || !v.height) throw new MediaUndecodableError(`the video ${src.sha256} has no picture`);
    return { width: v.width, height: v.height, durationS: Number(out.format?.duration ?? 0) || 0 };
  }

  /** One frame, a second in (or the first of a shorter clip), made small. */
  async #posterThumb(src: MediaSource): Promise<Buffer> {
    const { durationS } = await this.#probe(src);
    await mkdir(this.#o.cacheDir, { recursive: true });
    const frame = join(this.#o.cacheDir, `.${src.sha256}.${randomBytes(6).toString('hex')}.png`);
    try {
      await runTool(
        'ffmpeg',
        [
          '-nostdin',
          '-v',
          'error',
          '-y',
          '-ss',
          durationS > 2 ? '1' : '0',
          '-i',
          src.file,
          '-map',
          '0:v:0',
          '-frames:v',
          '1',
          '-f',
          'image2',
          '-c:v',
          'png',
          frame,
        ],
        { timeoutMs: this.#o.toolTimeoutMs, what: `poster of ${src.sha256}` },
      );
      return await imageThumb({ ...src, file: frame });
    } catch (err) {
      if (err instanceof MediaUndecodableError || (err instanceof MediaToolError && err.notStarted))
        throw err;
      throw new MediaUndecodableError(`no poster frame from video ${src.sha256}: ${(err as Error).message}`, {
        cause: err,
      });
    } finally {
      await rm(frame, { force: true });
    }
  }

  async #limited<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#o.concurrency) await new Promise<void>((r) => this.#waiting.push(r));
    this.#running++;
    try {
      return await fn();
    } finally {
      this.#running--;
      this.#waiting.shift()?.();
    }
  }
}

function viewable(src: MediaSource): 'image' | 'video' {
  if (src.type.kind !== 'image' && src.type.kind !== 'video')
    throw new MediaNotViewableError(`${src.type.mime} by its bytes is not an image or a video`);
  return src.type.kind;
}

/** The first call's promise for `key`; a failed one is forgotten so that a later call tries again. */
function once<T>(m: Map<string, Promise<T>>, key: string, make: () => Promise<T>): Promise<T> {
  const had = m.get(key);
  if (had) return had;
  const p = make();
  m.set(key, p);
  p.catch(() => m.delete(key));
  if (m.size > 2000) m.delete(m.keys().next().value!);
  return p;
}

async function imageFacts(src: MediaSource): Promise<MediaFacts> {
  try {
    const m = await sharp(src.file, { failOn: 'none' }).metadata();
    if (!m.width || !m.height) throw new Error('no size');
    return { kind: 'image', width: m.width, height: m.pageHeight ?? m.height };
  } catch (err) {
    throw new MediaUndecodableError(`the image ${src.sha256} does not decode: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

async function imageThumb(src: MediaSource): Promise<Buffer> {
  try {
    return await sharp(src.file, { failOn: 'truncated', animated: false })
      .rotate()
      .resize({ ...THUMB_BOX, fit: 'inside', withoutEnlargement: true })
      .webp({ quality: 70 })
      .toBuffer();
  } catch (err) {
    throw new MediaUndecodableError(`the image ${src.sha256} does not decode: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/**
 * The facts of each of `files` (keyed by `keyOf`), each opened by `open`; one that does not decode
 * is 'unreadable' (the page says so instead of a thumbnail); without ffprobe on the server a video
 * has no facts (nothing is claimed about it); any other failure is the caller's.
 */
export async function collectFacts<F>(
  media: ReviewMedia,
  files: readonly F[],
  open: (f: F) => Promise<MediaSource>,
  keyOf: (f: F) => string,
): Promise<Map<string, MediaFacts | 'unreadable'>> {
  const out = new Map<string, MediaFacts | 'unreadable'>();
  await Promise.all(
    files.map(async (f) => {
      try {
        out.set(keyOf(f), await media.facts(await open(f)));
      } catch (err) {
        if (err instanceof MediaToolError && err.notStarted) return;
        if (!(err instanceof MediaUndecodableError)) throw err;
        out.set(keyOf(f), 'unreadable');
      }
    }),
  );
  return out;
}
