// @ts-check
/**
 * What every dashboard page's script shares: calls to the server's JSON API (session cookie, the
 * CSRF header the session handed out, a JSON body, a JSON answer read leniently), the texts and data
 * the server embeds in the page as `<script type="application/json" id="…">` blocks, building nodes
 * (textContent and setAttribute only, never innerHTML, so names from devices and operators stay
 * text), and the header's sign-out button.
 *
 * Every page loads this module (page() in ../pages.ts) and its own script, which imports it.
 */

/**
 * An answer of the JSON API: `json` is the parsed body, or null when there was none or it was not
 * JSON.
 * @typedef {{ ok: boolean, status: number, json: any }} Reply
 */

/**
 * `{name}` placeholders of a text filled from `params`; unknown names stay as written.
 * @param {unknown} template
 * @param {Record<string, unknown>} [params]
 * @returns {string}
 */
export function fill(template, params = {}) {
  return String(template).replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));
}

/**
 * The fetch options of an API call: same-origin cookies, the CSRF header, and the body as JSON
 * (or as is, with `type`, for an upload).
 * @param {string} method
 * @param {unknown} body undefined: no body
 * @param {string} csrf
 * @param {string} [type] content type of a body sent as is (a File or Blob)
 * @returns {RequestInit}
 */
export function requestInit(method, body, csrf, type) {
  /** @type {Record<string, string>} */
  const headers = { 'x-csrf-token': csrf };
  if (body !== undefined) headers['content-type'] = type || 'application/json';
  return {
    method,
    credentials: 'same-origin',
    headers,
    body: body === undefined ? undefined : type ? /** @type {BodyInit} */ (body) : JSON.stringify(body),
  };
}

/**
 * Reads an answer: its status and its body as JSON when it is JSON.
 * @param {Response} res
 * @returns {Promise<Reply>}
 */
export async function readReply(res) {
  const text = await res.text();
  let json;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null; // not JSON (a proxy's error page): the status speaks
  }
  return { ok: res.ok, status: res.status, json };
}

/**
 * The server's `{ error: { code, message } }` of a refused call, when it sent one.
 * @param {Reply} reply
 * @returns {{ code?: string, message?: string, [k: string]: any } | null}
 */
export function errorOf(reply) {
  const e = reply.json && typeof reply.json === 'object' ? reply.json.error : null;
  return e && typeof e === 'object' ? e : null;
}

/**
 * The server's message of a refused call, or `fallback` (default `HTTP <status>`).
 * @param {Reply} reply
 * @param {string} [fallback]
 * @returns {string}
 */
export function errorMessage(reply, fallback) {
  return errorOf(reply)?.message || (fallback ?? `HTTP ${reply.status}`);
}

/**
 * The session's CSRF token, from the page's `<meta name="csrf-token">` ('' when signed out).
 * @returns {string}
 */
export function csrfToken() {
  const m = document.querySelector('meta[name="csrf-token"]');
  return (m && m.getAttribute('content')) || '';
}

/**
 * Calls the JSON API with the session's CSRF header.
 * @param {string} method
 * @param {string} url
 * @param {unknown} [body]
 * @param {string} [type] content type of a body sent as is
 * @returns {Promise<Reply>}
 */
export function api(method, url, body, type) {
  return fetch(url, requestInit(method, body, csrfToken(), type)).then(readReply);
}

/** @type {Map<string, Intl.DateTimeFormat>} */
const timeFormats = new Map();

/**
 * Date and time to the second in zone `tz`, in `locale`: the one format the dashboard shows times in
 * (the server renders the same, pages.ts fmtTime).
 * @param {string | undefined} locale
 * @param {string | undefined} tz
 * @returns {Intl.DateTimeFormat}
 */
export function timeFormat(locale, tz) {
  const key = `${locale ?? ''}\n${tz ?? ''}`;
  let f = timeFormats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, {
      timeZone: tz,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hour12: false,
    });
    timeFormats.set(key, f);
  }
  return f;
}

/**
 * The JSON the server embedded in the page under `id` (texts, or the page's data); `{}` when the
 * page has no such block.
 * @param {string} id
 * @returns {any}
 */
export function embedded(id) {
  const el = document.getElementById(id);
  return el ? JSON.parse(el.textContent || 'null') : {};
}

/**
 * The element with this id; the page's markup has it (a missing one is a bug, named here).
 * @param {string} id
 * @returns {HTMLElement}
 */
export function byId(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from the page`);
  return el;
}

/**
 * The value of the form field with this id.
 * @param {string} id
 * @returns {string}
 */
export function valueOf(id) {
  return /** @type {HTMLInputElement} */ (byId(id)).value;
}

/**
 * A new element with attributes (`class` sets className) and text.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, string> | null} [attrs]
 * @param {unknown} [text] undefined or null: no text
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, attrs, text) {
  const e = document.createElement(tag);
  if (attrs)
    for (const [k, v] of Object.entries(attrs)) {
      if (k === 'class') e.className = v;
      else e.setAttribute(k, v);
    }
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

/**
 * Appends a `<td data-f="f">` with the text to the row and returns it.
 * @param {HTMLTableRowElement} tr
 * @param {string} f
 * @param {unknown} [text] undefined or null: empty
 * @returns {HTMLTableCellElement}
 */
export function cell(tr, f, text) {
  const td = el('td', { 'data-f': f }, text);
  tr.appendChild(td);
  return td;
}

/**
 * The server's live stream; when the server ends it (the session is gone) the page goes to sign-in.
 * @param {string} url
 * @returns {EventSource}
 */
export function events(url) {
  const es = new EventSource(url);
  es.addEventListener('ended', () => {
    es.close();
    location.href = '/dashboard/login';
  });
  return es;
}

/** The header's sign-out button: ends the session, then the sign-in page. */
export function wireLogout() {
  const b = document.getElementById('logout');
  if (b)
    b.addEventListener('click', () => {
      fetch('/api/session', {
        method: 'DELETE',
        headers: { 'x-csrf-token': csrfToken() },
        credentials: 'same-origin',
      }).finally(() => {
        location.href = '/dashboard/login';
      });
    });
}

// Every page loads this module: the header's sign-out button works on each (not when imported
// outside a page, by the unit tests).
if (typeof document !== 'undefined') wireLogout();
