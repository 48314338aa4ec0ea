/**
 * A draft's media file as it arrives: checked by its content (platform/media-probe.ts), normalised
 * for the site group's screens (platform/media-normalise.ts) and staged. The normalised bytes become
 * the draft's target (what approvers sign and screens play); the author's original is kept beside
 * (`drafts/<id>/originals/<sha256>`, never a TUF target) and named in the draft record.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { fsyncDir } from '../../platform/atomic-file.js';
import { type MediaLimits, normaliseMedia } from '../../platform/media-normalise.js';
import { describeMedia, type MediaInfo, probeMedia } from '../../platform/media-probe.js';

/** What a person reads of a media file: its type ("PNG", "H264/AAC MP4") and its size in pixels. */
const MediaFacts = {
  type: z.string().optional(),
  width: z.number().int().min(0).optional(),
  height: z.number().int().min(0).optional(),
};

/** The facts of a probed file (records made before they were kept have only the description). */
export function mediaFacts(i: MediaInfo): { type: string; width?: number; height?: number } {
  if (i.kind === 'image') return { type: i.format.toUpperCase(), width: i.width, height: i.height };
  if (i.kind === 'video')
    return {
      type: `${i.codec.toUpperCase()}${i.audioCodec ? `/${i.audioCodec.toUpperCase()}` : ''} ${i.container.toUpperCase()}`,
      width: i.width,
      height: i.height,
    };
  return { type: i.mime };
}

/** How one media file of a draft was normalised (kept in the draft record). */
export const DraftMediaEntry = z.object({
  path: z.string(),
  /** The author's bytes, as declared and uploaded. */
  original: z.object({
    length: z.number().int().min(0),
    sha256: z.string(),
    description: z.string(),
    ...MediaFacts,
    /** Where the original is kept, relative to the draft's folder; absent when it is the target itself. */
    stored: z.string().optional(),
  }),
  /** The bytes the draft's target names, when they differ from the original. */
  normalised: z
    .object({ length: z.number().int().min(0), sha256: z.string(), description: z.string(), ...MediaFacts })
    .optional(),
  action: z.string(),
});
export type DraftMediaEntry = z.infer<typeof DraftMediaEntry>;

/** A normalisation running or finished, as the draft view shows it (polled by the dashboard and CLI). */
export interface MediaJob {
  path: string;
  state: 'checking' | 'normalising' | 'done' | 'failed';
  /** 0..1 */
  progress: number;
  message?: string;
}

/** The jobs of each draft, in memory (a restart forgets them; the record keeps the results). */
export class MediaJobs {
  readonly #byDraft = new Map<string, Map<string, MediaJob>>();

  start(id: string, path: string): MediaJob {
    const jobs = this.#byDraft.get(id) ?? new Map<string, MediaJob>();
    this.#byDraft.set(id, jobs);
    const job: MediaJob = { path, state: 'checking', progress: 0 };
    jobs.set(path, job);
    return job;
  }

  of(id: string): MediaJob[] {
    return [...(this.#byDraft.get(id)?.values() ?? [])].map((j) => ({ ...j }));
  }

  forget(id: string): void {
    this.#byDraft.delete(id);
  }
}

async function sha256File(file: string): Promise<{ sha256: string; length: number }> {
  const h = createHash('sha256');
  let length = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) {
    h.update(chunk as Buffer);
    length += (chunk as Buffer).length;
  }
  return { sha256: h.digest('hex'), length };
}

async function fsyncFile(file: string): Promise<void> {
  const fh = await open(file, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Checks and normalises `tmp` (the verified original of `path`, in `draftDir/files/`) and stages the
 * result: the target under `files/<sha256>`, the original under `originals/<sha256>` when they
 * differ. On any failure nothing is left behind (tmp included) and the named error is thrown.
 */
export async function stageDraftMedia(o: {
  draftDir: string;
  path: string;
  tmp: string;
  original: { length: number; sha256: string };
  limits: MediaLimits;
  job: MediaJob;
}): Promise<{ target: { length: number; sha256: string }; entry: DraftMediaEntry }> {
  const filesDir = join(o.draftDir, 'files');
  const out = join(filesDir, `.normalised.${randomBytes(6).toString('hex')}.tmp`);
  const name = o.path.split('/').pop() ?? o.path;
  try {
    // Pixels are decoded once: by the normalisation, or by the check below when the file is kept.
    const info = await probeMedia(o.tmp, o.path, { timeoutMs: o.limits.toolTimeoutMs, decode: false });
    o.job.state = 'normalising';
    const res = await normaliseMedia(o.tmp, info, o.limits, out, {
      name,
      onProgress: (p) => {
        o.job.progress = p;
      },
    });
    const original = { ...o.original, description: describeMedia(info), ...mediaFacts(info) };
    if (!res.changed) {
      if (info.kind === 'image') await probeMedia(o.tmp, o.path);
      await rename(o.tmp, join(filesDir, o.original.sha256));
      await fsyncDir(filesDir);
      return { target: o.original, entry: { path: o.path, original, action: res.action } };
    }
    // Decided on the thing itself: the normalised file is checked like an upload.
    const after = await probeMedia(out, o.path, { timeoutMs: o.limits.toolTimeoutMs });
    await fsyncFile(out);
    const target = await sha256File(out);
    const originals = join(o.draftDir, 'originals');
    await mkdir(originals, { recursive: true });
    await rename(o.tmp, join(originals, o.original.sha256));
    await fsyncDir(originals);
    await rename(out, join(filesDir, target.sha256));
    await fsyncDir(filesDir);
    return {
      target,
      entry: {
        path: o.path,
        original: { ...original, stored: `originals/${o.original.sha256}` },
        normalised: {
          ...target,
          description: describeMedia({ ...after, bytes: target.length }),
          ...mediaFacts(after),
        },
        action: res.action,
      },
    };
  } catch (err) {
    for (const f of [o.tmp, out]) await unlink(f).catch(() => undefined); // best effort: already failing
    throw err;
  }
}

/**
 * Puts a staged file into a draft's record: the target becomes the normalised bytes (in the file
 * list and in the metadata approvers sign), the entry records the original. Signatures given before
 * were over other bytes and are dropped; returns how many.
 */
export function recordDraftMedia(
  rec: {
    files: { path: string; length: number; sha256: string }[];
    signed: Record<string, unknown>;
    signatures: unknown[];
    media?: DraftMediaEntry[] | undefined;
  },
  path: string,
  staged: { target: { length: number; sha256: string }; entry: DraftMediaEntry },
): number {
  let dropped = 0;
  const i = rec.files.findIndex((f) => f.path === path);
  const before = rec.files[i];
  const target = { path, ...staged.target };
  if (before && (before.sha256 !== target.sha256 || before.length !== target.length)) {
    rec.files[i] = target;
    (rec.signed['targets'] as Record<string, unknown>)[path] = {
      length: target.length,
      hashes: { sha256: target.sha256 },
    };
    dropped = rec.signatures.length;
    rec.signatures = [];
  }
  rec.media = [...(rec.media ?? []).filter((m) => m.path !== path), staged.entry];
  return dropped;
}
