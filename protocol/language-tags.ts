/**
 * Which language tags content and gates may use: well-formed BCP-47 in canonical form whose
 * two-letter language subtag is a registered ISO 639-1 code, and, for content, not a near miss of
 * one of the gate languages (a variant tagged `zh` or `kh` never plays at a gate showing `zh-Hans`
 * or `km`). Three-letter subtags (ISO 639-3, e.g. the ethnic-minority `tyz`, `hnj`, `jra`) are
 * checked for their form only: the registry of those is not shipped with Node.
 */

/** The languages the gates show, in the project's spelling. */
export const GATE_LANGUAGES = ['vi', 'km', 'lo', 'zh-Hans', 'en'] as const;

/** ISO 639-1 (the two-letter language subtags of the IANA registry, deprecated ones excluded). */
const ISO_639_1 = new Set(
  (
    'aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz ' +
    'ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ' +
    'ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi ' +
    'mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw ' +
    'sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ' +
    'ur uz ve vi vo wa wo xh yi yo za zh zu'
  ).split(' '),
);

/**
 * Country codes written where a language was meant, with the language. `la` is Latin in the
 * registry, but at these gates it is Laos' country code written for Lao.
 */
const COUNTRY_FOR_LANGUAGE: Readonly<Record<string, string>> = {
  kh: 'km',
  la: 'lo',
  cn: 'zh-Hans',
  vn: 'vi',
  jp: 'ja',
  gb: 'en',
  us: 'en',
};

function parts(tag: string): { language: string; script?: string } {
  const [language = '', second] = tag.split('-');
  return second && /^[A-Za-z]{4}$/.test(second) ? { language, script: second } : { language };
}

/**
 * Why `tag` is not a usable BCP-47 language tag (malformed, not canonical, or an unregistered
 * two-letter language), with the likely one when there is one; undefined when it is fine.
 */
export function languageTagProblem(tag: string): string | undefined {
  let canonical: string | undefined;
  try {
    canonical = Intl.getCanonicalLocales(tag)[0];
  } catch {
    canonical = undefined;
  }
  const meant = COUNTRY_FOR_LANGUAGE[tag.toLowerCase()];
  const hint = meant ? `; did you mean "${meant}"?` : '';
  if (!canonical) return `"${tag}" is not a BCP-47 language tag${hint}`;
  const { language } = parts(canonical);
  if (language.length === 2 && !ISO_639_1.has(language))
    return `"${tag}" is not a registered language${hint || (canonical !== tag ? `; did you mean "${canonical}"?` : '')}`;
  if (canonical !== tag) return `language tag "${tag}" must be written "${canonical}"`;
  return undefined;
}

/**
 * `languageTagProblem`, and for content also the near misses of a gate language: `la` (Latin,
 * meant as Lao), and a tag with a gate language's language subtag but not its exact form (`zh`,
 * `zh-CN` or `zh-Hans-CN` for `zh-Hans`; `vi-VN` for `vi`), which the gate would never show. A
 * different script (`zh-Hant`) is another language and is kept.
 */
export function contentLanguageProblem(tag: string): string | undefined {
  const base = languageTagProblem(tag);
  if (base) return base;
  if ((GATE_LANGUAGES as readonly string[]).includes(tag)) return undefined;
  const meant = COUNTRY_FOR_LANGUAGE[tag];
  if (meant) return `"${tag}" is Latin, not a gate language; did you mean "${meant}"?`;
  const t = parts(tag);
  for (const gate of GATE_LANGUAGES) {
    const g = parts(gate);
    if (g.language === t.language && (!t.script || t.script === g.script))
      return `"${tag}" is not one of the gate languages (${GATE_LANGUAGES.join(', ')}); did you mean "${gate}"?`;
  }
  return undefined;
}
