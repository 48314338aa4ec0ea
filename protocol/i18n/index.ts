import { en, type MessageKey } from './en.js';
import { vi } from './vi.js';

export type { MessageKey } from './en.js';
export type UiLang = 'vi' | 'en';
export const UI_LANGS: readonly UiLang[] = ['vi', 'en'];

const catalogues: Record<UiLang, Record<MessageKey, string>> = { en, vi };

/** The message for `key` in `lang`, with `{name}` replaced from `params`; unknown placeholders stay visible. */
export function t(lang: UiLang, key: MessageKey, params: Record<string, string | number> = {}): string {
  return catalogues[lang][key].replace(/\{(\w+)\}/g, (m, name: string) =>
    name in params ? String(params[name]) : m,
  );
}

/** Placeholder names used by a message, for the catalogue consistency test. */
export function placeholders(text: string): string[] {
  return [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).sort();
}

export function catalogue(lang: UiLang): Readonly<Record<MessageKey, string>> {
  return catalogues[lang];
}

/**
 * The language to speak: --lang if given, else the POSIX locale order (LC_ALL, LC_MESSAGES, LANG),
 * Vietnamese when the locale is vi_*, English otherwise (technicians read Vietnamese, but an
 * unconfigured Pi says en_GB and its console may lack Vietnamese glyphs).
 */
export function pickUiLang(flag: string | undefined, env: Record<string, string | undefined>): UiLang {
  const norm = (s: string | undefined): UiLang | undefined => {
    if (!s) return undefined;
    const l = s.toLowerCase();
    if (l.startsWith('vi')) return 'vi';
    if (l.startsWith('en') || l === 'c' || l.startsWith('c.') || l === 'posix') return 'en';
    return undefined;
  };
  const fromFlag = norm(flag);
  if (fromFlag) return fromFlag;
  for (const v of [env['LC_ALL'], env['LC_MESSAGES'], env['LANG']]) {
    if (!v) continue;
    return norm(v) ?? 'en';
  }
  return 'en';
}
