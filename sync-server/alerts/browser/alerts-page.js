// @ts-check
/**
 * The alerts page (/dashboard/alerts): filters the rows by gate and kind (and keeps the filter in
 * the address), acknowledges an alert (POST /api/alerts/ack with the CSRF header) and rebuilds the
 * tables from the live stream (/dashboard/alerts/events, event `alerts`: the localised AlertsView).
 */
import { api, byId, cell, el, embedded, errorMessage, events, fill } from '../../dashboard/browser/client.js';

/**
 * The localised view the server sends (alerts/feed.ts).
 * @typedef {{ key: string, kind: string, siteGroup: string, deviceId: string | null, screenName: string,
 *   gateName: string, detail: string }} AlertBase
 * @typedef {AlertBase & { severity: string, acknowledged: boolean, kindText: string,
 *   severityText: string, since: string, acknowledgedText: string | null }} ActiveAlert
 * @typedef {AlertBase & { type: string, time: string, eventText: string, kindText: string,
 *   by: string | null }} AlertEvent
 * @typedef {{ active: ActiveAlert[], history: AlertEvent[], summary: string }} AlertsView
 */

const main = byId('alerts-page');
/** @type {Record<string, string>} */
const A = embedded('alerts-msgs');
const canAck = main.getAttribute('data-can-ack') === 'yes';
const body = byId('alerts-body');
const hist = byId('history-body');
const gateSel = /** @type {HTMLSelectElement} */ (byId('filter-gate'));
const kindSel = /** @type {HTMLSelectElement} */ (byId('filter-kind'));
const err = byId('ack-error');
/** How many times the tables were drawn from the server (the tests wait on it). */
window.gcAlertUpdates = 0;

/**
 * @param {HTMLTableRowElement} tr
 * @param {AlertBase} r
 * @param {string} wholeGate
 */
function screenCell(tr, r, wholeGate) {
  const td = cell(tr, 'screen');
  if (r.deviceId === null) {
    td.textContent = wholeGate;
    return;
  }
  td.appendChild(el('a', { href: '/dashboard/screen/' + encodeURIComponent(r.deviceId) }, r.screenName));
}

/** @param {ActiveAlert} r */
function activeRow(r) {
  const tr = el('tr', {
    'data-key': r.key,
    'data-kind': r.kind,
    'data-gate': r.siteGroup,
    'data-severity': r.severity,
    'data-acked': r.acknowledged ? 'yes' : 'no',
    class: 'sev-' + r.severity,
  });
  cell(tr, 'kind', r.kindText);
  cell(tr, 'severity', r.severityText).className = r.severity === 'critical' ? 'alerts-some' : '';
  screenCell(tr, r, A['alerts.wholeGate']);
  cell(tr, 'gate', r.gateName);
  cell(tr, 'since', r.since);
  cell(tr, 'details', r.detail);
  const ack = cell(tr, 'ack');
  if (r.acknowledgedText !== null) ack.textContent = r.acknowledgedText;
  else if (canAck) {
    ack.appendChild(el('button', { type: 'button', 'data-ack-key': r.key }, A['alerts.acknowledge']));
  } else ack.textContent = A['alerts.notAcknowledged'];
  return tr;
}

/** @param {AlertEvent} r */
function historyRow(r) {
  const tr = el('tr', {
    'data-key': r.key,
    'data-type': r.type,
    'data-gate': r.siteGroup,
    'data-kind': r.kind,
  });
  cell(tr, 'time', r.time);
  cell(tr, 'event', r.eventText);
  cell(tr, 'kind', r.kindText);
  screenCell(tr, r, '');
  cell(tr, 'gate', r.gateName);
  cell(tr, 'details', r.detail);
  cell(tr, 'by', r.by || '');
  return tr;
}

function filter() {
  const g = gateSel.value;
  const k = kindSel.value;
  let shown = 0;
  [body, hist].forEach((tb) => {
    Array.from(tb.children).forEach((node) => {
      const tr = /** @type {HTMLElement} */ (node);
      const ok = (!g || tr.getAttribute('data-gate') === g) && (!k || tr.getAttribute('data-kind') === k);
      tr.hidden = !ok;
      if (ok && tb === body) shown++;
    });
  });
  byId('alerts-none').hidden = shown > 0;
  const q = new URLSearchParams();
  if (g) q.set('gate', g);
  if (k) q.set('kind', k);
  const s = q.toString();
  history.replaceState(null, '', location.pathname + (s ? '?' + s : ''));
}

/** @param {AlertsView} view */
function render(view) {
  body.replaceChildren(...view.active.map(activeRow));
  hist.replaceChildren(...view.history.map(historyRow));
  byId('history-none').hidden = view.history.length > 0;
  byId('alerts-summary').textContent = view.summary;
  filter();
  window.gcAlertUpdates++;
}

function reload() {
  return fetch('/api/alerts/view', { credentials: 'same-origin' })
    .then((r) => (r.ok ? r.json() : null))
    .then((/** @type {AlertsView | null} */ v) => {
      if (v) render(v);
    });
}

gateSel.addEventListener('change', filter);
kindSel.addEventListener('change', filter);
body.addEventListener('click', (ev) => {
  const b = /** @type {HTMLButtonElement | null} */ (
    /** @type {Element} */ (ev.target).closest('button[data-ack-key]')
  );
  if (!b) return;
  b.disabled = true;
  err.textContent = '';
  api('POST', '/api/alerts/ack', { key: b.getAttribute('data-ack-key') }).then((r) => {
    if (r.ok) return reload();
    err.textContent = fill(A['alerts.ackFailed'], { message: errorMessage(r, String(r.status)) });
    b.disabled = false;
  });
});
filter();

const live = byId('live');
const es = events('/dashboard/alerts/events');
es.addEventListener('open', () => {
  live.textContent = A['alerts.live'];
  live.className = '';
  main.setAttribute('data-live', 'yes');
});
es.addEventListener('alerts', (e) => {
  render(JSON.parse(/** @type {MessageEvent<string>} */ (e).data));
});
es.addEventListener('error', () => {
  live.textContent = A['alerts.liveLost'];
  live.className = 'lost';
});
