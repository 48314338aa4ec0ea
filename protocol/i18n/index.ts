import { defineCatalogue, type Lang, LANGS, type Params } from './catalogue.js';
import { en, type MessageKey } from './en.js';
import { vi } from './vi.js';

export type { MessageKey } from './en.js';
/** The language the technician's tools (provisioning, self-test, device CLI) speak. */
export type UiLang = Lang;
export const UI_LANGS: readonly UiLang[] = LANGS;

/** What the device, the CLI and provisioning tell a technician. */
export const technicianTexts = defineCatalogue<MessageKey>({ vi, en });

/** The message for `key` in `lang`, placeholders and plurals resolved; unknown placeholders stay visible. */
export function t(lang: UiLang, key: MessageKey, params: Params = {}): string {
  return technicianTexts.text(lang, key, params);
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
