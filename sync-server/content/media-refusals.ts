/**
 * A media file refused by its content, as data (code, name, what its bytes are, what its name
 * promised, where the workspace uses it), so that the page and the error's message say it in the
 * reader's language; the check's own English words stay beside them in `message`.
 */
import type { Lang } from '../../protocol/i18n/catalogue.js';
import { type BytesKind, type ExpectedKind, MediaRefusal } from '../../platform/media-probe.js';
import { isGatecastError } from '../../protocol/errors.js';
import { mediaReferences } from '../../protocol/content.js';
import { authoringTexts } from './texts.js';

/** Where a workspace uses a media file: the item (its id and title) and the variant's language. */
export interface MediaUse {
  item: string;
  title?: string;
  language: string;
}

export interface MediaFileRefusal {
  path: string;
  /** The refusal's stable code (MEDIA_TYPE_MISMATCH, MEDIA_LIMITS, …). */
  code: string;
  /** The file's name. */
  name: string;
  detected?: BytesKind;
  expected?: ExpectedKind;
  uses: MediaUse[];
  /** The check's own words (English, for logs and scripts). */
  message: string;
}

/** Each item and language of `manifest` (raw) that uses `path`, in the manifest's order. */
export function mediaUses(manifest: unknown, path: string): MediaUse[] {
  const items = (manifest as { items?: unknown[] } | null)?.items ?? [];
  const out: MediaUse[] = [];
  for (const r of mediaReferences(manifest)) {
    if (r.target !== path) continue;
    const item = items[Number(r.path[1])] as { id?: unknown; title?: unknown } | undefined;
    const use: MediaUse = {
      item: typeof item?.id === 'string' ? item.id : String(r.path[1]),
      ...(typeof item?.title === 'string' && item.title ? { title: item.title } : {}),
      language: String(r.path[3]),
    };
    if (!out.some((u) => u.item === use.item && u.language === use.language)) out.push(use);
  }
  return out;
}

/** The refusal of `path` by `err` (a MediaRefusal says what the file is; others only their code). */
export function mediaFileRefusal(path: string, err: unknown, uses: MediaUse[] = []): MediaFileRefusal {
  const facts = err instanceof MediaRefusal ? err.facts : undefined;
  return {
    path,
    code: isGatecastError(err) ? err.code : 'MEDIA_REFUSED',
    name: facts?.name ?? path.split('/').pop() ?? path,
    ...(facts?.detected ? { detected: facts.detected } : {}),
    ...(facts?.expected ? { expected: facts.expected } : {}),
    uses,
    message: (err as Error).message,
  };
}

const WHY_CODES = new Set([
  'MEDIA_TYPE_MISMATCH',
  'MEDIA_UNSUPPORTED',
  'MEDIA_UNDECODABLE',
  'MEDIA_LIMITS',
  'MEDIA_NORMALISE_FAILED',
]);

/** Why `r` was refused, in `lang` ("vi.png là một tài liệu PDF, không phải một ảnh PNG"). */
export function refusalReason(lang: Lang, r: MediaFileRefusal): string {
  const kind = (k: string | undefined) => {
    const key = `media.kind.${k ?? 'unknown'}`;
    return authoringTexts.has(key)
      ? authoringTexts.text(lang, key)
      : authoringTexts.text(lang, 'media.kind.unknown');
  };
  const key = `media.why.${WHY_CODES.has(r.code) ? r.code : 'other'}`;
  if (!authoringTexts.has(key)) throw new Error(`no text ${key}`);
  return authoringTexts.text(lang, key, {
    name: r.name,
    detected: kind(r.detected),
    expected: kind(r.expected),
  });
}

/** Where `r` is used, in `lang` ("mục “Chào mừng”, Tiếng Việt; …"). */
export function refusalUses(lang: Lang, r: MediaFileRefusal): string {
  return r.uses
    .map((u) => {
      const langKey = `lang.${u.language}`;
      return authoringTexts.text(lang, 'media.use', {
        item: u.title ?? u.item,
        language: authoringTexts.has(langKey) ? authoringTexts.text(lang, langKey) : u.language,
      });
    })
    .join('; ');
}

/** One line for `r`: the file, where it is used, and why it was refused. */
export function refusalLine(lang: Lang, r: MediaFileRefusal): string {
  const reason = refusalReason(lang, r);
  return r.uses.length
    ? authoringTexts.text(lang, 'media.failedIn', { path: r.path, uses: refusalUses(lang, r), reason })
    : authoringTexts.text(lang, 'media.failed', { path: r.path, reason });
}
