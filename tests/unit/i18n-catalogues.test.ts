import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  type Catalogue,
  catalogueProblems,
  defineCatalogue,
  formatMessage,
  isCatalogue,
  LANGS,
  messageProblems,
  placeholders,
} from '../../protocol/i18n/catalogue.js';
import { fill } from '../../sync-server/dashboard/browser/client.js';
import { sourceFiles } from '../helpers/import-graph.js';

const root = join(import.meta.dirname, '..', '..');

/** Every catalogue the source tree defines: each module that calls defineCatalogue, each catalogue it exports. */
async function everyCatalogue(): Promise<{ name: string; catalogue: Catalogue<string> }[]> {
  const found: { name: string; catalogue: Catalogue<string> }[] = [];
  for (const dir of ['protocol', 'sync-server', 'provisioning', 'cli', 'device', 'player']) {
    for (const file of sourceFiles(join(root, dir))) {
      if (!file.endsWith('.ts') || file.endsWith('catalogue.ts')) continue;
      if (!/defineCatalogue(<[^>]*>)?\(/.test(readFileSync(file, 'utf8'))) continue;
      const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
      const exported = Object.entries(mod).filter(([, v]) => isCatalogue(v));
      expect(exported.length, `${relative(root, file)} defines a catalogue but exports none`).toBeGreaterThan(
        0,
      );
      for (const [name, c] of exported)
        found.push({ name: `${relative(root, file)}:${name}`, catalogue: c as Catalogue<string> });
    }
  }
  return found;
}

/** A value for each name a message uses: numbers, so plurals are exercised too. */
function sampleParams(template: string, n: number): Record<string, number> {
  return Object.fromEntries(placeholders(template).map((p) => [p, n]));
}

describe('every message catalogue', () => {
  it('is found in the source tree (feature texts, the shell, the technician messages)', async () => {
    const names = (await everyCatalogue()).map((c) => c.name);
    for (const home of [
      'protocol/i18n/index.ts',
      'sync-server/dashboard/texts.ts',
      'sync-server/fleet/texts.ts',
      'sync-server/alerts/texts.ts',
      'sync-server/accounts/texts.ts',
      'sync-server/content/texts.ts',
      'sync-server/reports/texts.ts',
    ])
      expect(
        names.some((n) => n.startsWith(`${home}:`)),
        home,
      ).toBe(true);
  });

  it('has the same keys and placeholders in Vietnamese and English, each message non-empty and well formed', async () => {
    const problems = (await everyCatalogue()).flatMap(({ name, catalogue }) =>
      catalogueProblems(catalogue).map((p) => `${name}: ${p}`),
    );
    expect(problems).toEqual([]);
  });

  it('is filled the same by the server and by the dashboard scripts (client.js fill)', async () => {
    const differ: string[] = [];
    for (const { name, catalogue } of await everyCatalogue())
      for (const lang of LANGS)
        for (const key of catalogue.keys)
          for (const n of [0, 1, 2, 21]) {
            const template = catalogue.messages(lang)[key]!;
            const params = sampleParams(template, n);
            const server = catalogue.text(lang, key, params);
            const browser = fill(template, params, lang);
            if (server !== browser) differ.push(`${name} ${lang} ${key} (${n}): ${server} ≠ ${browser}`);
          }
    expect(differ).toEqual([]);
  });
});

describe('catalogue checks', () => {
  it('name a placeholder that differs between the languages, and a plural without "other"', () => {
    const c = defineCatalogue({
      vi: { a: '{count} màn hình', b: '{n, plural, one {# tệp}}', c: 'x' },
      en: { a: '{total} screens', b: '{n} files', c: 'x' },
    });
    expect(catalogueProblems(c)).toEqual([
      'a: placeholders differ (vi: count; en: total)',
      'b (vi): plural {n} needs branches like one {…} other {…}',
    ]);
    expect(messageProblems('{a')).toEqual(['unbalanced braces']);
    expect(messageProblems('{not a placeholder}')).toEqual([
      '"{not a placeholder}" is neither a placeholder nor a plural',
    ]);
  });
});

describe('messages with counts', () => {
  const screens = defineCatalogue({
    vi: { n: '{count} màn hình', errors: '{count} lỗi phát trong {minutes} phút' },
    en: {
      n: '{count, plural, one {# screen} other {# screens}}',
      errors:
        '{count, plural, one {# playback error} other {# playback errors}} in {minutes, plural, one {# minute} other {# minutes}}',
    },
  });

  it('say "1 screen" and "2 screens" in English, and one form in Vietnamese', () => {
    expect(screens.text('en', 'n', { count: 1 })).toBe('1 screen');
    expect(screens.text('en', 'n', { count: 2 })).toBe('2 screens');
    expect(screens.text('en', 'n', { count: 0 })).toBe('0 screens');
    expect(screens.text('vi', 'n', { count: 1 })).toBe('1 màn hình');
    expect(screens.text('vi', 'n', { count: 2 })).toBe('2 màn hình');
  });

  it('resolve two counts in one message, each by its own number', () => {
    expect(screens.text('en', 'errors', { count: 1, minutes: 10 })).toBe('1 playback error in 10 minutes');
    expect(screens.text('en', 'errors', { count: 3, minutes: 1 })).toBe('3 playback errors in 1 minute');
    expect(screens.text('vi', 'errors', { count: 3, minutes: 1 })).toBe('3 lỗi phát trong 1 phút');
  });

  it('keep a number given as text, pick an exact branch first, and leave unknown placeholders visible', () => {
    expect(formatMessage('{n, plural, =0 {no files} one {# file} other {# files}}', { n: 0 }, 'en')).toBe(
      'no files',
    );
    expect(formatMessage('{n, plural, one {# file} other {# files}}', { n: '1' }, 'en')).toBe('1 file');
    expect(formatMessage('{n, plural, one {# file} other {# files}} by {who}', {}, 'en')).toBe(
      '{n, plural, one {# file} other {# files}} by {who}',
    );
    expect(screens.text('en', 'errors', { count: 2 })).toBe(
      '2 playback errors in {minutes, plural, one {# minute} other {# minutes}}',
    );
  });

  it('are filled the same way by the dashboard scripts, with the page language', () => {
    const en = screens.messages('en');
    expect(fill(en.n, { count: 1 }, 'en')).toBe('1 screen');
    expect(fill(en.errors, { count: 1, minutes: 2 }, 'en')).toBe('1 playback error in 2 minutes');
    expect(fill(screens.messages('vi').n, { count: 1 }, 'vi')).toBe('1 màn hình');
    expect(fill('{a} and {b}', { a: 1 })).toBe('1 and {b}');
  });
});
