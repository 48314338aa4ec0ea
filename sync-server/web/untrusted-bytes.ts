/**
 * Bytes that authors upload (media, HTML items, bundles) and TUF metadata are never trusted by the
 * dashboard's origin: served as downloads they can neither run nor be sniffed into something that
 * runs. Where an approver must SEE a file, its type is decided from its bytes (magic numbers), never
 * from its name: only raster images and videos are shown inline, HTML only in a sandboxed frame
 * whose policy forbids every script.
 */
import type { FastifyReply } from 'fastify';

/** CSP of every download of untrusted bytes: an opaque origin that may load nothing. */
export const UNTRUSTED_CSP = "sandbox; default-src 'none'";
/** CSP of a checked image or video shown inline. */
export const INLINE_MEDIA_CSP = "sandbox; default-src 'none'; frame-ancestors 'self'";
/** CSP of an HTML item shown in the approval page's sandboxed frame: no script, no network but images. */
export const HTML_FRAME_CSP =
  "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; frame-ancestors 'self'";

export {
  detectFileType,
  detectType,
  type DetectedType,
  type FileKind,
  readHead,
  SNIFF_BYTES,
} from '../../platform/file-type.js';
import type { DetectedType } from '../../platform/file-type.js';

function dispositionName(name: string): string {
  const base = name.split('/').pop() || 'file';
  return `attachment; filename="download"; filename*=UTF-8''${encodeURIComponent(base)}`;
}

/**
 * Headers of a response carrying untrusted bytes: a download (octet-stream, attachment), never
 * sniffed, in an opaque origin that may load nothing, even when opened directly.
 */
export function untrustedDownloadHeaders(name: string): Record<string, string> {
  return {
    'content-type': 'application/octet-stream',
    'content-disposition': dispositionName(name),
    'x-content-type-options': 'nosniff',
    'content-security-policy': UNTRUSTED_CSP,
  };
}

export function sendAsDownload(reply: FastifyReply, name: string): FastifyReply {
  return reply.headers(untrustedDownloadHeaders(name));
}

/** A checked image or video, inline under a sandboxing CSP (only for kind image/video). */
export function inlineMediaHeaders(t: DetectedType): Record<string, string> {
  if (t.kind !== 'image' && t.kind !== 'video') throw new Error(`${t.mime} is not shown inline`);
  return {
    'content-type': t.mime,
    'content-disposition': 'inline',
    'x-content-type-options': 'nosniff',
    'content-security-policy': INLINE_MEDIA_CSP,
    'x-frame-options': 'SAMEORIGIN',
  };
}

/** An HTML item for the approval page's `<iframe sandbox>`: rendered, but no script runs. */
export function htmlFrameHeaders(): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    'content-disposition': 'inline',
    'x-content-type-options': 'nosniff',
    'content-security-policy': HTML_FRAME_CSP,
    'x-frame-options': 'SAMEORIGIN',
  };
}
