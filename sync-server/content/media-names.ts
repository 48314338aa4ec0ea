/**
 * Pure rules for uploaded media: the target path a file gets from its original name, and the type
 * that name claims (how the dashboard serves the bytes is decided from the bytes:
 * web/untrusted-bytes.ts).
 *
 * `<siteGroup>/media/<first 8 hex of sha256>-<slug>.<ext>`: the hash prefix keeps two uploads with
 * the same name apart; the slug keeps the name readable. Latin letters lose their diacritics
 * ("Ảnh cửa khẩu" → "anh-cua-khau", "đ" → "d"); letters of other scripts (Khmer, Lao, Han…) stay,
 * lower-cased, with their combining signs; everything else becomes "-".
 */
import { MediaRejectedError } from './errors.js';

const MAX_SLUG = 80;
const MAX_EXT = 10;

/** Marks after a Latin base letter are diacritics; after other scripts they are part of the letter. */
function stripLatinDiacritics(s: string): string {
  let out = '';
  let prevLatin = false;
  for (const ch of s.normalize('NFD')) {
    if (/\p{M}/u.test(ch)) {
      if (!prevLatin) out += ch;
      continue;
    }
    prevLatin = /\p{Script=Latin}/u.test(ch);
    out += ch;
  }
  return out.replace(/[đĐ]/g, 'd').normalize('NFC');
}

/** The slug of a name (no extension): letters and digits of any script, "-" between runs. */
export function slugify(name: string): string {
  const s = stripLatinDiacritics(name)
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}]+/gu, '-')
    .replace(/^[-\p{M}]+|-+$/gu, '');
  // Cut by code points, never inside a surrogate pair, and drop a "-" left at the cut.
  return Array.from(s).slice(0, MAX_SLUG).join('').replace(/-+$/, '');
}

/** Splits "Photo.Final.JPG" into the slug and the lower-case extension ("photo-final", "jpg"). */
export function sanitizeMediaName(original: string): { slug: string; ext: string } {
  const name = original.split(/[\\/]/).pop() ?? '';
  const dot = name.lastIndexOf('.');
  const rawExt = dot > 0 ? name.slice(dot + 1).toLowerCase() : '';
  const ext = /^[a-z0-9]{1,10}$/.test(rawExt) && rawExt.length <= MAX_EXT ? rawExt : '';
  const slug = slugify(dot > 0 && ext ? name.slice(0, dot) : name);
  if (!slug)
    throw new MediaRejectedError(
      'MEDIA_NAME_INVALID',
      `file name "${original.slice(0, 120)}" has no letters or digits to name the file by`,
    );
  return { slug, ext };
}

/** The target path of an upload: `<siteGroup>/media/<sha8>-<slug>[.<ext>]`. */
export function mediaTargetPath(siteGroup: string, original: string, sha256: string): string {
  const { slug, ext } = sanitizeMediaName(original);
  return `${siteGroup}/media/${sha256.slice(0, 8)}-${slug}${ext ? `.${ext}` : ''}`;
}

const TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  avif: 'image/avif',
  svg: 'image/svg+xml',
  mp4: 'video/mp4',
  m4v: 'video/mp4',
  webm: 'video/webm',
  ogv: 'video/ogg',
  html: 'text/html',
  htm: 'text/html',
  css: 'text/css',
  js: 'text/javascript',
  json: 'application/json',
  txt: 'text/plain',
  woff: 'font/woff',
  woff2: 'font/woff2',
  ttf: 'font/ttf',
  otf: 'font/otf',
};

/** The content type of a media file by its extension; unknown → application/octet-stream. */
export function contentTypeOf(path: string): string {
  const dot = path.lastIndexOf('.');
  const ext = dot >= 0 ? path.slice(dot + 1).toLowerCase() : '';
  return TYPES[ext] ?? 'application/octet-stream';
}
