/**
 * The type of a file decided from its bytes (magic numbers), never from its name: what the
 * dashboard may show inline, and what `gatecast check-content` compares with what a bundle claims.
 */
import { open } from 'node:fs/promises';

/** How the approval page may show a file, decided from its bytes. */
export type FileKind = 'image' | 'video' | 'html' | 'text' | 'binary';

export interface DetectedType {
  /** The MIME type the bytes are (`application/octet-stream` when unknown). */
  mime: string;
  kind: FileKind;
}

/** How many leading bytes detectType looks at. */
export const SNIFF_BYTES = 4096;

const startsWith = (b: Buffer, sig: readonly number[], at = 0) =>
  b.length >= at + sig.length && sig.every((x, i) => b[at + i] === x);
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));

/** True when `b` (possibly cut mid-character at its end) is UTF-8 text without NUL or other binary controls. */
function isText(b: Buffer, truncated: boolean): boolean {
  if (b.length === 0) return true;
  let end = b.length;
  if (truncated) {
    // Drop an incomplete multi-byte sequence at the cut.
    let i = end - 1;
    let back = 0;
    while (i >= 0 && back < 3 && (b[i]! & 0xc0) === 0x80) {
      i--;
      back++;
    }
    if (i >= 0 && b[i]! >= 0xc0) end = i;
  }
  const body = b.subarray(0, end);
  for (const x of body) if (x < 0x20 && x !== 0x09 && x !== 0x0a && x !== 0x0d && x !== 0x0c) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(body);
    return true;
  } catch {
    return false;
  }
}

const HTML_START =
  /^<(?:!doctype\s+html|html|head|body|script|iframe|meta|title|style|div|p|a|img|svg|h[1-6])[\s>/]/i;

/**
 * The type of a file from its first bytes (`head`, at most SNIFF_BYTES of it; `truncated` when the
 * file is longer). PNG, JPEG, GIF, WebP, MP4 and WebM by their signatures; text that a browser would
 * take for HTML (a tag at its start, or a script/html tag anywhere in it) is HTML; SVG is text (it
 * can carry script); other UTF-8 is plain text; anything else is octet-stream.
 */
export function detectType(head: Buffer, truncated = false): DetectedType {
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
    return { mime: 'image/png', kind: 'image' };
  if (startsWith(head, [0xff, 0xd8, 0xff])) return { mime: 'image/jpeg', kind: 'image' };
  if (startsWith(head, ascii('GIF87a')) || startsWith(head, ascii('GIF89a')))
    return { mime: 'image/gif', kind: 'image' };
  if (startsWith(head, ascii('RIFF')) && startsWith(head, ascii('WEBP'), 8))
    return { mime: 'image/webp', kind: 'image' };
  if (startsWith(head, ascii('ftyp'), 4)) return { mime: 'video/mp4', kind: 'video' };
  if (startsWith(head, [0x1a, 0x45, 0xdf, 0xa3])) return { mime: 'video/webm', kind: 'video' };
  if (!isText(head, truncated)) return { mime: 'application/octet-stream', kind: 'binary' };
  const text = head.toString('utf8').replace(/^\uFEFF/, '');
  const start = text.trimStart();
  if (
    /^<\?xml[^>]*>\s*(?:<!--[\s\S]*?-->\s*)*(?:<!doctype\s+svg[^>]*>\s*)?<svg[\s>]/i.test(start) ||
    /^<svg[\s>]/i.test(start)
  )
    return { mime: 'image/svg+xml', kind: 'text' };
  if (HTML_START.test(start) || /<(?:script|html|iframe|body)[\s>/]/i.test(text))
    return { mime: 'text/html', kind: 'html' };
  return { mime: 'text/plain', kind: 'text' };
}

/** The first `n` bytes of a file and whether it has more. */
export async function readHead(file: string, n = SNIFF_BYTES): Promise<{ head: Buffer; truncated: boolean }> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(n + 1);
    const { bytesRead } = await fh.read(buf, 0, n + 1, 0);
    return { head: buf.subarray(0, Math.min(bytesRead, n)), truncated: bytesRead > n };
  } finally {
    await fh.close();
  }
}

/** The detected type of a file on disk. */
export async function detectFileType(file: string): Promise<DetectedType> {
  const { head, truncated } = await readHead(file);
  return detectType(head, truncated);
}
