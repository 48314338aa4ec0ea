// @ts-check
/**
 * The emergency page's template picker: fills the emergency form, for the site group chosen in it,
 * with a template's words in every language that site group's gates show and its default duration
 * (GET /api/emergency-templates/:id/prefill). Nothing is sent for approval here: the author checks
 * the form and submits it as any emergency. A template lacking a language of the gate fills nothing
 * and the refusal names the language.
 */
import { api, byId, embedded, fill } from '../../dashboard/browser/client.js';

/** @typedef {import('../../dashboard/browser/client.js').Reply} Reply */

/** @type {Record<string, string>} */
const M = embedded('template-picker-msgs');

/**
 * @param {string} k
 * @param {Record<string, unknown>} [p]
 */
function T(k, p) {
  return fill(M[k] || k, p || {});
}

/** @param {Reply} r */
function errorText(r) {
  const e = r.json && r.json.error;
  if (!e) return 'HTTP ' + r.status;
  if (e.code === 'TEMPLATE_LANGUAGE_MISSING') {
    const langs = (e.problems || []).map((/** @type {{ path: unknown }} */ p) =>
      String(p.path).replace(/^text[.]/, ''),
    );
    return T('err.TEMPLATE_LANGUAGE_MISSING', { languages: langs.join(', ') });
  }
  return M['err.' + e.code] ? T('err.' + e.code) : e.message;
}

const out = byId('em-template-result');
/**
 * @param {string} text
 * @param {string} state
 */
function say(text, state) {
  out.textContent = text;
  out.setAttribute('data-state', state);
}

const pick = /** @type {HTMLSelectElement} */ (byId('em-template'));
const button = /** @type {HTMLButtonElement} */ (byId('em-template-fill'));
button.addEventListener('click', () => {
  if (!pick.value) return say(T('picker.pick'), 'failed');
  const siteGroup = /** @type {HTMLSelectElement} */ (byId('em-site-group')).value;
  button.disabled = true;
  api(
    'GET',
    '/api/emergency-templates/' +
      encodeURIComponent(pick.value) +
      '/prefill?siteGroup=' +
      encodeURIComponent(siteGroup),
  )
    .then((r) => {
      if (!r.ok) return say(T('picker.failed', { message: errorText(r) }), 'failed');
      /** @type {{ name: string, languages: string[], text: Record<string, { title?: string, body: string }>, durationMinutes: number }} */
      const p = r.json;
      const box = document.querySelector('.em-langs[data-site-group="' + CSS.escape(siteGroup) + '"]');
      if (!box) return say(T('picker.failed', { message: siteGroup }), 'failed');
      for (const lang of p.languages) {
        const fs = box.querySelector('fieldset[data-lang="' + CSS.escape(lang) + '"]');
        if (!fs) continue;
        const words = p.text[lang];
        /** @type {HTMLInputElement} */ (fs.querySelector('input[name="title"]')).value = words.title || '';
        /** @type {HTMLTextAreaElement} */ (fs.querySelector('textarea[name="body"]')).value = words.body;
      }
      /** @type {HTMLInputElement} */ (byId('em-duration')).value = String(p.durationMinutes);
      say(T('picker.filled', { name: p.name }), 'filled');
    })
    .finally(() => {
      button.disabled = false;
    });
});
