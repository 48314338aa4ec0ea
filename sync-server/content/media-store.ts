/**
 * The authors' media store: uploaded files, by content hash, waiting to go into a draft.
 *
 * ```
 * <dataDir>/content/media/<sha256>                  the bytes (temp → fsync → rename)
 * <dataDir>/content/media-index/<target path>.json  MediaRecord: which target path names which bytes
 * ```
 * The same bytes uploaded under two names are stored once. An index entry is written only after
 * its bytes are in place, so a path that resolves always has its whole file behind it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { fsyncDir, writeFileAtomic } from '../../platform/atomic-file.js';
import { siteGroupTargetProblem } from '../../protocol/publish-api.js';
import { describeMedia, probeMedia } from '../../platform/media-probe.js';
import { MediaNotFoundError, MediaRejectedError } from './errors.js';
import { contentTypeOf, mediaTargetPath, sanitizeMediaName } from './media-names.js';

/** Default upper bound of one upload. */
export const DEFAULT_MEDIA_MAX_BYTES = 512 * 1024 * 1024;

export const MediaRecord = z.object({
  path: z.string(),
  length: z.number().int().min(0),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  contentType: z.string(),
  /** What the bytes decoded to ("3840×2160 PNG, 14.2 MB"); absent in records made before it was kept. */
  description: z.string().optional(),
  originalName: z.string(),
  uploadedBy: z.string().optional(),
  uploadedAt: z.string(),
});
export type MediaRecord = z.infer<typeof MediaRecord>;

export interface MediaUpload {
  siteGroup: string;
  /** The file's name on the author's machine. */
  originalName: string;
  body: Readable;
  uploadedBy?: string;
  /** Epoch ms. */
  at: number;
}

export class MediaStore {
  readonly #blobs: string;
  readonly #index: string;
  readonly #maxBytes: number;

  constructor(dataDir: string, maxBytes = DEFAULT_MEDIA_MAX_BYTES) {
    this.#blobs = resolve(dataDir, 'content', 'media');
    this.#index = resolve(dataDir, 'content', 'media-index');
    this.#maxBytes = maxBytes;
  }

  get maxBytes(): number {
    return this.#maxBytes;
  }

  /**
   * Streams one upload into the store: the name is checked before a byte is read, the size as the
   * bytes arrive (more than maxBytes: refused at once, nothing kept), the sha256 on the way, then
   * the bytes by their content (platform/media-probe.ts: a PDF named vi.png, a cut PNG, a program
   * are refused with a named error, nothing kept).
   */
  async put(u: MediaUpload): Promise<MediaRecord> {
    sanitizeMediaName(u.originalName); // refuse a bad name before reading the body
    await mkdir(this.#blobs, { recursive: true });
    const tmp = join(this.#blobs, `.upload.${randomBytes(6).toString('hex')}.tmp`);
    const hash = createHash('sha256');
    const max = this.#maxBytes;
    let length = 0;
    let info: Awaited<ReturnType<typeof probeMedia>>;
    try {
      await pipeline(
        u.body,
        async function* (source: AsyncIterable<Buffer>) {
          for await (const chunk of source) {
            length += chunk.length;
            if (length > max)
              throw new MediaRejectedError('MEDIA_TOO_LARGE', `the file is larger than ${max} bytes`);
            hash.update(chunk);
            yield chunk;
          }
        },
        createWriteStream(tmp),
      );
      if (length === 0) throw new MediaRejectedError('MEDIA_EMPTY', 'the file is empty');
      info = await probeMedia(tmp, u.originalName);
      const fh = await open(tmp, 'r');
      await fh.sync();
      await fh.close();
    } catch (err) {
      await unlink(tmp).catch(() => undefined); // best effort: the upload already failed
      throw err;
    }
    const sha256 = hash.digest('hex');
    const blob = join(this.#blobs, sha256);
    if (await exists(blob)) await unlink(tmp);
    else {
      await rename(tmp, blob);
      await fsyncDir(this.#blobs);
    }
    const path = mediaTargetPath(u.siteGroup, u.originalName, sha256);
    const why = siteGroupTargetProblem(u.siteGroup, path);
    if (why) throw new MediaRejectedError('MEDIA_NAME_INVALID', why);
    const rec: MediaRecord = {
      path,
      length,
      sha256,
      contentType: contentTypeOf(path),
      description: describeMedia(info),
      originalName: u.originalName.slice(0, 300),
      ...(u.uploadedBy ? { uploadedBy: u.uploadedBy } : {}),
      uploadedAt: new Date(u.at).toISOString(),
    };
    await writeFileAtomic(this.#indexFile(path), `${JSON.stringify(rec)}\n`);
    return rec;
  }

  /** The record of an uploaded target path, or undefined (also for paths that could not be one). */
  async lookup(path: string): Promise<MediaRecord | undefined> {
    let file: string;
    try {
      file = this.#indexFile(path);
    } catch {
      return undefined;
    }
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      return undefined;
    }
    const rec = MediaRecord.parse(JSON.parse(text));
    return (await exists(join(this.#blobs, rec.sha256))) ? rec : undefined;
  }

  /** The bytes of an uploaded target path. */
  async open(path: string): Promise<{ record: MediaRecord; file: string; stream: Readable }> {
    const record = await this.lookup(path);
    if (!record) throw new MediaNotFoundError(`no uploaded media file "${path}"`);
    const file = join(this.#blobs, record.sha256);
    return { record, file, stream: createReadStream(file) };
  }

  #indexFile(path: string): string {
    const sg = path.split('/media/')[0] ?? '';
    if (!/\/media\/[^/]+$/.test(path) || siteGroupTargetProblem(sg, path))
      throw new MediaNotFoundError(`"${path}" is not a media path`);
    const file = resolve(this.#index, `${path}.json`);
    if (!file.startsWith(this.#index + sep)) throw new MediaNotFoundError(`"${path}" is not a media path`);
    return file;
  }
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}
