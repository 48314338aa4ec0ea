// @ts-check
/**
 * The fleet page (/dashboard): keeps the server-rendered table live from the event stream
 * (/dashboard/events, event `rows`: the changed fleet rows), adding a gate's section and a screen's
 * row when a new one appears, and the summary line.
 */
import { byId, embedded, events, fill, timeFormat } from '../../dashboard/browser/client.js';

/**
 * One screen's row, as fleet-view.ts sends it.
 * @typedef {{
 *   id: string, siteGroup: string, gateName: string, screenName: string, timezone: string,
 *   state: 'playing' | 'offline' | 'displayOff' | 'error', lastSeenMs: number | null,
 *   currentItem: string | null, currentLanguage: string | null,
 *   installedVersion: number | null, latestVersion: number | null, alerts: number | null
 * }} FleetRow
 */

/** @type {Record<string, string>} */
const M = embedded('gc-msgs');
/** @type {Map<string, HTMLTableRowElement>} */
const rows = new Map();
/** @type {Map<string, string>} */
const states = new Map();
document.querySelectorAll('tr[data-id]').forEach((tr) => {
  const id = /** @type {string} */ (tr.getAttribute('data-id'));
  rows.set(id, /** @type {HTMLTableRowElement} */ (tr));
  states.set(id, tr.getAttribute('data-state') || '');
});
/**
 * @param {number | null} ms
 * @param {string} tz
 */
function fmtTime(ms, tz) {
  if (!ms) return M['never'];
  return timeFormat(M['locale'], tz).format(ms);
}

/**
 * @param {HTMLTableRowElement} tr
 * @param {string} f
 * @returns {HTMLTableCellElement}
 */
function cell(tr, f) {
  return /** @type {HTMLTableCellElement} */ (tr.querySelector('td[data-f="' + f + '"]'));
}

/** @param {FleetRow} r */
function newRow(r) {
  const tr = document.createElement('tr');
  tr.setAttribute('data-id', r.id);
  ['screen', 'state', 'lastSeen', 'item', 'language', 'bundle', 'alerts'].forEach((f) => {
    const td = document.createElement('td');
    td.setAttribute('data-f', f);
    tr.appendChild(td);
  });
  const a = document.createElement('a');
  a.setAttribute('href', '/dashboard/screen/' + encodeURIComponent(r.id));
  cell(tr, 'screen').appendChild(a);
  const s = document.createElement('span');
  s.className = 'state';
  cell(tr, 'state').appendChild(s);
  let body = document.querySelector('tbody[data-gate="' + CSS.escape(r.siteGroup) + '"]');
  if (!body) {
    const sec = document.createElement('section');
    const h = document.createElement('h3');
    h.textContent = M['fleet.gate'] + ': ' + r.gateName;
    sec.appendChild(h);
    const table = document.createElement('table');
    body = document.createElement('tbody');
    body.setAttribute('data-gate', r.siteGroup);
    table.appendChild(body);
    sec.appendChild(table);
    byId('fleet').appendChild(sec);
  }
  body.appendChild(tr);
  rows.set(r.id, tr);
  return tr;
}

/** @param {FleetRow} r */
function apply(r) {
  const tr = rows.get(r.id) || newRow(r);
  tr.className = 's-' + r.state;
  tr.setAttribute('data-state', r.state);
  states.set(r.id, r.state);
  /** @type {ChildNode} */ (cell(tr, 'screen').firstChild).textContent = r.screenName;
  /** @type {ChildNode} */ (cell(tr, 'state').firstChild).textContent = M['state.' + r.state];
  cell(tr, 'lastSeen').textContent = fmtTime(r.lastSeenMs, r.timezone);
  cell(tr, 'item').textContent = r.currentItem || M['none'];
  cell(tr, 'language').textContent = r.currentLanguage || M['none'];
  const b = cell(tr, 'bundle');
  const behind = r.latestVersion !== null && r.installedVersion !== r.latestVersion;
  b.textContent =
    r.installedVersion === null
      ? M['none']
      : r.latestVersion === null
        ? String(r.installedVersion)
        : fill(behind ? M['bundle.behind'] : M['bundle.current'], {
            installed: r.installedVersion,
            latest: r.latestVersion,
          });
  b.className = behind ? 'behind' : '';
  const al = cell(tr, 'alerts');
  al.textContent = '';
  if (r.alerts === null) al.textContent = M['none'];
  else {
    const link = document.createElement('a');
    link.setAttribute('href', '/dashboard/alerts?gate=' + encodeURIComponent(r.siteGroup));
    link.textContent = String(r.alerts);
    al.appendChild(link);
  }
  al.className = r.alerts ? 'alerts-some' : '';
}

function summary() {
  /** @type {Record<string, number>} */
  const n = { total: 0, playing: 0, offline: 0, displayOff: 0, error: 0 };
  states.forEach((s) => {
    n['total']++;
    n[s]++;
  });
  byId('summary').textContent = fill(M['fleet.summary'], n);
}

const live = byId('live');
/** How many rows the page has applied from the stream (the tests wait on it). */
window.gcApplied = 0;
const es = events('/dashboard/events');
es.addEventListener('open', () => {
  live.textContent = M['fleet.live'];
  live.className = '';
});
es.addEventListener('rows', (e) => {
  /** @type {FleetRow[]} */
  const list = JSON.parse(/** @type {MessageEvent<string>} */ (e).data);
  list.forEach(apply);
  summary();
  window.gcApplied += list.length;
});
es.addEventListener('error', () => {
  live.textContent = M['fleet.liveLost'];
  live.className = 'lost';
});
