/**
 * Turns an author's folder into a draft request: `<folder>/bundle.json` (or another manifest file)
 * plus the media it references, where target `<siteGroup>/<rest>` is the file `<folder>/<rest>`.
 * Every problem is reported at once, naming the file and the rule; nothing outside the folder is
 * ever read (paths are checked before any file is opened).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { BUNDLE_MANIFEST_NAME, mediaTargets } from '../protocol/content.js';
import { coded, type Problem, ProblemsError } from '../protocol/errors.js';
import {
  type CreateDraftRequest,
  checkDraft,
  type DraftFile,
  siteGroupTargetProblem,
} from '../protocol/publish-api.js';

export class DraftFolderError extends coded('DRAFT_INVALID', ProblemsError) {}

export interface FolderDraft {
  request: CreateDraftRequest;
  /** Target path → local file. */
  localFiles: Map<string, string>;
  /** Files in the folder that the manifest does not reference (not uploaded). */
  ignored: string[];
  totalBytes: number;
}

export interface FolderProgress {
  /** Called as files are hashed: bytes done so far out of the total. */
  onHashProgress?: (doneBytes: number, totalBytes: number, file: string) => void;
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) out.push(relative(dir, p).split(sep).join('/'));
    }
  };
  await walk(dir);
  return out.sort();
}

async function sha256File(path: string, onChunk: (n: number) => void): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
    h.update(chunk as Buffer);
    onChunk((chunk as Buffer).length);
  }
  return h.digest('hex');
}

export async function prepareDraftFromFolder(
  siteGroup: string,
  folder: string,
  manifestPath = join(folder, BUNDLE_MANIFEST_NAME),
  progress: FolderProgress = {},
): Promise<FolderDraft> {
  let manifestText: string;
  try {
    manifestText = await readFile(manifestPath, 'utf8');
  } catch (err) {
    throw new DraftFolderError(
      `${manifestPath}: cannot read the bundle manifest (${(err as Error).message})`,
    );
  }
  const rel = relative(process.cwd(), manifestPath);
  const manifestName = rel && !rel.startsWith('..') ? rel : manifestPath;
  const first = checkDraft(siteGroup, manifestText, [], manifestName);
  // Keep going on an invalid manifest so that missing files are reported in the same run.
  const referencedTargets = first.manifest ? mediaTargets(first.manifest) : looseMediaTargets(manifestText);
  let present: string[];
  try {
    present = await listFiles(folder);
  } catch (err) {
    throw new DraftFolderError(`${folder}: cannot list the media folder (${(err as Error).message})`);
  }
  const presentSet = new Set(present);
  const problems: Problem[] = [];
  const wanted: { target: string; rel: string; local: string; size: number }[] = [];
  for (const target of referencedTargets) {
    if (siteGroupTargetProblem(siteGroup, target)) continue; // reported by checkDraft below
    const rel = target.slice(siteGroup.length + 1);
    const local = join(folder, ...rel.split('/'));
    if (!presentSet.has(rel)) {
      problems.push({ path: local, message: `file not found: ${manifestName} references it as "${target}"` });
      continue;
    }
    wanted.push({ target, rel, local, size: (await stat(local)).size });
  }
  const totalBytes = wanted.reduce((a, w) => a + w.size, 0);
  let done = 0;
  const files: DraftFile[] = [];
  const localFiles = new Map<string, string>();
  for (const w of wanted) {
    const sha256 = await sha256File(w.local, (n) => {
      done += n;
      progress.onHashProgress?.(done, totalBytes, w.rel);
    });
    files.push({ path: w.target, length: w.size, sha256 });
    localFiles.set(w.target, w.local);
  }
  const final = first.manifest ? checkDraft(siteGroup, manifestText, files, manifestName) : first;
  const missing = new Set(problems.map((p) => p.message.match(/"([^"]+)"$/)?.[1]));
  for (const p of final.problems) {
    const about = p.message.match(/^media file "([^"]+)" is referenced but not in the draft$/)?.[1];
    if (!about || !missing.has(about)) problems.push(p);
  }
  if (problems.length) throw new DraftFolderError(`draft from ${folder} refused`, problems);
  const manifestRel = relative(folder, manifestPath).split(sep).join('/');
  const referenced = new Set(wanted.map((w) => w.rel));
  const ignored = present.filter((p) => !referenced.has(p) && p !== manifestRel);
  return { request: { siteGroup, manifest: manifestText, files }, localFiles, ignored, totalBytes };
}

/** Media paths of a manifest that does not parse: whatever string `src`/`poster`/`entry`/`assets` hold. */
function looseMediaTargets(text: string): string[] {
  try {
    const raw = JSON.parse(text) as { items?: unknown };
    if (!Array.isArray(raw.items)) return [];
    const items = raw.items.filter(
      (i): i is { variants: Record<string, unknown> } =>
        typeof i === 'object' && i !== null && typeof (i as { variants?: unknown }).variants === 'object',
    );
    const safe = items.map((i) => ({
      variants: Object.fromEntries(
        Object.entries(i.variants ?? {}).filter(([, v]) => typeof v === 'object' && v !== null),
      ),
    }));
    return mediaTargets({ items: safe } as never).filter((p) => typeof p === 'string');
  } catch {
    return []; // not JSON at all: checkDraft has already said so
  }
}
