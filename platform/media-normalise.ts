/**
 * Publish-time normalisation: what a Raspberry Pi plays without effort. Images larger than the
 * site group's largest screen are scaled down to it (never up) and re-encoded in their own format
 * (a PNG stays PNG: it keeps text sharp and transparency; a JPEG stays a high-quality JPEG, a WebP
 * a WebP), so the target path the manifest names keeps its extension. MP4 videos that are not
 * H.264 (yuv420p) with AAC audio, ≤ the screen box (≤1080p), ≤ 30 fps and under the bitrate cap
 * are transcoded with ffmpeg (`+faststart`); a WebM over those limits is refused (the name would
 * have to change to .mp4: re-export it as MP4). Files already within limits are kept byte for byte.
 */
import sharp from 'sharp';
import { coded } from '../protocol/errors.js';
import {
  type ImageInfo,
  type MediaInfo,
  MediaRefusal,
  MediaUndecodableError,
  type VideoInfo,
} from './media-probe.js';
import {
  DEFAULT_MEDIA_LIMITS,
  DEFAULT_SCREEN,
  DEFAULT_TOOL_TIMEOUT_MS,
  DEFAULT_VIDEO_MAX_BITRATE_BPS,
  type MediaLimits,
  VIDEO_MAX_FPS,
  VIDEO_MAX_LONG_SIDE,
  VIDEO_MAX_SHORT_SIDE,
} from './media-limits.js';
import { runTool } from './media-tools.js';

export {
  DEFAULT_MEDIA_LIMITS,
  DEFAULT_SCREEN,
  DEFAULT_TOOL_TIMEOUT_MS,
  DEFAULT_VIDEO_MAX_BITRATE_BPS,
  type MediaLimits,
  VIDEO_MAX_FPS,
};

/** A video over the limits in a container gatecast does not transcode (WebM). */
export class MediaLimitsError extends coded('MEDIA_LIMITS', MediaRefusal) {}

/** Encoder settings (also what bench/media.ts runs alone as its baseline). */
export const JPEG_OPTIONS = Object.freeze({ quality: 88, chromaSubsampling: '4:4:4' as const });
export const WEBP_OPTIONS = Object.freeze({ quality: 88 });
export const PNG_OPTIONS = Object.freeze({ compressionLevel: 6 });
export const X264_PRESET = 'fast';
export const X264_CRF = '21';
export const AAC_BITRATE = '128k';

/** The box an image or video of this orientation must fit: the screens' long × short side. */
export function fitBox(screen: { width: number; height: number }, w: number, h: number) {
  const long = Math.max(screen.width, screen.height);
  const short = Math.min(screen.width, screen.height);
  return w >= h ? { width: long, height: short } : { width: short, height: long };
}

export interface NormaliseResult {
  /** False: the file is within limits and kept as it is (`output` not written). */
  changed: boolean;
  /** What was done, for the record ("scaled to fit 1920×1080, PNG re-encoded"). */
  action: string;
}

/** Normalises an image into `output` (sharp). */
export async function normaliseImage(
  input: string,
  info: ImageInfo,
  limits: MediaLimits,
  output: string,
  name = input,
): Promise<NormaliseResult> {
  const box = fitBox(limits.screen, info.width, info.height);
  if (info.width <= box.width && info.height <= box.height)
    return { changed: false, action: `kept: ${info.width}×${info.height} fits ${box.width}×${box.height}` };
  try {
    await imagePipeline(input, info, box).toFile(output);
  } catch (err) {
    throw new MediaUndecodableError(
      `${name} starts like a ${info.format.toUpperCase()} image but does not decode: ${(err as Error).message}`,
      { cause: err, facts: { name: baseName(name), detected: info.format, expected: info.format } },
    );
  }
  return {
    changed: true,
    action: `scaled to fit ${box.width}×${box.height}, ${info.format.toUpperCase()} re-encoded`,
  };
}

/** The sharp pipeline for one image: oriented, scaled down into `box`, re-encoded in its own format. */
export function imagePipeline(input: string, info: ImageInfo, box: { width: number; height: number }) {
  const animated = info.format === 'gif' || info.format === 'webp';
  // A cut or damaged file fails here as it does in the upload check.
  const img = sharp(input, { animated, failOn: 'truncated' })
    .rotate()
    .resize({ width: box.width, height: box.height, fit: 'inside', withoutEnlargement: true });
  switch (info.format) {
    case 'png':
      return img.png(PNG_OPTIONS);
    case 'jpeg':
      return img.jpeg(JPEG_OPTIONS);
    case 'webp':
      return img.webp(WEBP_OPTIONS);
    case 'gif':
      return img.gif();
  }
}

/** Why a video is not playable as it is; empty when it is within every limit. */
export function videoOverLimits(info: VideoInfo, limits: MediaLimits): string[] {
  const box = videoBox(limits, info);
  const why: string[] = [];
  if (info.container !== 'mp4') why.push(`${info.container.toUpperCase()} container`);
  if (info.codec !== 'h264') why.push(`${info.codec} video`);
  if (info.pixelFormat !== 'yuv420p') why.push(`${info.pixelFormat} pixels`);
  if (info.audioCodec !== null && info.audioCodec !== 'aac') why.push(`${info.audioCodec} audio`);
  if (info.width > box.width || info.height > box.height)
    why.push(`${info.width}×${info.height} > ${box.width}×${box.height}`);
  if (info.fps > VIDEO_MAX_FPS + 0.01) why.push(`${Math.round(info.fps * 100) / 100} fps > ${VIDEO_MAX_FPS}`);
  if (info.bitrateBps > limits.videoMaxBitrateBps)
    why.push(
      `${(info.bitrateBps / 1e6).toFixed(1)} Mbit/s > ${(limits.videoMaxBitrateBps / 1e6).toFixed(1)}`,
    );
  return why;
}

function videoBox(limits: MediaLimits, info: { width: number; height: number }) {
  const box = fitBox(limits.screen, info.width, info.height);
  const cap = fitBox({ width: VIDEO_MAX_LONG_SIDE, height: VIDEO_MAX_SHORT_SIDE }, info.width, info.height);
  return { width: Math.min(box.width, cap.width), height: Math.min(box.height, cap.height) };
}

/** ffmpeg's arguments for one video (the normaliser's and the benchmark's baseline's). */
export function videoArgs(input: string, info: VideoInfo, limits: MediaLimits, output: string): string[] {
  const box = videoBox(limits, info);
  const kbps = Math.floor(limits.videoMaxBitrateBps / 1000);
  return [
    '-nostdin',
    '-hide_banner',
    '-v',
    'error',
    '-y',
    '-i',
    input,
    '-map',
    '0:v:0',
    '-map',
    '0:a:0?',
    '-vf',
    `scale=w='min(${box.width},iw)':h='min(${box.height},ih)':force_original_aspect_ratio=decrease:force_divisible_by=2`,
    '-fpsmax',
    String(VIDEO_MAX_FPS),
    '-c:v',
    'libx264',
    '-preset',
    X264_PRESET,
    '-crf',
    X264_CRF,
    '-maxrate',
    `${kbps}k`,
    '-bufsize',
    `${kbps * 2}k`,
    '-pix_fmt',
    'yuv420p',
    '-profile:v',
    'high',
    '-c:a',
    'aac',
    '-b:a',
    AAC_BITRATE,
    '-ac',
    '2',
    '-movflags',
    '+faststart',
    '-f',
    'mp4',
    output,
  ];
}

const baseName = (name: string) => name.split(/[\\/]/).pop() || name;

/** Normalises a video into `output` (ffmpeg), reporting progress 0..1. */
export async function normaliseVideo(
  input: string,
  info: VideoInfo,
  limits: MediaLimits,
  output: string,
  o: { name: string; onProgress?: (fraction: number) => void },
): Promise<NormaliseResult> {
  const why = videoOverLimits(info, limits);
  if (why.length === 0) return { changed: false, action: 'kept: H.264/AAC MP4 within every limit' };
  if (info.container !== 'mp4')
    throw new MediaLimitsError(
      `${o.name} is a ${info.container.toUpperCase()} video over the screens' limits (${why.join(', ')}); export it as MP4 and gatecast normalises it to H.264 ≤1080p30`,
      { facts: { name: baseName(o.name), detected: info.container, expected: info.container } },
    );
  const args = videoArgs(input, info, limits, output);
  // -progress before the output: key=value lines on stdout with out_time_us.
  args.splice(args.length - 1, 0, '-progress', 'pipe:1', '-nostats');
  await runTool('ffmpeg', args, {
    timeoutMs: limits.toolTimeoutMs,
    what: `normalising ${o.name}`,
    onProgressS: (s) => o.onProgress?.(info.durationS > 0 ? Math.min(1, s / info.durationS) : 0),
  });
  o.onProgress?.(1);
  return { changed: true, action: `transcoded to H.264/AAC MP4 (${why.join(', ')})` };
}

/** Normalises any checked media file; text, HTML and fonts are kept as they are. */
export async function normaliseMedia(
  input: string,
  info: MediaInfo,
  limits: MediaLimits,
  output: string,
  o: { name: string; onProgress?: (fraction: number) => void },
): Promise<NormaliseResult> {
  if (info.kind === 'image') return normaliseImage(input, info, limits, output, o.name);
  if (info.kind === 'video') return normaliseVideo(input, info, limits, output, o);
  return { changed: false, action: 'kept: not an image or video' };
}
