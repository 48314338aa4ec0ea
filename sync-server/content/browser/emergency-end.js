// @ts-check
/**
 * The emergency page's early end (docs/drafts.md §7): End now asks for confirmation in a dialog
 * (only a real click confirms), posts the end, then follows which screens confirmed it until every
 * screen has answered; an emergency already ended shows the same from the page's load.
 */
import { api, byId, embedded, fill } from '../../dashboard/browser/client.js';

/** @type {Record<string, string>} */
const M = embedded('em-end-msgs');

/**
 * @param {string} k
 * @param {Record<string, unknown>} [p]
 */
function T(k, p) {
  return fill(M[k] || k, p || {});
}

/**
 * @param {string} question
 * @returns {Promise<boolean>}
 */
function confirmEnd(question) {
  const dialog = /** @type {HTMLDialogElement} */ (byId('em-end-confirm'));
  byId('em-end-confirm-text').textContent = question;
  return new Promise((resolve) => {
    /** @param {boolean} answer */
    const done = (answer) => {
      byId('em-end-confirm-ok').removeEventListener('click', ok);
      byId('em-end-confirm-cancel').removeEventListener('click', cancel);
      dialog.removeEventListener('cancel', cancel);
      if (dialog.open) dialog.close();
      resolve(answer);
    };
    /** @param {Event} ev */
    const ok = (ev) => {
      if (ev.isTrusted) done(true);
    };
    const cancel = () => done(false);
    byId('em-end-confirm-ok').addEventListener('click', ok);
    byId('em-end-confirm-cancel').addEventListener('click', cancel);
    dialog.addEventListener('cancel', cancel); // Escape
    dialog.showModal();
  });
}

/**
 * @typedef {{ screenName: string, deviceId: string, online: boolean, state: string, message: string | null }} ScreenEnd
 * @typedef {{ endedBy: string, endedAt: string, screens: ScreenEnd[], confirmed: number, waiting: number, refused: number }} EndStatus
 */

/**
 * Writes an end's status into `box`.
 * @param {HTMLElement} box
 * @param {EndStatus} s
 */
function show(box, s) {
  box.replaceChildren();
  /** @param {string} text @param {string} [cls] */
  const line = (text, cls) => {
    const p = document.createElement('p');
    p.textContent = text;
    if (cls) p.className = cls;
    box.append(p);
  };
  line(T('end.ended', { by: s.endedBy, at: s.endedAt }));
  const total = s.screens.length;
  if (!total) return line(T('end.noScreens'));
  line(T('end.screens', { confirmed: s.confirmed, total }), 'em-end-count');
  const name = (/** @type {ScreenEnd} */ x) => x.screenName + (x.online ? '' : ' (' + T('end.offline') + ')');
  const waiting = s.screens.filter((x) => x.state === 'waiting').map(name);
  const refused = s.screens
    .filter((x) => x.state === 'refused')
    .map((x) => x.screenName + (x.message ? ': ' + x.message : ''));
  if (waiting.length) line(T('end.waiting', { names: waiting.join(', ') }), 'em-end-waiting');
  if (refused.length) line(T('end.refused', { names: refused.join('; ') }), 'error');
  if (!waiting.length && !refused.length && s.confirmed === total) line(T('end.allConfirmed'), 'em-end-done');
  box.dataset['confirmed'] = String(s.confirmed);
  box.dataset['waiting'] = String(s.waiting);
}

/**
 * Follows the end of one emergency until no screen is waiting (every 2 s).
 * @param {HTMLElement} box
 */
function follow(box) {
  const q =
    '?siteGroup=' +
    encodeURIComponent(box.dataset['siteGroup'] || '') +
    '&id=' +
    encodeURIComponent(box.dataset['id'] || '');
  api('GET', '/api/content/emergencies/end-status' + q).then((r) => {
    if (!r.ok) return;
    show(box, r.json);
    if (r.json.waiting > 0) setTimeout(() => follow(box), 2000);
  });
}

/**
 * The status box of one emergency's row.
 * @param {HTMLElement} b
 */
function boxOf(b) {
  const row = /** @type {HTMLElement} */ (b.closest('td'));
  return /** @type {HTMLElement} */ (row.querySelector('.em-end-status'));
}

for (const b of /** @type {NodeListOf<HTMLButtonElement>} */ (document.querySelectorAll('button.em-end-now')))
  b.addEventListener('click', async () => {
    if (!(await confirmEnd(b.dataset['confirm'] || ''))) return;
    const box = boxOf(b);
    b.disabled = true;
    box.textContent = T('end.working');
    const r = await api('POST', '/api/content/emergencies/end-early', {
      siteGroup: b.dataset['siteGroup'],
      id: b.dataset['id'],
    });
    if (!r.ok) {
      b.disabled = false;
      box.textContent = T('end.failed', {
        message: (r.json && r.json.error && r.json.error.message) || String(r.status),
      });
      return;
    }
    b.remove();
    show(box, r.json);
    if (r.json.waiting > 0) setTimeout(() => follow(box), 2000);
  });

// Emergencies ended before the page loaded: their screens' answers.
for (const box of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll('.em-end-status')))
  if (box.textContent && box.textContent.trim()) follow(box);
