// @ts-check
/**
 * The fleet management page (/dashboard/fleet/manage): creates an enrolment token and shows it once
 * with its QR code, revokes tokens, and renames, moves, revokes or retires a screen. A button with
 * `data-confirm` asks that question in the page's dialog first; nothing is sent unless confirmed.
 */
import { api, byId, el, embedded, errorMessage, fill, timeFormat } from '../../dashboard/browser/client.js';

/** @type {Record<string, string>} */
const M = embedded('gc-msgs');
const error = byId('manage-error');

/**
 * Resolves true when the person confirms `question` in the page's dialog (Escape or Cancel: false).
 * @param {string} question
 * @returns {Promise<boolean>}
 */
function ask(question) {
  const dialog = /** @type {HTMLDialogElement} */ (byId('manage-confirm'));
  byId('manage-confirm-text').textContent = question;
  return new Promise((resolve) => {
    const controller = new AbortController();
    /** @param {boolean} yes */
    const answer = (yes) => () => {
      controller.abort();
      if (dialog.open) dialog.close();
      resolve(yes);
    };
    const opts = { signal: controller.signal };
    byId('manage-confirm-ok').addEventListener('click', answer(true), opts);
    byId('manage-confirm-cancel').addEventListener('click', answer(false), opts);
    dialog.addEventListener('cancel', answer(false), opts);
    dialog.showModal();
  });
}

/**
 * Sends one change after the button's question (if any) is confirmed; `then` gets the answer.
 * @param {HTMLButtonElement} b
 * @param {string} url
 * @param {unknown} body
 * @param {(json: any) => void} then
 */
async function act(b, url, body, then) {
  const question = b.getAttribute('data-confirm');
  if (question && !(await ask(question))) return;
  b.disabled = true;
  error.textContent = '';
  const r = await api('POST', url, body);
  b.disabled = false;
  if (r.ok) then(r.json);
  else error.textContent = errorMessage(r, String(r.status));
}

/** @param {string} svgText */
function showQr(svgText) {
  const svg = new DOMParser().parseFromString(svgText, 'image/svg+xml').documentElement;
  const box = byId('token-qr');
  box.replaceChildren(document.importNode(svg, true));
}

/** @param {HTMLButtonElement} b */
function wireRevokeToken(b) {
  b.addEventListener('click', () => {
    const id = b.getAttribute('data-revoke-token') || '';
    act(b, '/api/dashboard/enrolment-tokens/' + encodeURIComponent(id) + '/revoke', {}, (t) => {
      const tr = /** @type {HTMLElement} */ (b.closest('tr'));
      tr.setAttribute('data-status', t.status);
      /** @type {HTMLElement} */ (tr.querySelector('[data-f="status"]')).textContent = M['token.' + t.status];
      b.remove();
    });
  });
}

byId('token-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const b = /** @type {HTMLButtonElement} */ (
    /** @type {HTMLFormElement} */ (e.target).querySelector('button[type=submit]')
  );
  const gate = /** @type {HTMLSelectElement} */ (byId('token-gate'));
  const body = {
    siteGroup: gate.value,
    screenName: /** @type {HTMLInputElement} */ (byId('token-screen')).value,
    ttlHours: /** @type {HTMLInputElement} */ (byId('token-ttl')).value,
  };
  act(b, '/api/dashboard/enrolment-tokens', body, (t) => {
    const gateName = gate.selectedOptions[0]?.textContent || t.siteGroup;
    const f = timeFormat(M['locale'], undefined);
    byId('token-created-for').textContent = fill(M['manage.tokenFor'], {
      screen: t.screenName,
      gate: gateName,
      expires: f.format(t.expiresAtMs),
    });
    byId('token-value').textContent = t.token;
    showQr(t.qrSvg);
    byId('token-created').hidden = false;
    const revoke = el('button', {
      type: 'button',
      'data-revoke-token': t.id,
      'data-confirm': fill(M['confirm.revokeToken'], { screen: t.screenName }),
    });
    revoke.textContent = M['manage.revokeToken'];
    wireRevokeToken(/** @type {HTMLButtonElement} */ (revoke));
    const tr = el('tr', { 'data-token': t.id, 'data-status': 'pending' });
    const cells = [t.screenName, gateName, M['token.pending'], f.format(Date.now()), f.format(t.expiresAtMs)];
    cells.forEach((text, i) => tr.appendChild(el('td', i === 2 ? { 'data-f': 'status' } : null, text)));
    tr.appendChild(el('td', { 'data-f': 'actions' })).appendChild(revoke);
    const tbody = /** @type {HTMLElement} */ (document.querySelector('#tokens tbody'));
    tbody.insertBefore(tr, tbody.firstChild);
    document.getElementById('no-tokens')?.remove();
  });
});

document.querySelectorAll('button[data-revoke-token]').forEach((b) => {
  wireRevokeToken(/** @type {HTMLButtonElement} */ (b));
});

/** What each screen button sends, from its row's fields. */
/** @type {Record<string, (tr: HTMLElement) => unknown>} */
const BODY = {
  rename: (tr) => ({ screenName: /** @type {HTMLInputElement} */ (tr.querySelector('input')).value }),
  move: (tr) => ({ siteGroup: /** @type {HTMLSelectElement} */ (tr.querySelector('select')).value }),
  revoke: () => ({}),
  retire: () => ({}),
};

document.querySelectorAll('tr[data-device] button[data-act]').forEach((node) => {
  const b = /** @type {HTMLButtonElement} */ (node);
  const tr = /** @type {HTMLElement} */ (b.closest('tr'));
  const what = b.getAttribute('data-act') || '';
  const id = tr.getAttribute('data-device') || '';
  b.addEventListener('click', () => {
    act(b, '/api/dashboard/devices/' + encodeURIComponent(id) + '/' + what, BODY[what]?.(tr), () => {
      // The server renders every screen's new state (status, buttons) in the page.
      location.reload();
    });
  });
});
