/**
 * The dashboard's stylesheet and scripts, served from /dashboard/static/ (same origin, so the CSP
 * allows them; no inline script, no CDN). The scripts build every dynamic node with textContent and
 * setAttribute, never innerHTML, so names from devices and operators stay text.
 */

export const DASHBOARD_CSS = `
:root { --ok:#1b7f3b; --off:#6b7280; --dim:#b45309; --err:#b91c1c; font-family: "Noto Sans", system-ui, sans-serif; }
body { margin: 0; background: #f5f6f8; color: #111; }
header { display: flex; gap: 1rem; align-items: center; padding: .5rem 1rem; background: #0f3a5f; color: #fff; }
header a, header button { color: #fff; background: none; border: 1px solid #fff6; border-radius: 4px; padding: .2rem .6rem; cursor: pointer; text-decoration: none; font: inherit; }
header .grow { flex: 1; }
header nav { display: flex; gap: .5rem; }
header nav a.current { background: #fff3; }
main { padding: 1rem; }
h2 { margin: 1.2rem 0 .4rem; font-size: 1.2rem; }
h3 { margin: .8rem 0 .3rem; font-size: 1rem; color: #0f3a5f; }
table { border-collapse: collapse; width: 100%; background: #fff; margin-bottom: .5rem; }
th, td { border-bottom: 1px solid #e5e7eb; padding: .25rem .5rem; text-align: left; font-size: .9rem; }
th { background: #eef1f5; }
.state { display: inline-block; min-width: 7rem; padding: .1rem .4rem; border-radius: 3px; color: #fff; }
.s-playing .state { background: var(--ok); } .s-offline .state { background: var(--off); }
.s-displayOff .state { background: var(--dim); } .s-error .state { background: var(--err); }
tr.s-offline { color: #555; } tr.s-error { background: #fef2f2; }
.behind { color: var(--dim); font-weight: bold; }
.alerts-some { color: var(--err); font-weight: bold; }
#live { font-size: .85rem; } #live.lost { color: #fca5a5; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(480px, 1fr)); gap: .6rem; }
.chart { margin: 0; background: #fff; padding: .3rem; } .chart figcaption { font-size: .85rem; }
.chart-svg { width: 100%; height: auto; } .chart-line { fill: none; stroke: #0f3a5f; stroke-width: 1.5; }
.chart-dot { fill: #0f3a5f; } .chart-axis { stroke: #9ca3af; } .chart-label { font-size: 10px; fill: #374151; }
.commands button { margin: .2rem; padding: .3rem .7rem; }
.screenshot img { max-width: 480px; border: 1px solid #ccc; }
.login { max-width: 22rem; margin: 4rem auto; background: #fff; padding: 1.5rem; border-radius: 6px; }
.login label { display: block; margin: .6rem 0 .2rem; } .login input { width: 100%; box-sizing: border-box; padding: .4rem; }
.login button { margin-top: 1rem; padding: .4rem 1rem; } .error { color: var(--err); min-height: 1.2rem; }
`;

/** Shared by every page: logout. */
const COMMON = `
function gcCsrf() { var m = document.querySelector('meta[name="csrf-token"]'); return m ? m.getAttribute('content') : ''; }
function gcMsgs() { var el = document.getElementById('gc-msgs'); return el ? JSON.parse(el.textContent) : {}; }
function gcFill(s, p) { return String(s).replace(/\\{(\\w+)\\}/g, function (m, k) { return k in p ? String(p[k]) : m; }); }
function gcEvents(url) {
  var es = new EventSource(url);
  es.addEventListener('ended', function () { es.close(); location.href = '/dashboard/login'; });
  return es;
}
(function () {
  var b = document.getElementById('logout');
  if (b) b.addEventListener('click', function () {
    fetch('/api/session', { method: 'DELETE', headers: { 'x-csrf-token': gcCsrf() }, credentials: 'same-origin' })
      .finally(function () { location.href = '/dashboard/login'; });
  });
})();
`;

export const FLEET_JS = `${COMMON}
(function () {
  var M = gcMsgs();
  var rows = new Map();
  var states = new Map();
  document.querySelectorAll('tr[data-id]').forEach(function (tr) { rows.set(tr.getAttribute('data-id'), tr); states.set(tr.getAttribute('data-id'), tr.getAttribute('data-state')); });
  var fmts = new Map();
  function fmtTime(ms, tz) {
    if (!ms) return M.never;
    var f = fmts.get(tz);
    if (!f) { f = new Intl.DateTimeFormat(M.locale, { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false }); fmts.set(tz, f); }
    return f.format(ms);
  }
  function cell(tr, f) { return tr.querySelector('td[data-f="' + f + '"]'); }
  function newRow(r) {
    var tr = document.createElement('tr');
    tr.setAttribute('data-id', r.id);
    ['screen', 'state', 'lastSeen', 'item', 'language', 'bundle', 'alerts'].forEach(function (f) {
      var td = document.createElement('td'); td.setAttribute('data-f', f); tr.appendChild(td);
    });
    var a = document.createElement('a'); a.setAttribute('href', '/dashboard/screen/' + encodeURIComponent(r.id));
    cell(tr, 'screen').appendChild(a);
    var s = document.createElement('span'); s.className = 'state'; cell(tr, 'state').appendChild(s);
    var body = document.querySelector('tbody[data-gate="' + CSS.escape(r.siteGroup) + '"]');
    if (!body) {
      var sec = document.createElement('section');
      var h = document.createElement('h3'); h.textContent = M['fleet.gate'] + ': ' + r.gateName; sec.appendChild(h);
      var table = document.createElement('table');
      body = document.createElement('tbody'); body.setAttribute('data-gate', r.siteGroup);
      table.appendChild(body); sec.appendChild(table);
      document.getElementById('fleet').appendChild(sec);
    }
    body.appendChild(tr);
    rows.set(r.id, tr);
    return tr;
  }
  function apply(r) {
    var tr = rows.get(r.id) || newRow(r);
    tr.className = 's-' + r.state;
    tr.setAttribute('data-state', r.state);
    states.set(r.id, r.state);
    cell(tr, 'screen').firstChild.textContent = r.screenName;
    cell(tr, 'state').firstChild.textContent = M['state.' + r.state];
    cell(tr, 'lastSeen').textContent = fmtTime(r.lastSeenMs, r.timezone);
    cell(tr, 'item').textContent = r.currentItem || M.none;
    cell(tr, 'language').textContent = r.currentLanguage || M.none;
    var b = cell(tr, 'bundle');
    var behind = r.latestVersion !== null && r.installedVersion !== r.latestVersion;
    b.textContent = r.installedVersion === null ? M.none : r.latestVersion === null ? r.installedVersion
      : gcFill(behind ? M['bundle.behind'] : M['bundle.current'], { installed: r.installedVersion, latest: r.latestVersion });
    b.className = behind ? 'behind' : '';
    var al = cell(tr, 'alerts');
    al.textContent = '';
    if (r.alerts === null) al.textContent = M.none;
    else {
      var link = document.createElement('a');
      link.setAttribute('href', '/dashboard/alerts?gate=' + encodeURIComponent(r.siteGroup));
      link.textContent = String(r.alerts);
      al.appendChild(link);
    }
    al.className = r.alerts ? 'alerts-some' : '';
  }
  function summary() {
    var n = { total: 0, playing: 0, offline: 0, displayOff: 0, error: 0 };
    states.forEach(function (s) { n.total++; n[s]++; });
    document.getElementById('summary').textContent = gcFill(M['fleet.summary'], n);
  }
  var live = document.getElementById('live');
  window.gcApplied = 0;
  function connect() {
    var es = gcEvents('/dashboard/events');
    es.addEventListener('open', function () { live.textContent = M['fleet.live']; live.className = ''; });
    es.addEventListener('rows', function (e) {
      var list = JSON.parse(e.data);
      list.forEach(apply);
      summary();
      window.gcApplied += list.length;
    });
    es.addEventListener('error', function () { live.textContent = M['fleet.liveLost']; live.className = 'lost'; });
  }
  connect();
})();
`;

export const SCREEN_JS = `${COMMON}
(function () {
  var M = gcMsgs();
  var main = document.querySelector('main[data-device]');
  var id = main.getAttribute('data-device');
  var tz = main.getAttribute('data-tz');
  var f = new Intl.DateTimeFormat(M.locale, { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
  var tbody = document.getElementById('commands');
  function showCommand(c) {
    var tr = tbody.querySelector('tr[data-cmd="' + CSS.escape(c.id) + '"]');
    if (!tr) {
      tr = document.createElement('tr'); tr.setAttribute('data-cmd', c.id);
      for (var i = 0; i < 3; i++) tr.appendChild(document.createElement('td'));
      tbody.insertBefore(tr, tbody.firstChild);
    }
    tr.setAttribute('data-state', c.state);
    tr.children[0].textContent = M['cmd.' + c.name] || c.name;
    tr.children[1].textContent = f.format(c.issuedAtMs);
    tr.children[2].textContent = (M['cmdstate.' + c.state] || c.state) + (c.message ? ': ' + c.message : '');
    if (c.hasScreenshot) {
      var img = document.getElementById('screenshot-img');
      img.setAttribute('src', '/api/dashboard/commands/' + encodeURIComponent(c.id) + '/screenshot');
      img.hidden = false;
      var none = document.getElementById('no-screenshot'); if (none) none.hidden = true;
    }
  }
  var FINAL = { ok: 1, failed: 1, unsupported: 1, expired: 1 };
  // Live events carry the result; polling covers a result that came before the stream was open.
  function follow(cid, n) {
    if (n > 120) return;
    setTimeout(function () {
      fetch('/api/dashboard/commands/' + encodeURIComponent(cid), { credentials: 'same-origin' })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (c) { if (!c) return; showCommand(c); if (!FINAL[c.state]) follow(cid, n + 1); });
    }, n < 10 ? 500 : 2000);
  }
  document.querySelectorAll('button[data-command]').forEach(function (b) {
    b.addEventListener('click', function () {
      b.disabled = true;
      fetch('/api/dashboard/devices/' + encodeURIComponent(id) + '/commands', {
        method: 'POST', credentials: 'same-origin',
        headers: { 'content-type': 'application/json', 'x-csrf-token': gcCsrf() },
        body: JSON.stringify({ name: b.getAttribute('data-command') })
      }).then(function (r) { return r.json().then(function (j) { if (r.ok) { showCommand(j); follow(j.id, 0); } else document.getElementById('command-error').textContent = (j.error && j.error.message) || r.status; }); })
        .finally(function () { b.disabled = false; });
    });
  });
  var es = gcEvents('/dashboard/events?device=' + encodeURIComponent(id));
  es.addEventListener('open', function () { main.setAttribute('data-live', 'yes'); });
  es.addEventListener('command', function (e) { showCommand(JSON.parse(e.data)); });
  es.addEventListener('rows', function (e) {
    JSON.parse(e.data).forEach(function (r) {
      if (r.id !== id) return;
      var s = document.getElementById('state');
      s.textContent = M['state.' + r.state]; s.parentNode.className = 's-' + r.state;
      s.setAttribute('data-state', r.state);
    });
  });
})();
`;

export const LOGIN_JS = `
(function () {
  var form = document.getElementById('login');
  var M = JSON.parse(document.getElementById('gc-msgs').textContent);
  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    var err = document.getElementById('login-error');
    err.textContent = '';
    fetch('/api/session', {
      method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: form.username.value, password: form.password.value })
    }).then(function (r) {
      if (r.ok) { location.href = '/dashboard'; return; }
      var retry = r.headers.get('retry-after');
      err.textContent = r.status === 429 ? M['login.rateLimited'].replace('{seconds}', retry || '?') : M['login.failed'];
    });
  });
})();
`;

/** Pages with no script of their own (the reports form): logout only. */
export const COMMON_JS = COMMON;
