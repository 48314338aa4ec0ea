// @ts-check
/**
 * The sign-in page (/dashboard/login): posts the name and password, goes to the fleet page when the
 * server accepts them, and says why otherwise (wrong, or too many attempts: wait so long).
 */
import { byId, embedded, fill } from '../../dashboard/browser/client.js';

/** @type {Record<string, string>} */
const M = embedded('gc-msgs');
const form = /** @type {HTMLFormElement} */ (byId('login'));
form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const err = byId('login-error');
  err.textContent = '';
  const field = (/** @type {string} */ name) =>
    /** @type {HTMLInputElement} */ (form.elements.namedItem(name)).value;
  fetch('/api/session', {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: field('username'), password: field('password') }),
  }).then((r) => {
    if (r.ok) {
      location.href = '/dashboard';
      return;
    }
    const retry = r.headers.get('retry-after');
    err.textContent =
      r.status === 429 ? fill(M['login.rateLimited'], { seconds: retry || '?' }) : M['login.failed'];
  });
});
