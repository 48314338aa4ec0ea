/**
 * Emergency templates: ready-made emergency messages ops authors keep (“Tạm dừng thông quan”,
 * “Đóng cửa khẩu sớm”, weather), with their words in each gate language and a default duration.
 * A template is not content: nothing here reaches a bundle. `prefill` turns one into what the
 * emergency form needs for one site group, refusing by name each language that site group's gates
 * show and the template lacks; the emergency itself is then made by the emergency form
 * (ApprovalService.createEmergency) and goes through the normal two-signature approval.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../../protocol/clock.js';
import type { GateConfig } from '../../protocol/config.js';
import { coded, type Problem, ProblemsError } from '../../protocol/errors.js';
import { contentLanguageProblem } from '../../protocol/language-tags.js';
import type { Logger } from '../../platform/log.js';
import { EmergencyDurationMinutes, EmergencyText, NoGateError } from '../content/approval-service.js';
import type { TemplateRow, TemplateStore, TemplateText } from './store.js';

export const TEMPLATE_NAME_MAX_CHARS = 120;
export const MAX_TEMPLATES = 200;

/** The template as written is not usable; `problems` names each field and rule. */
export class TemplateInvalidError extends coded('TEMPLATE_INVALID', ProblemsError) {}
export class TemplateNotFoundError extends coded('TEMPLATE_NOT_FOUND') {}
export class TemplateNameTakenError extends coded('TEMPLATE_NAME_TAKEN') {}
/** The template has no words in a language the site group's gates show (each in `problems`). */
export class TemplateLanguageError extends coded('TEMPLATE_LANGUAGE_MISSING', ProblemsError) {}

/** What an author writes: the emergency form's fields (words per language, duration) and a name. */
export const TemplateInput = z.object({
  name: z.string().max(TEMPLATE_NAME_MAX_CHARS * 2),
  text: EmergencyText,
  durationMinutes: EmergencyDurationMinutes,
});
export type TemplateInput = z.input<typeof TemplateInput>;

/** A template as the API and the pages show it. */
export interface EmergencyTemplate {
  id: string;
  name: string;
  /** Per language tag. */
  text: Record<string, TemplateText>;
  durationMinutes: number;
  createdAt: string;
  createdBy: string;
  updatedAt: string;
  updatedBy: string;
}

/** What the emergency form is filled with: the template's words in the site group's languages. */
export interface TemplatePrefill {
  templateId: string;
  name: string;
  siteGroup: string;
  /** Every language the site group's gates show, in their order. */
  languages: string[];
  text: Record<string, TemplateText>;
  durationMinutes: number;
}

export interface TemplateActor {
  username: string;
}

export interface TemplateServiceOptions {
  store: TemplateStore;
  gates: { list(): GateConfig[] };
  clock: Clock;
  log: Logger;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
const nameKeyOf = (name: string) => name.normalize('NFC').trim().toLowerCase();
const clean = (s: string) => s.normalize('NFC').trim();

export class TemplateService {
  readonly #o: TemplateServiceOptions;

  constructor(opts: TemplateServiceOptions) {
    this.#o = opts;
  }

  list(): EmergencyTemplate[] {
    return this.#o.store.list().map(view);
  }

  get(id: string): EmergencyTemplate {
    return view(this.#row(id));
  }

  create(input: TemplateInput, by: TemplateActor): EmergencyTemplate {
    const t = this.#normalise(input);
    const store = this.#o.store;
    if (store.list().length >= MAX_TEMPLATES)
      throw new TemplateInvalidError(`at most ${MAX_TEMPLATES} templates; delete one first`, [
        { path: '', message: `at most ${MAX_TEMPLATES} templates` },
      ]);
    this.#nameFree(t.nameKey, t.name);
    const now = this.#o.clock.now();
    const row: TemplateRow = {
      id: `tpl-${randomBytes(6).toString('hex')}`,
      ...t,
      createdAtMs: now,
      createdBy: by.username,
      updatedAtMs: now,
      updatedBy: by.username,
    };
    store.insert(row);
    this.#o.log.info('emergency template created', { id: row.id, by: by.username });
    return view(row);
  }

  update(id: string, input: TemplateInput, by: TemplateActor): EmergencyTemplate {
    const t = this.#normalise(input);
    const old = this.#row(id);
    this.#nameFree(t.nameKey, t.name, id);
    const row: TemplateRow = { ...old, ...t, updatedAtMs: this.#o.clock.now(), updatedBy: by.username };
    if (!this.#o.store.update(row)) throw new TemplateNotFoundError(`no emergency template "${id}"`);
    this.#o.log.info('emergency template updated', { id, by: by.username });
    return view(row);
  }

  remove(id: string, by: TemplateActor): EmergencyTemplate {
    const old = this.#row(id);
    if (!this.#o.store.remove(id)) throw new TemplateNotFoundError(`no emergency template "${id}"`);
    this.#o.log.info('emergency template deleted', { id, by: by.username });
    return view(old);
  }

  /**
   * The emergency form's contents for `siteGroup` from template `id`: its words in each language the
   * site group's gates show. A language the template lacks is refused by name; nothing is created.
   */
  prefill(id: string, siteGroup: string): TemplatePrefill {
    const t = this.#row(id);
    const gates = this.#o.gates.list().filter((g) => g.siteGroup === siteGroup);
    if (!gates.length)
      throw new NoGateError(`no gate is registered for site group "${siteGroup}"; its languages are unknown`);
    const languages = [...new Set(gates.flatMap((g) => g.languages))];
    const missing = languages.filter((l) => !t.text[l]);
    if (missing.length)
      throw new TemplateLanguageError(
        `template "${t.name}" has no text in ${missing.join(', ')}, which the gate of "${siteGroup}" shows`,
        missing.map((l) => ({
          path: `text.${l}`,
          message: `no text in "${l}", a language of gate ${gates.find((g) => g.languages.includes(l))!.name}`,
        })),
      );
    const text: Record<string, TemplateText> = {};
    for (const l of languages) text[l] = t.text[l]!;
    return {
      templateId: t.id,
      name: t.name,
      siteGroup,
      languages,
      text,
      durationMinutes: t.durationMinutes,
    };
  }

  #row(id: string): TemplateRow {
    const r = this.#o.store.get(id);
    if (!r) throw new TemplateNotFoundError(`no emergency template "${id}"`);
    return r;
  }

  #nameFree(nameKey: string, name: string, except?: string): void {
    const other = this.#o.store.byName(nameKey);
    if (other && other.id !== except)
      throw new TemplateNameTakenError(`an emergency template named "${name}" exists already (${other.id})`);
  }

  /** The template as stored: words trimmed (NFC), languages checked, every problem named at once. */
  #normalise(
    input: TemplateInput,
  ): Omit<TemplateRow, 'id' | 'createdAtMs' | 'createdBy' | 'updatedAtMs' | 'updatedBy'> {
    const parsed = TemplateInput.safeParse(input);
    if (!parsed.success)
      throw new TemplateInvalidError(
        'emergency template is not valid',
        parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      );
    const req = parsed.data;
    const problems: Problem[] = [];
    const name = clean(req.name);
    if (!name) problems.push({ path: 'name', message: 'a template needs a name' });
    else if (name.length > TEMPLATE_NAME_MAX_CHARS)
      problems.push({ path: 'name', message: `at most ${TEMPLATE_NAME_MAX_CHARS} characters` });
    const text: Record<string, TemplateText> = {};
    for (const [lang, t] of Object.entries(req.text)) {
      const title = clean(t.title ?? '');
      const body = clean(t.body);
      if (!title && !body) continue; // a language left empty in the form: not part of the template
      const why = contentLanguageProblem(lang);
      if (why) problems.push({ path: `text.${lang}`, message: why });
      else if (!body)
        problems.push({ path: `text.${lang}.body`, message: `a title in "${lang}" needs a text` });
      else text[lang] = title ? { title, body } : { body };
    }
    if (!Object.keys(text).length && !problems.some((p) => p.path.startsWith('text.')))
      problems.push({ path: 'text', message: 'a template needs its text in at least one language' });
    if (problems.length)
      throw new TemplateInvalidError(
        `emergency template is not valid: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
        problems,
      );
    return {
      name,
      nameKey: nameKeyOf(name),
      text,
      durationMinutes: req.durationMinutes,
    };
  }
}

function view(r: TemplateRow): EmergencyTemplate {
  return {
    id: r.id,
    name: r.name,
    text: r.text,
    durationMinutes: r.durationMinutes,
    createdAt: iso(r.createdAtMs),
    createdBy: r.createdBy,
    updatedAt: iso(r.updatedAtMs),
    updatedBy: r.updatedBy,
  };
}
