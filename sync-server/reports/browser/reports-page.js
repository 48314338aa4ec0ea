// @ts-check
/**
 * The reports page's re-audit (/dashboard/reports): starts a re-audit of the stored proof of play
 * (POST /api/reports/reaudit), follows it while it runs (GET, once a second: progress bar, words
 * with the time left), cancels it (POST /api/reports/reaudit/cancel) and shows the last result. The
 * words come from the server in the page's language; this script only places them.
 */
import { api, byId, errorMessage } from '../../dashboard/browser/client.js';

/**
 * The server's answer (reports/routes.ts reauditJson and reaudit-words.ts).
 * @typedef {{ status: string, percent: number }} ReauditState
 * @typedef {{ status: string | null, last: string }} ReauditWords
 * @typedef {{ reaudit: ReauditState | null, words: ReauditWords }} ReauditAnswer
 */

/** How often a running re-audit is asked after. */
const POLL_MS = 1000;

const section = byId('reaudit');
const bar = /** @type {HTMLProgressElement} */ (byId('reaudit-progress'));
const status = byId('reaudit-status');
const last = byId('reaudit-last');
const err = byId('reaudit-error');
const start = /** @type {HTMLButtonElement | null} */ (document.getElementById('reaudit-start'));
const cancel = /** @type {HTMLButtonElement | null} */ (document.getElementById('reaudit-cancel'));
/** @type {ReturnType<typeof setTimeout> | undefined} */
let timer;

/** @param {ReauditAnswer} a */
function render(a) {
  const running = a.reaudit?.status === 'running';
  section.setAttribute('data-running', running ? 'yes' : 'no');
  section.setAttribute('data-status', a.reaudit?.status ?? '');
  bar.hidden = !running;
  bar.value = a.reaudit?.percent ?? 0;
  status.textContent = a.words.status ?? '';
  last.textContent = a.words.last;
  if (start) start.disabled = running;
  if (cancel) {
    cancel.hidden = !running;
    cancel.disabled = false;
  }
  clearTimeout(timer);
  if (running) timer = setTimeout(poll, POLL_MS);
}

function poll() {
  api('GET', '/api/reports/reaudit').then((r) => {
    if (r.ok && r.json) {
      err.textContent = '';
      render(r.json);
    } else {
      err.textContent = errorMessage(r);
      timer = setTimeout(poll, POLL_MS);
    }
  });
}

/**
 * Sends a start or a cancel and shows what the server answered (or why it refused).
 * @param {HTMLButtonElement} button
 * @param {string} url
 * @param {unknown} [body]
 */
function send(button, url, body) {
  button.disabled = true;
  err.textContent = '';
  api('POST', url, body).then((r) => {
    if (r.ok && r.json) render(r.json);
    else {
      err.textContent = errorMessage(r);
      button.disabled = false;
      poll();
    }
  });
}

start?.addEventListener('click', () => send(start, '/api/reports/reaudit', {}));
cancel?.addEventListener('click', () => send(cancel, '/api/reports/reaudit/cancel'));
if (section.getAttribute('data-running') === 'yes') timer = setTimeout(poll, POLL_MS);
