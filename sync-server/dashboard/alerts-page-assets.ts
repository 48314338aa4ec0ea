/**
 * The alerts page's script, served as /dashboard/static/alerts.js. It filters the rows by gate and
 * kind, acknowledges an alert (POST /api/alerts/ack with the CSRF header) and rebuilds the tables
 * from the live stream (/dashboard/alerts/events, event `alerts`: the localised AlertsView). Every
 * node is built with textContent / setAttribute, never innerHTML.
 */
import { COMMON_JS } from './assets.js';

export const ALERTS_JS = `${COMMON_JS}
(function () {
  var main = document.getElementById('alerts-page');
  var A = JSON.parse(document.getElementById('alerts-msgs').textContent);
  var canAck = main.getAttribute('data-can-ack') === 'yes';
  var body = document.getElementById('alerts-body');
  var hist = document.getElementById('history-body');
  var gateSel = document.getElementById('filter-gate');
  var kindSel = document.getElementById('filter-kind');
  var err = document.getElementById('ack-error');
  window.gcAlertUpdates = 0;
  function cell(tr, f, text) {
    var td = document.createElement('td'); td.setAttribute('data-f', f);
    if (text !== undefined && text !== null) td.textContent = text;
    tr.appendChild(td); return td;
  }
  function screenCell(tr, r, wholeGate) {
    var td = cell(tr, 'screen');
    if (r.deviceId === null) { td.textContent = wholeGate; return; }
    var a = document.createElement('a');
    a.setAttribute('href', '/dashboard/screen/' + encodeURIComponent(r.deviceId));
    a.textContent = r.screenName;
    td.appendChild(a);
  }
  function activeRow(r) {
    var tr = document.createElement('tr');
    tr.setAttribute('data-key', r.key); tr.setAttribute('data-kind', r.kind);
    tr.setAttribute('data-gate', r.siteGroup); tr.setAttribute('data-severity', r.severity);
    tr.setAttribute('data-acked', r.acknowledged ? 'yes' : 'no');
    tr.className = 'sev-' + r.severity;
    cell(tr, 'kind', r.kindText);
    cell(tr, 'severity', r.severityText).className = r.severity === 'critical' ? 'alerts-some' : '';
    screenCell(tr, r, A['alerts.wholeGate']);
    cell(tr, 'gate', r.gateName);
    cell(tr, 'since', r.since);
    cell(tr, 'details', r.detail);
    var ack = cell(tr, 'ack');
    if (r.acknowledgedText !== null) ack.textContent = r.acknowledgedText;
    else if (canAck) {
      var b = document.createElement('button'); b.type = 'button';
      b.setAttribute('data-ack-key', r.key); b.textContent = A['alerts.acknowledge'];
      ack.appendChild(b);
    } else ack.textContent = A['alerts.notAcknowledged'];
    return tr;
  }
  function historyRow(r) {
    var tr = document.createElement('tr');
    tr.setAttribute('data-key', r.key); tr.setAttribute('data-type', r.type);
    tr.setAttribute('data-gate', r.siteGroup); tr.setAttribute('data-kind', r.kind);
    cell(tr, 'time', r.time); cell(tr, 'event', r.eventText); cell(tr, 'kind', r.kindText);
    screenCell(tr, r, '');
    cell(tr, 'gate', r.gateName); cell(tr, 'details', r.detail); cell(tr, 'by', r.by || '');
    return tr;
  }
  function filter() {
    var g = gateSel.value, k = kindSel.value, shown = 0;
    [body, hist].forEach(function (tb) {
      Array.prototype.forEach.call(tb.children, function (tr) {
        var ok = (!g || tr.getAttribute('data-gate') === g) && (!k || tr.getAttribute('data-kind') === k);
        tr.hidden = !ok;
        if (ok && tb === body) shown++;
      });
    });
    document.getElementById('alerts-none').hidden = shown > 0;
    var q = new URLSearchParams();
    if (g) q.set('gate', g);
    if (k) q.set('kind', k);
    var s = q.toString();
    history.replaceState(null, '', location.pathname + (s ? '?' + s : ''));
  }
  function render(view) {
    body.replaceChildren.apply(body, view.active.map(activeRow));
    hist.replaceChildren.apply(hist, view.history.map(historyRow));
    document.getElementById('history-none').hidden = view.history.length > 0;
    document.getElementById('alerts-summary').textContent = view.summary;
    filter();
    window.gcAlertUpdates++;
  }
  function reload() {
    return fetch('/api/alerts/view', { credentials: 'same-origin' })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (v) { if (v) render(v); });
  }
  gateSel.addEventListener('change', filter);
  kindSel.addEventListener('change', filter);
  body.addEventListener('click', function (ev) {
    var b = ev.target.closest('button[data-ack-key]');
    if (!b) return;
    b.disabled = true; err.textContent = '';
    fetch('/api/alerts/ack', {
      method: 'POST', credentials: 'same-origin',
      headers: { 'content-type': 'application/json', 'x-csrf-token': gcCsrf() },
      body: JSON.stringify({ key: b.getAttribute('data-ack-key') })
    }).then(function (r) {
      if (r.ok) return reload();
      return r.json().then(function (j) {
        err.textContent = gcFill(A['alerts.ackFailed'], { message: (j.error && j.error.message) || String(r.status) });
        b.disabled = false;
      });
    });
  });
  filter();
  var live = document.getElementById('live');
  var es = gcEvents('/dashboard/alerts/events');
  es.addEventListener('open', function () { live.textContent = A['alerts.live']; live.className = ''; main.setAttribute('data-live', 'yes'); });
  es.addEventListener('alerts', function (e) { render(JSON.parse(e.data)); });
  es.addEventListener('error', function () { live.textContent = A['alerts.liveLost']; live.className = 'lost'; });
})();
`;
