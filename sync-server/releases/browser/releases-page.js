// @ts-check
/**
 * The releases page (/dashboard/releases): pause, resume, abort and advance the rollout under way (a
 * button with `data-confirm` asks that question in the page's dialog first; nothing is sent unless
 * confirmed), and live updates: on each 'changed' event of the stream, the server's fresh rendering of
 * `#releases-live` replaces the one shown (parsed as a document, never as innerHTML of the page).
 */
import { api, byId, embedded, errorMessage, events } from '../../dashboard/browser/client.js';

/** @type {Record<string, string>} */
const M = embedded('gc-msgs');
const error = byId('releases-error');
const liveState = byId('releases-live-state');
/** How many fresh renderings the page has applied (the tests wait on it). */
let applied = 0;

/**
 * Resolves true when the person confirms `question` in the page's dialog (Escape or Cancel: false).
 * @param {string} question
 * @returns {Promise<boolean>}
 */
function ask(question) {
  const dialog = /** @type {HTMLDialogElement} */ (byId('releases-confirm'));
  byId('releases-confirm-text').textContent = question;
  return new Promise((resolve) => {
    const controller = new AbortController();
    /** @param {boolean} yes */
    const answer = (yes) => () => {
      controller.abort();
      if (dialog.open) dialog.close();
      resolve(yes);
    };
    const opts = { signal: controller.signal };
    byId('releases-confirm-ok').addEventListener('click', answer(true), opts);
    byId('releases-confirm-cancel').addEventListener('click', answer(false), opts);
    dialog.addEventListener('cancel', answer(false), opts);
    dialog.showModal();
  });
}

/** Fetches the live part anew and puts it in place of the one shown. */
async function refresh() {
  const res = await fetch('/dashboard/releases/live', { credentials: 'same-origin' });
  if (!res.ok) return;
  const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
  const fresh = doc.getElementById('releases-live');
  if (!fresh) return;
  byId('releases-live').replaceWith(document.importNode(fresh, true));
  applied++;
  document.body.setAttribute('data-applied', String(applied));
}

// One listener for the live part, whatever rendering of it is in place.
byId('releases').addEventListener('click', async (e) => {
  const b = /** @type {HTMLElement} */ (e.target).closest('button[data-act]');
  const section = b && b.closest('#rollout');
  if (!(b instanceof HTMLButtonElement) || !section) return;
  const question = b.getAttribute('data-confirm');
  if (question && !(await ask(question))) return;
  const id = section.getAttribute('data-id') || '';
  const act = b.getAttribute('data-act') || '';
  b.disabled = true;
  error.textContent = '';
  const r = await api('POST', '/api/dashboard/releases/rollouts/' + encodeURIComponent(id) + '/' + act, {});
  b.disabled = false;
  if (!r.ok) error.textContent = errorMessage(r, String(r.status));
  await refresh();
});

const es = events('/dashboard/releases/events');
es.addEventListener('open', () => {
  liveState.textContent = M['releases.live'] ?? '';
  liveState.setAttribute('data-live', 'open');
});
es.addEventListener('changed', () => {
  void refresh();
});
es.addEventListener('error', () => {
  liveState.textContent = M['releases.liveLost'] ?? '';
  liveState.setAttribute('data-live', 'lost');
});
