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

/** @type {Map<string, Intl.PluralRules>} */
const pluralRules = new Map();

/**
 * Index of the `}` closing the `{` at `open`, or -1.
 * @param {string} s
 * @param {number} open
 */
function closing(s, open) {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    if (s[i] === '{') depth++;
    else if (s[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

/**
 * The branches of a plural's body (`one {…} other {…}`), or undefined when it does not parse.
 * @param {string} body
 * @returns {Map<string, string> | undefined}
 */
function branches(body) {
  const out = new Map();
  let rest = body;
  while (rest.trim() !== '') {
    const m = /^\s*(=\d+|zero|one|two|few|many|other)\s*\{/.exec(rest);
    if (!m) return undefined;
    const open = m[0].length - 1;
    const close = closing(rest, open);
    if (close < 0) return undefined;
    out.set(m[1], rest.slice(open + 1, close));
    rest = rest.slice(close + 1);
  }
  return out.has('other') ? out : undefined;
}

/**
 * A text of the server's catalogues filled, in the syntax of protocol/i18n/catalogue.ts: `{name}`
 * from `params` (unknown names stay as written), and `{name, plural, one {# screen} other {# screens}}`
 * by Intl.PluralRules of the page's language (`#` is the value).
 * @param {unknown} template
 * @param {Record<string, unknown>} [params]
 * @param {string} [lang] the language whose plural rules apply; the page's `<html lang>` by default
 * @returns {string}
 */
export function fill(template, params = {}, lang) {
  const s = String(template);
  const language = lang || (typeof document !== 'undefined' && document.documentElement.lang) || 'en';
  let out = '';
  let i = 0;
  while (i < s.length) {
    const open = s.indexOf('{', i);
    if (open < 0) break;
    const close = closing(s, open);
    if (close < 0) break;
    out += s.slice(i, open);
    const inner = s.slice(open + 1, close);
    const whole = s.slice(open, close + 1);
    const name = /^\s*(\w+)\s*$/.exec(inner)?.[1];
    const plural = /^\s*(\w+)\s*,\s*plural\s*,/.exec(inner);
    const selector = plural?.[1];
    if (name !== undefined) out += name in params ? String(params[name]) : whole;
    else if (plural && selector !== undefined && selector in params) {
      const value = params[selector];
      const forms = branches(inner.slice(plural[0].length));
      const n = Number(value);
      let rules = pluralRules.get(language);
      if (!rules) pluralRules.set(language, (rules = new Intl.PluralRules(language)));
      const branch = forms?.get(`=${n}`) ?? forms?.get(rules.select(n)) ?? forms?.get('other');
      out += branch === undefined ? whole : fill(hashes(branch, String(value)), params, language);
    } else out += whole;
    i = close + 1;
  }
  return out + s.slice(i);
}

/**
 * `#` outside nested braces becomes the value.
 * @param {string} branch
 * @param {string} value
 */
function hashes(branch, value) {
  let depth = 0;
  let out = '';
  for (const c of branch) {
    if (c === '{') depth++;
    else if (c === '}') depth--;
    out += c === '#' && depth === 0 ? value : c;
  }
  return out;
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

/** The parts of a calendar date as the dashboard writes it (day, month, year in digits). */
const DATE_PARTS = /** @type {const} */ ({ year: 'numeric', month: '2-digit', day: '2-digit' });

/**
 * Date and time in zone `tz`, in `locale`, on a 24-hour clock: the one way the dashboard shows times
 * (the server renders the same, dashboard/language.ts formatDateTime). To the second by default;
 * `style` writes them to the minute, or with the zone's short name.
 * @param {string | undefined} locale
 * @param {string | undefined} tz
 * @param {{ seconds?: boolean, zoneName?: boolean }} [style]
 * @returns {Intl.DateTimeFormat}
 */
export function timeFormat(locale, tz, style = { seconds: true }) {
  const key = [locale ?? '', tz ?? '', style.seconds ? 's' : '', style.zoneName ? 'z' : ''].join('\n');
  let f = timeFormats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(locale, {
      timeZone: tz,
      ...DATE_PARTS,
      hour: '2-digit',
      minute: '2-digit',
      ...(style.seconds ? { second: '2-digit' } : {}),
      hour12: false,
      ...(style.zoneName ? { timeZoneName: 'short' } : {}),
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

/**
 * The header's "waiting for you" count (approvers): the drafts and emergencies waiting for this
 * account's signature, as the server counts them.
 */
export function wireWaiting() {
  const badge = document.getElementById('waiting-badge');
  const count = document.getElementById('waiting-count');
  if (!badge || !count) return;
  api('GET', '/api/content/waiting').then((r) => {
    const n = r.ok && r.json && typeof r.json.count === 'number' ? r.json.count : null;
    count.textContent = n === null ? '?' : String(n);
    badge.setAttribute('data-count', n === null ? '' : String(n));
  });
}

// Every page loads this module: the header's sign-out button and waiting count work on each (not
// when imported outside a page, by the unit tests).
if (typeof document !== 'undefined') {
  wireLogout();
  wireWaiting();
}
