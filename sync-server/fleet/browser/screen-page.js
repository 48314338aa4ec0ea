// @ts-check
/**
 * One screen's page (/dashboard/screen/:id): sends a command (POST with the CSRF header), follows
 * its result from the live stream (event `command`) and by polling (a result that came before the
 * stream was open), shows the screenshot a command brought back, and keeps the state badge live
 * (event `rows`).
 */
import { api, byId, embedded, errorMessage, events, timeFormat } from '../../dashboard/browser/client.js';

/**
 * A command as the server returns it.
 * @typedef {{ id: string, name: string, state: string, issuedAtMs: number, message?: string | null,
 *   hasScreenshot?: boolean }} Command
 */

/** @type {Record<string, string>} */
const M = embedded('gc-msgs');
const main = /** @type {HTMLElement} */ (document.querySelector('main[data-device]'));
const id = main.getAttribute('data-device') || '';
const tz = main.getAttribute('data-tz') || undefined;
const f = timeFormat(M['locale'], tz);
const tbody = byId('commands');

/** @param {Command} c */
function showCommand(c) {
  let tr = tbody.querySelector('tr[data-cmd="' + CSS.escape(c.id) + '"]');
  if (!tr) {
    tr = document.createElement('tr');
    tr.setAttribute('data-cmd', c.id);
    for (let i = 0; i < 3; i++) tr.appendChild(document.createElement('td'));
    tbody.insertBefore(tr, tbody.firstChild);
  }
  tr.setAttribute('data-state', c.state);
  const [name, issued, state] = /** @type {HTMLElement[]} */ (Array.from(tr.children));
  /** @type {HTMLElement} */ (name).textContent = M['cmd.' + c.name] || c.name;
  /** @type {HTMLElement} */ (issued).textContent = f.format(c.issuedAtMs);
  /** @type {HTMLElement} */ (state).textContent =
    (M['cmdstate.' + c.state] || c.state) + (c.message ? ': ' + c.message : '');
  if (c.hasScreenshot) {
    const img = byId('screenshot-img');
    img.setAttribute('src', '/api/dashboard/commands/' + encodeURIComponent(c.id) + '/screenshot');
    img.hidden = false;
    const none = document.getElementById('no-screenshot');
    if (none) none.hidden = true;
  }
}

/** @type {Record<string, 1>} */
const FINAL = { ok: 1, failed: 1, unsupported: 1, expired: 1 };

/**
 * Live events carry the result; polling covers a result that came before the stream was open.
 * @param {string} cid
 * @param {number} n
 */
function follow(cid, n) {
  if (n > 120) return;
  setTimeout(
    () => {
      fetch('/api/dashboard/commands/' + encodeURIComponent(cid), { credentials: 'same-origin' })
        .then((r) => (r.ok ? r.json() : null))
        .then((/** @type {Command | null} */ c) => {
          if (!c) return;
          showCommand(c);
          if (!FINAL[c.state]) follow(cid, n + 1);
        });
    },
    n < 10 ? 500 : 2000,
  );
}

/**
 * Asks in the page's dialog (the screen's name in the question) before a command that darkens the
 * screen; resolves true only when the operator confirms.
 * @param {string} question
 * @returns {Promise<boolean>}
 */
function confirmCommand(question) {
  const dialog = /** @type {HTMLDialogElement} */ (byId('command-confirm'));
  byId('command-confirm-text').textContent = question;
  return new Promise((resolve) => {
    /** @param {boolean} answer */
    const done = (answer) => {
      byId('command-confirm-ok').removeEventListener('click', ok);
      byId('command-confirm-cancel').removeEventListener('click', cancel);
      dialog.removeEventListener('cancel', cancel);
      if (dialog.open) dialog.close();
      resolve(answer);
    };
    const ok = () => done(true);
    const cancel = () => done(false);
    byId('command-confirm-ok').addEventListener('click', ok);
    byId('command-confirm-cancel').addEventListener('click', cancel);
    dialog.addEventListener('cancel', cancel); // Escape
    dialog.showModal();
  });
}

document.querySelectorAll('button[data-command]').forEach((node) => {
  const b = /** @type {HTMLButtonElement} */ (node);
  b.addEventListener('click', async () => {
    const question = b.getAttribute('data-confirm');
    if (question && !(await confirmCommand(question))) return;
    b.disabled = true;
    api('POST', '/api/dashboard/devices/' + encodeURIComponent(id) + '/commands', {
      name: b.getAttribute('data-command'),
    })
      .then((r) => {
        if (r.ok) {
          showCommand(r.json);
          follow(r.json.id, 0);
        } else byId('command-error').textContent = errorMessage(r, String(r.status));
      })
      .finally(() => {
        b.disabled = false;
      });
  });
});

const es = events('/dashboard/events?device=' + encodeURIComponent(id));
es.addEventListener('open', () => {
  main.setAttribute('data-live', 'yes');
});
es.addEventListener('command', (e) => {
  showCommand(JSON.parse(/** @type {MessageEvent<string>} */ (e).data));
});
es.addEventListener('rows', (e) => {
  /** @type {{ id: string, state: string }[]} */
  const list = JSON.parse(/** @type {MessageEvent<string>} */ (e).data);
  list.forEach((r) => {
    if (r.id !== id) return;
    const s = byId('state');
    s.textContent = M['state.' + r.state];
    /** @type {HTMLElement} */ (s.parentNode).className = 's-' + r.state;
    s.setAttribute('data-state', r.state);
  });
});
