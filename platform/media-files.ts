/**
 * The media files a bundle manifest references, checked on disk next to it (the layout of
 * `samples/ha-tien` and of `gatecast draft create --media DIR`: target `<siteGroup>/<rest>` is
 * the file `<folder>/<rest>`): each must exist, be a regular file, and be the type it claims, by
 * its bytes, both for its item (an image item's `src` is an image) and for its name (`.png` is PNG).
 */
import { stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { mediaReferences, type MediaReference } from '../protocol/content.js';
import type { Problem } from '../protocol/errors.js';
import { siteGroupTargetProblem } from '../protocol/publish-api.js';
import { type DetectedType, detectFileType } from './file-type.js';

/** What a file's name says it is. */
const MIME_BY_EXTENSION: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  mp4: 'video/mp4',
  m4v: 'video/mp4',
  webm: 'video/webm',
  html: 'text/html',
  htm: 'text/html',
};

const DESCRIPTION: Readonly<Record<string, string>> = {
  'image/png': 'a PNG image',
  'image/jpeg': 'a JPEG image',
  'image/gif': 'a GIF image',
  'image/webp': 'a WebP image',
  'video/mp4': 'an MP4 video',
  'video/webm': 'a WebM video',
  'text/html': 'HTML',
  'image/svg+xml': 'SVG text',
  'text/plain': 'plain text',
  'application/octet-stream': 'binary data of no known media type',
};
const describe = (mime: string) => DESCRIPTION[mime] ?? mime;

/** The kind of bytes a reference needs from its item's kind and role, or undefined for any. */
function neededKind(ref: MediaReference): { kind: DetectedType['kind']; what: string } | undefined {
  if (ref.role === 'poster') return { kind: 'image', what: 'a video poster must be an image' };
  if (ref.role === 'assets') return undefined;
  if (ref.kind === 'image') return { kind: 'image', what: 'an image item needs an image' };
  if (ref.kind === 'video') return { kind: 'video', what: 'a video item needs a video' };
  if (ref.kind === 'html') return { kind: 'html', what: "an HTML item's entry must be HTML" };
  return undefined;
}

const pathText = (path: (string | number)[]) =>
  path.map((p) => (typeof p === 'number' ? `[${p}]` : p)).join('.');

/**
 * Every problem of the media files `raw` (a manifest, parsed or not) references, looked up in
 * `folder`; paths are the JSON paths of the references. Targets outside the manifest's site group
 * or breaking the path rules are left to the manifest's own check (nothing outside `folder` is
 * ever opened).
 */
export async function mediaFileProblems(raw: unknown, folder: string): Promise<Problem[]> {
  const siteGroup = (raw as { siteGroup?: unknown } | null)?.siteGroup;
  if (typeof siteGroup !== 'string') return [];
  const problems: Problem[] = [];
  const types = new Map<string, Promise<DetectedType | string>>();
  const typeOf = (local: string) => {
    let t = types.get(local);
    if (!t) {
      t = (async () => {
        try {
          const st = await stat(local);
          if (!st.isFile()) return 'is not a regular file';
        } catch {
          return 'does not exist';
        }
        return detectFileType(local);
      })();
      types.set(local, t);
    }
    return t;
  };
  for (const ref of mediaReferences(raw)) {
    if (siteGroupTargetProblem(siteGroup, ref.target)) continue;
    const rest = ref.target.slice(siteGroup.length + 1);
    const local = join(folder, ...rest.split('/'));
    const shown = relative(process.cwd(), local) || local;
    const path = pathText(ref.path);
    const t = await typeOf(local);
    if (typeof t === 'string') {
      problems.push({ path, message: `file ${shown} ${t} (target "${ref.target}")` });
      continue;
    }
    const need = neededKind(ref);
    if (need && t.kind !== need.kind)
      problems.push({ path, message: `file ${shown} is ${describe(t.mime)}, but ${need.what}` });
    const ext = /\.([A-Za-z0-9]+)$/.exec(rest)?.[1]?.toLowerCase();
    const named = ext ? MIME_BY_EXTENSION[ext] : undefined;
    if (named && named !== t.mime && !(need && t.kind !== need.kind))
      problems.push({
        path,
        message: `file ${shown} is named .${ext} (${describe(named)}) but its bytes are ${describe(t.mime)}`,
      });
  }
  return problems;
}
