// @ts-check
/**
 * The Templates page (/dashboard/templates): writes a new emergency template or edits one (the
 * form, filled from the page's data by Edit), and deletes one after the author confirms it by name.
 * A template never goes on air: it only fills the emergency form (emergency-from-template.js).
 */
import { api, byId, embedded, fill } from '../../dashboard/browser/client.js';

/** @typedef {import('../../dashboard/browser/client.js').Reply} Reply */
/** @typedef {{ id: string, name: string, text: Record<string, { title?: string, body: string }>, durationMinutes: number }} Template */

/** @type {Record<string, string>} */
const M = embedded('template-msgs');
/** @type {Template[]} */
const templates = embedded('template-data');

/**
 * @param {string} k
 * @param {Record<string, unknown>} [p]
 */
function T(k, p) {
  return fill(M[k] || k, p || {});
}

/**
 * A refusal in the catalogue's words (the server's message, which names every problem, otherwise).
 * @param {Reply} r
 */
function errorText(r) {
  const e = r.json && r.json.error;
  if (!e) return 'HTTP ' + r.status;
  return M['err.' + e.code] ? T('err.' + e.code) : e.message;
}

const result = byId('tpl-result');
/**
 * @param {string} text
 * @param {string} state
 */
function say(text, state) {
  result.textContent = text;
  result.setAttribute('data-state', state);
}

const form = /** @type {HTMLFormElement | null} */ (document.getElementById('template-form'));
if (form) {
  const idField = /** @type {HTMLInputElement} */ (byId('tpl-id'));
  const name = /** @type {HTMLInputElement} */ (byId('tpl-name'));
  const duration = /** @type {HTMLInputElement} */ (byId('tpl-duration'));
  const heading = byId('tpl-form-title');
  const cancel = /** @type {HTMLButtonElement} */ (byId('tpl-cancel'));
  /** @param {HTMLElement} fs @param {string} field */
  const input = (fs, field) => /** @type {HTMLInputElement} */ (fs.querySelector('[name="' + field + '"]'));
  const fieldsets = () => /** @type {HTMLElement[]} */ ([...form.querySelectorAll('fieldset[data-lang]')]);

  /** @param {Template | undefined} t the template to edit, or none for a new one */
  const load = (t) => {
    idField.value = t ? t.id : '';
    name.value = t ? t.name : '';
    duration.value = t ? String(t.durationMinutes) : duration.defaultValue;
    for (const fs of fieldsets()) {
      const words = t && t.text[/** @type {string} */ (fs.getAttribute('data-lang'))];
      input(fs, 'title').value = (words && words.title) || '';
      input(fs, 'body').value = (words && words.body) || '';
    }
    heading.textContent = t ? T('templates.editing', { name: t.name }) : heading.getAttribute('data-new');
    cancel.hidden = !t;
  };

  for (const b of /** @type {NodeListOf<HTMLButtonElement>} */ (document.querySelectorAll('button.tpl-edit')))
    b.addEventListener('click', () => {
      load(templates.find((t) => t.id === b.getAttribute('data-id')));
      name.focus();
    });
  cancel.addEventListener('click', () => load(undefined));

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    /** @type {Record<string, { title?: string, body: string }>} */
    const text = {};
    for (const fs of fieldsets()) {
      const title = input(fs, 'title').value.trim();
      const body = input(fs, 'body').value;
      if (title || body.trim())
        text[/** @type {string} */ (fs.getAttribute('data-lang'))] = title ? { title, body } : { body };
    }
    const id = idField.value;
    const save = /** @type {HTMLButtonElement} */ (byId('tpl-save'));
    save.disabled = true;
    say(T('templates.working'), 'working');
    api(id ? 'PUT' : 'POST', '/api/emergency-templates' + (id ? '/' + encodeURIComponent(id) : ''), {
      name: name.value,
      text,
      durationMinutes: Number(duration.value),
    })
      .then((r) => {
        if (!r.ok) return say(T('templates.failed', { message: errorText(r) }), 'failed');
        say(T('templates.saved', { name: r.json.name }), 'saved');
        // The list as the server now has it.
        location.reload();
      })
      .finally(() => {
        save.disabled = false;
      });
  });
}

for (const b of /** @type {NodeListOf<HTMLButtonElement>} */ (document.querySelectorAll('button.tpl-delete')))
  b.addEventListener('click', () => {
    const name = b.getAttribute('data-name') || '';
    if (!window.confirm(T('templates.confirmDelete', { name }))) return;
    b.disabled = true;
    api('DELETE', '/api/emergency-templates/' + encodeURIComponent(b.getAttribute('data-id') || '')).then(
      (r) => {
        if (!r.ok) {
          b.disabled = false;
          return say(T('templates.failed', { message: errorText(r) }), 'failed');
        }
        const row = b.closest('tr');
        if (row) row.remove();
        say(T('templates.deleted', { name }), 'deleted');
      },
    );
  });
