/**
 * What a media file really is, from its bytes: its signature (magic numbers) first, then a real
 * decode (images through sharp, every pixel) or probe (videos through ffprobe, and one frame
 * decoded by ffmpeg). A file whose bytes are not what its name says, or that does not decode, is
 * refused with a named error that says which file and what it is ("vi.png is a PDF document").
 * Used where media enter (the media store, a draft's upload, `gatecast draft create`) and again
 * before a draft is published.
 */
import { stat } from 'node:fs/promises';
import sharp from 'sharp';
import { coded, GatecastError, ProblemsError } from '../protocol/errors.js';
import { type DetectedType, detectType, readHead } from './file-type.js';
import { MediaToolError, runTool } from './media-tools.js';

/**
 * What a refusal says, as data, so a page can say it in its own language: the file's name, what its
 * bytes are (a stable kind, see BytesKind) and what its name promised (its extension).
 */
export interface MediaRefusalFacts {
  name: string;
  detected?: BytesKind;
  /** What the name promised; absent when its extension is of no accepted type. */
  expected?: ExpectedKind;
  /** The file's extension, without the dot ("png"); "" for a name without one. */
  ext?: string;
}

/** A refusal of a media file by its content; `facts` says it as data (absent only for tool failures). */
export abstract class MediaRefusal extends GatecastError {
  readonly facts: MediaRefusalFacts | undefined;
  constructor(message: string, options: { cause?: unknown; facts?: MediaRefusalFacts } = {}) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    this.facts = options.facts;
  }
}

/** The bytes are not the type the file's name says (or of no type gatecast accepts). */
export class MediaTypeMismatchError extends coded('MEDIA_TYPE_MISMATCH', MediaRefusal) {}
/** The bytes have the right signature but do not decode (truncated, damaged). */
export class MediaUndecodableError extends coded('MEDIA_UNDECODABLE', MediaRefusal) {}
/** The file's extension names no type that a screen shows. */
export class MediaUnsupportedError extends coded('MEDIA_UNSUPPORTED', MediaRefusal) {}

/** More than one media file refused at once: each named with its own refusal (`problems`). */
export class MediaFilesRefusedError extends coded('MEDIA_REFUSED', ProblemsError) {}

export type MediaCheckError = MediaTypeMismatchError | MediaUndecodableError | MediaUnsupportedError;
export const isMediaCheckError = (e: unknown): e is MediaCheckError =>
  e instanceof MediaTypeMismatchError ||
  e instanceof MediaUndecodableError ||
  e instanceof MediaUnsupportedError;

export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'webp';

export interface ImageInfo {
  kind: 'image';
  format: ImageFormat;
  width: number;
  height: number;
  hasAlpha: boolean;
  bytes: number;
}

export interface VideoInfo {
  kind: 'video';
  container: 'mp4' | 'webm';
  codec: string;
  pixelFormat: string;
  width: number;
  height: number;
  fps: number;
  durationS: number;
  /** Whole-file bit rate (ffprobe's format.bit_rate), bits per second. */
  bitrateBps: number;
  /** null: no audio stream. */
  audioCodec: string | null;
  bytes: number;
}

export interface OtherInfo {
  kind: 'html' | 'text' | 'font';
  mime: string;
  bytes: number;
}

export type MediaInfo = ImageInfo | VideoInfo | OtherInfo;

/** What a file's name promises, as a stable name (its extension's type: "jpg" and "jpeg" are "jpeg"). */
export type ExpectedKind =
  | 'png'
  | 'jpeg'
  | 'gif'
  | 'webp'
  | 'mp4'
  | 'webm'
  | 'html'
  | 'css'
  | 'js'
  | 'json'
  | 'text'
  | 'svg'
  | 'woff'
  | 'woff2'
  | 'ttf'
  | 'otf';

type Expect = { what: string; id: ExpectedKind } & (
  | { kind: 'image'; format: ImageFormat }
  | { kind: 'video'; container: 'mp4' | 'webm' }
  | { kind: 'html' | 'text' | 'font' }
);

/** What each accepted extension promises. */
const BY_EXTENSION: Readonly<Record<string, Expect>> = {
  png: { kind: 'image', format: 'png', what: 'a PNG image', id: 'png' },
  jpg: { kind: 'image', format: 'jpeg', what: 'a JPEG image', id: 'jpeg' },
  jpeg: { kind: 'image', format: 'jpeg', what: 'a JPEG image', id: 'jpeg' },
  gif: { kind: 'image', format: 'gif', what: 'a GIF image', id: 'gif' },
  webp: { kind: 'image', format: 'webp', what: 'a WebP image', id: 'webp' },
  mp4: { kind: 'video', container: 'mp4', what: 'an MP4 video', id: 'mp4' },
  m4v: { kind: 'video', container: 'mp4', what: 'an MP4 video', id: 'mp4' },
  webm: { kind: 'video', container: 'webm', what: 'a WebM video', id: 'webm' },
  html: { kind: 'html', what: 'an HTML page', id: 'html' },
  htm: { kind: 'html', what: 'an HTML page', id: 'html' },
  css: { kind: 'text', what: 'a CSS style sheet', id: 'css' },
  js: { kind: 'text', what: 'a script', id: 'js' },
  json: { kind: 'text', what: 'JSON text', id: 'json' },
  txt: { kind: 'text', what: 'plain text', id: 'text' },
  svg: { kind: 'text', what: 'an SVG drawing', id: 'svg' },
  woff: { kind: 'font', what: 'a WOFF font', id: 'woff' },
  woff2: { kind: 'font', what: 'a WOFF2 font', id: 'woff2' },
  ttf: { kind: 'font', what: 'a TrueType font', id: 'ttf' },
  otf: { kind: 'font', what: 'an OpenType font', id: 'otf' },
};

/** The extensions gatecast accepts, for messages and docs. */
export const ACCEPTED_EXTENSIONS: readonly string[] = Object.keys(BY_EXTENSION);

const startsWith = (b: Buffer, s: string | readonly number[], at = 0) => {
  const sig = typeof s === 'string' ? [...s].map((c) => c.charCodeAt(0)) : s;
  return b.length >= at + sig.length && sig.every((x, i) => b[at + i] === x);
};

/** Signatures of things that are not media, so a refusal can say what the file really is. */
const OTHER_SIGNATURES: readonly [string | readonly number[], string, BytesKind][] = [
  ['%PDF-', 'a PDF document', 'pdf'],
  [[0x7f, 0x45, 0x4c, 0x46], 'an ELF executable (a program)', 'elf'],
  ['MZ', 'a Windows executable (a program)', 'exe'],
  [[0x50, 0x4b, 0x03, 0x04], 'a ZIP archive (or an Office document)', 'zip'],
  [[0x1f, 0x8b], 'a gzip archive', 'gzip'],
  [[0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1], 'an old Office document', 'ole'],
  ['Rar!', 'a RAR archive', 'rar'],
  [[0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], 'a 7-Zip archive', '7z'],
  ['II*\u0000', 'a TIFF image', 'tiff'],
  ['MM\u0000*', 'a TIFF image', 'tiff'],
  ['BM', 'a BMP image', 'bmp'],
  ['ID3', 'an MP3 audio file', 'mp3'],
  ['OggS', 'an Ogg file', 'ogg'],
  ['fLaC', 'a FLAC audio file', 'flac'],
];

/** What bytes are, as a stable name a page turns into its own words ("pdf", "png", "exe"). */
export const BYTES_KINDS = [
  'png',
  'jpeg',
  'gif',
  'webp',
  'mp4',
  'webm',
  'html',
  'svg',
  'text',
  'pdf',
  'elf',
  'exe',
  'zip',
  'gzip',
  'ole',
  'rar',
  '7z',
  'tiff',
  'bmp',
  'mp3',
  'ogg',
  'flac',
  'empty',
  'unknown',
] as const;
export type BytesKind = (typeof BYTES_KINDS)[number];

const MIME_KIND: Readonly<Record<string, BytesKind>> = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'video/mp4': 'mp4',
  'video/webm': 'webm',
  'text/html': 'html',
  'image/svg+xml': 'svg',
  'text/plain': 'text',
};

const MIME_WHAT: Readonly<Record<string, string>> = {
  'image/png': 'a PNG image',
  'image/jpeg': 'a JPEG image',
  'image/gif': 'a GIF image',
  'image/webp': 'a WebP image',
  'video/mp4': 'an MP4 video',
  'video/webm': 'a WebM video',
  'text/html': 'an HTML page',
  'image/svg+xml': 'an SVG drawing',
  'text/plain': 'plain text',
};

const FONT_SIGNATURES: readonly (string | readonly number[])[] = [
  'wOFF',
  'wOF2',
  'OTTO',
  'true',
  [0x00, 0x01, 0x00, 0x00],
];

/** What bytes are, in words ("a PDF document"), from their start. */
export function describeBytes(head: Buffer, detected: DetectedType = detectType(head, true)): string {
  const known = MIME_WHAT[detected.mime];
  if (known && detected.kind !== 'binary') return known;
  for (const [sig, what] of OTHER_SIGNATURES) if (startsWith(head, sig)) return what;
  if (head.length === 0) return 'empty';
  return 'binary data of no known media type';
}

/** What bytes are, as a BytesKind, from their start (the same judgement as describeBytes). */
export function bytesKind(head: Buffer, detected: DetectedType = detectType(head, true)): BytesKind {
  const known = MIME_KIND[detected.mime];
  if (known && detected.kind !== 'binary') return known;
  for (const [sig, , kind] of OTHER_SIGNATURES) if (startsWith(head, sig)) return kind;
  return head.length === 0 ? 'empty' : 'unknown';
}

const extensionOf = (name: string) => /\.([A-Za-z0-9]+)$/.exec(name)?.[1]?.toLowerCase() ?? '';
const baseName = (name: string) => name.split(/[\\/]/).pop() || name;

/**
 * Checks `file` (named `name` by its author) against what its name says, decoding it in full;
 * returns what it is, or throws MediaTypeMismatchError / MediaUndecodableError /
 * MediaUnsupportedError naming the file.
 */
export async function probeMedia(
  file: string,
  name: string,
  o: {
    timeoutMs?: number;
    /**
     * false: an image's header is read but its pixels are not decoded here, because the caller
     * decodes all of them next (normalisation, which fails on a cut file the same way).
     */
    decode?: boolean;
  } = {},
): Promise<MediaInfo> {
  const shown = baseName(name);
  const ext = extensionOf(shown);
  const want = BY_EXTENSION[ext];
  const { head, truncated } = await readHead(file);
  const detected = detectType(head, truncated);
  const is = describeBytes(head, detected);
  const facts: MediaRefusalFacts = {
    name: shown,
    detected: bytesKind(head, detected),
    ...(want ? { expected: want.id } : {}),
    ext,
  };
  if (!want)
    throw new MediaUnsupportedError(
      `${shown} is ${is}; ${ext ? `.${ext} files are` : 'a file without an extension is'} not accepted (accepted: ${ACCEPTED_EXTENSIONS.map((e) => `.${e}`).join(' ')})`,
      { facts },
    );
  const bytes = (await stat(file)).size;
  const mismatch = () => new MediaTypeMismatchError(`${shown} is ${is}, not ${want.what}`, { facts });
  switch (want.kind) {
    case 'image': {
      if (detected.kind !== 'image' || detected.mime !== `image/${want.format}`) throw mismatch();
      return { ...(await decodeImage(file, facts, want.format, o.decode !== false)), bytes };
    }
    case 'video': {
      if (detected.mime !== `video/${want.container}`) throw mismatch();
      return { ...(await probeVideo(file, facts, want.container, o.timeoutMs ?? 120_000)), bytes };
    }
    case 'html':
      if (detected.kind !== 'html' && detected.kind !== 'text') throw mismatch();
      return { kind: 'html', mime: 'text/html', bytes };
    case 'text':
      if (detected.kind !== 'html' && detected.kind !== 'text') throw mismatch();
      return { kind: 'text', mime: detected.mime, bytes };
    case 'font':
      if (!FONT_SIGNATURES.some((s) => startsWith(head, s))) throw mismatch();
      return { kind: 'font', mime: `font/${ext}`, bytes };
  }
}

async function decodeImage(
  file: string,
  facts: MediaRefusalFacts,
  format: ImageFormat,
  decode: boolean,
): Promise<Omit<ImageInfo, 'bytes'>> {
  try {
    const img = sharp(file, { failOn: 'truncated', animated: format === 'gif' || format === 'webp' });
    const m = await img.metadata();
    if (m.format !== format || !m.width || !m.height)
      throw new Error(`decoded as ${m.format ?? 'nothing'} ${m.width ?? '?'}×${m.height ?? '?'}`);
    // Every pixel decoded: a cut or damaged file fails here, not on the screen.
    if (decode) await img.stats();
    const height = m.pageHeight ?? m.height;
    return { kind: 'image', format, width: m.width, height, hasAlpha: Boolean(m.hasAlpha) };
  } catch (err) {
    throw new MediaUndecodableError(
      `${facts.name} starts like ${MIME_WHAT[`image/${format}`]} but does not decode: ${(err as Error).message}`,
      { cause: err, facts },
    );
  }
}

/** "30000/1001" → 29.97; 0 for "0/0". */
function rate(s: unknown): number {
  const [n, d] = String(s ?? '0/0')
    .split('/')
    .map(Number);
  return n && d ? n / d : 0;
}

interface ProbeStream {
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  pix_fmt?: string;
  avg_frame_rate?: string;
  r_frame_rate?: string;
}

async function probeVideo(
  file: string,
  facts: MediaRefusalFacts,
  container: 'mp4' | 'webm',
  timeoutMs: number,
): Promise<Omit<VideoInfo, 'bytes'>> {
  const shown = facts.name;
  const undecodable = (why: string, cause?: unknown) =>
    cause instanceof MediaToolError && cause.notStarted
      ? cause
      : new MediaUndecodableError(
          `${shown} starts like ${MIME_WHAT[`video/${container}`]} but does not decode: ${why}`,
          { cause, facts },
        );
  let probe: { streams?: ProbeStream[]; format?: { duration?: string; bit_rate?: string } };
  try {
    const out = await runTool(
      'ffprobe',
      ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file],
      { timeoutMs, what: `probing ${shown}` },
    );
    probe = JSON.parse(out) as typeof probe;
  } catch (err) {
    throw undecodable((err as Error).message, err);
  }
  const v = probe.streams?.find((s) => s.codec_type === 'video');
  const a = probe.streams?.find((s) => s.codec_type === 'audio');
  if (!v?.codec_name || !v.width || !v.height) throw undecodable('it has no video stream');
  try {
    // One frame really decoded: a file whose header probes but whose picture is gone is refused.
    await runTool(
      'ffmpeg',
      [
        '-nostdin',
        '-v',
        'error',
        '-xerror',
        '-i',
        file,
        '-map',
        '0:v:0',
        '-frames:v',
        '1',
        '-f',
        'null',
        '-',
      ],
      { timeoutMs, what: `decoding ${shown}` },
    );
  } catch (err) {
    throw undecodable((err as Error).message, err);
  }
  const durationS = Number(probe.format?.duration ?? 0) || 0;
  const bytes = (await stat(file)).size;
  const bitrateBps = Number(probe.format?.bit_rate ?? 0) || (durationS > 0 ? (bytes * 8) / durationS : 0);
  return {
    kind: 'video',
    container,
    codec: v.codec_name,
    pixelFormat: v.pix_fmt ?? 'unknown',
    width: v.width,
    height: v.height,
    fps: rate(v.avg_frame_rate) || rate(v.r_frame_rate),
    durationS,
    bitrateBps: Math.round(bitrateBps),
    audioCodec: a?.codec_name ?? null,
  };
}

/** "3840×2160 PNG, 14.2 MB" */
export function describeMedia(i: MediaInfo): string {
  const mb = `${(i.bytes / 1e6).toFixed(1)} MB`;
  if (i.kind === 'image') return `${i.width}×${i.height} ${i.format.toUpperCase()}, ${mb}`;
  if (i.kind === 'video')
    return `${i.width}×${i.height} ${i.codec}${i.audioCodec ? `/${i.audioCodec}` : ''} ${Math.round(i.fps * 100) / 100} fps ${i.container.toUpperCase()}, ${mb}`;
  return `${i.mime}, ${mb}`;
}
