/**
 * The one way gatecast puts words in front of a person: a catalogue per feature, Vietnamese and
 * English, with the same keys and the same placeholders in both (tests/unit/i18n-catalogues.test.ts
 * checks every catalogue in the source tree).
 *
 * Message syntax, a small part of ICU MessageFormat:
 * - `{name}` is replaced by `params.name`; a name missing from `params` stays visible as written.
 * - `{name, plural, one {# screen} other {# screens}}` picks a branch by Intl.PluralRules for the
 *   language (`=0`-style exact branches first, then zero/one/two/few/many, then `other`, which each
 *   plural must have); `#` in the branch is the value. Vietnamese has no plural forms, so its
 *   messages simply say `{count} màn hình`.
 *
 * The dashboard's scripts fill the same syntax with `fill` in sync-server/dashboard/browser/client.js.
 */

export type Lang = 'vi' | 'en';
export const LANGS: readonly Lang[] = ['vi', 'en'];

/** Values for a message's placeholders; a plural picks its branch by the number (a string is read as one). */
export type Params = Readonly<Record<string, string | number>>;

export interface Catalogue<K extends string> {
  readonly keys: readonly K[];
  /** The message for `key` in `lang`, placeholders and plurals resolved. */
  text(lang: Lang, key: K, params?: Params): string;
  /** Whether `key` is one of this catalogue's keys (for keys built from data, e.g. an error code). */
  has(key: string): key is K;
  /** The messages as written (unresolved), for a page whose script fills them with client.js `fill`. */
  messages(lang: Lang): Readonly<Record<K, string>>;
}

const CATALOGUE = Symbol('gatecast.catalogue');

/**
 * A catalogue from its Vietnamese and English messages. The keys are Vietnamese's; English must
 * have exactly the same ones (the type says so, the generic test checks placeholders).
 */
export function defineCatalogue<K extends string>(m: {
  vi: Record<K, string>;
  en: Record<NoInfer<K>, string>;
}): Catalogue<K> {
  const messages: Record<Lang, Readonly<Record<K, string>>> = {
    vi: Object.freeze({ ...m.vi }),
    en: Object.freeze({ ...m.en }),
  };
  const keys = Object.freeze(Object.keys(m.vi) as K[]);
  const known = new Set<string>(keys);
  return Object.freeze({
    [CATALOGUE]: true,
    keys,
    text: (lang: Lang, key: K, params: Params = {}) => formatMessage(messages[lang][key], params, lang),
    has: (key: string): key is K => known.has(key),
    messages: (lang: Lang) => messages[lang],
  });
}

export function isCatalogue(v: unknown): v is Catalogue<string> {
  return typeof v === 'object' && v !== null && CATALOGUE in v;
}

const pluralRules = new Map<string, Intl.PluralRules>();
function pluralCategory(lang: string, n: number): string {
  let r = pluralRules.get(lang);
  if (!r) pluralRules.set(lang, (r = new Intl.PluralRules(lang)));
  return r.select(n);
}

/** Index of the `}` closing the `{` at `open`, or -1. */
function closing(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    if (s[i] === '{') depth++;
    else if (s[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

const PLACEHOLDER = /^\s*(\w+)\s*$/;
const PLURAL = /^\s*(\w+)\s*,\s*plural\s*,/;
const BRANCH = /^\s*(=\d+|zero|one|two|few|many|other)\s*\{/;

/** The branches of a plural's body (`one {…} other {…}`), or undefined when it does not parse. */
function branches(body: string): Map<string, string> | undefined {
  const out = new Map<string, string>();
  let rest = body;
  while (rest.trim() !== '') {
    const m = BRANCH.exec(rest);
    if (!m) return undefined;
    const open = m[0].length - 1;
    const close = closing(rest, open);
    if (close < 0) return undefined;
    out.set(m[1]!, rest.slice(open + 1, close));
    rest = rest.slice(close + 1);
  }
  return out.has('other') ? out : undefined;
}

/** `#` outside nested braces becomes the value. */
function hashes(branch: string, value: string): string {
  let depth = 0;
  let out = '';
  for (const c of branch) {
    if (c === '{') depth++;
    else if (c === '}') depth--;
    out += c === '#' && depth === 0 ? value : c;
  }
  return out;
}

/** A message with its placeholders and plurals resolved for `lang`; what does not parse stays as written. */
export function formatMessage(template: string, params: Params, lang: Lang | string): string {
  let out = '';
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{', i);
    if (open < 0) break;
    const close = closing(template, open);
    if (close < 0) break;
    out += template.slice(i, open);
    const inner = template.slice(open + 1, close);
    const whole = template.slice(open, close + 1);
    const name = PLACEHOLDER.exec(inner)?.[1];
    const plural = PLURAL.exec(inner);
    if (name !== undefined) out += name in params ? String(params[name]) : whole;
    else if (plural && plural[1]! in params) {
      const value = params[plural[1]!]!;
      const forms = branches(inner.slice(plural[0].length));
      const n = Number(value);
      const branch = forms?.get(`=${n}`) ?? forms?.get(pluralCategory(lang, n)) ?? forms?.get('other');
      out += branch === undefined ? whole : formatMessage(hashes(branch, String(value)), params, lang);
    } else out += whole;
    i = close + 1;
  }
  return out + template.slice(i);
}

/** The names a message uses (placeholders, plural selectors and the placeholders in branches), sorted, once each. */
export function placeholders(template: string): string[] {
  const names = new Set<string>();
  const walk = (s: string) => {
    for (let i = s.indexOf('{'); i >= 0; i = s.indexOf('{', i + 1)) {
      const close = closing(s, i);
      if (close < 0) return;
      const inner = s.slice(i + 1, close);
      const name = PLACEHOLDER.exec(inner)?.[1];
      const plural = PLURAL.exec(inner);
      if (name !== undefined) names.add(name);
      else if (plural) {
        names.add(plural[1]!);
        for (const b of branches(inner.slice(plural[0].length))?.values() ?? []) walk(b);
      }
      i = close;
    }
  };
  walk(template);
  return [...names].sort();
}

/** What is wrong with one message as written: unbalanced braces, a plural without `other`, braces that are neither. */
export function messageProblems(template: string): string[] {
  const problems: string[] = [];
  let depth = 0;
  for (const c of template) {
    if (c === '{') depth++;
    else if (c === '}' && --depth < 0) break;
  }
  if (depth !== 0) return ['unbalanced braces'];
  const walk = (s: string) => {
    for (let i = s.indexOf('{'); i >= 0; i = s.indexOf('{', i + 1)) {
      const close = closing(s, i);
      const inner = s.slice(i + 1, close);
      const plural = PLURAL.exec(inner);
      if (PLACEHOLDER.test(inner)) {
        // a placeholder
      } else if (plural) {
        const forms = branches(inner.slice(plural[0].length));
        if (!forms) problems.push(`plural {${plural[1]}} needs branches like one {…} other {…}`);
        else for (const b of forms.values()) walk(b);
      } else problems.push(`"{${inner}}" is neither a placeholder nor a plural`);
      i = close;
    }
  };
  walk(template);
  return problems;
}

/**
 * What is wrong with a catalogue: a key missing in one language, an empty message, a message that
 * does not parse, or placeholders that differ between the languages.
 */
export function catalogueProblems(c: Catalogue<string>): string[] {
  const problems: string[] = [];
  const vi = c.messages('vi');
  const en = c.messages('en');
  const all = new Set([...Object.keys(vi), ...Object.keys(en)]);
  for (const key of all) {
    const texts: Record<Lang, string | undefined> = { vi: vi[key], en: en[key] };
    for (const lang of LANGS) {
      const s = texts[lang];
      if (s === undefined) problems.push(`${key}: missing in ${lang}`);
      else if (s.trim() === '') problems.push(`${key}: empty in ${lang}`);
      else for (const p of messageProblems(s)) problems.push(`${key} (${lang}): ${p}`);
    }
    if (texts.vi !== undefined && texts.en !== undefined) {
      const a = placeholders(texts.vi).join(', ');
      const b = placeholders(texts.en).join(', ');
      if (a !== b) problems.push(`${key}: placeholders differ (vi: ${a || 'none'}; en: ${b || 'none'})`);
    }
  }
  return problems;
}
