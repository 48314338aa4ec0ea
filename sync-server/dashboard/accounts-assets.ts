/**
 * The account pages' stylesheet and scripts, served as /dashboard/static/accounts.css, users.js,
 * account.js and audit.js. They call the accounts API with the session's CSRF header, name the
 * server's refusals with the catalogue's words (`error.<CODE>`, `users.problem.<field>` next to the
 * field), and build every row with textContent / setAttribute, never innerHTML.
 */
import { COMMON_JS } from './assets.js';

export const ACCOUNTS_CSS = `
.panel { background: #fff; padding: 1rem; border-radius: 6px; margin: 1rem 0; max-width: 40rem; }
.panel .field { margin: .5rem 0; }
.panel label { display: block; margin-bottom: .2rem; }
.panel input, .panel select { width: 100%; box-sizing: border-box; padding: .35rem; }
.panel button { margin: .4rem .4rem 0 0; padding: .35rem .8rem; }
.rule { color: #4b5563; }
.problem:empty { display: none; }
.ok { color: #1b7f3b; min-height: 1.2rem; }
.danger { background: #b91c1c; color: #fff; border: 1px solid #7f1d1d; border-radius: 3px; }
.confirm { border: 1px solid #b91c1c; padding: .5rem; margin-top: .5rem; background: #fef2f2; }
.filters { display: flex; flex-wrap: wrap; gap: .6rem; align-items: end; margin: .5rem 0; }
.filters label { display: flex; flex-direction: column; font-size: .85rem; }
tr.disabled { color: #6b7280; }
tr[data-outcome="denied"], tr[data-outcome="failed"] { background: #fef2f2; }
dl.me dt { font-weight: bold; } dl.me dd { margin: 0 0 .4rem 0; }
`;

/** Shared by the three pages: messages, API calls, refusals in words, the own-password form. */
const ACCOUNTS_COMMON = `${COMMON_JS}
var A = JSON.parse(document.getElementById('accounts-msgs').textContent);
function gcAccApi(method, url, body) {
  var headers = { 'x-csrf-token': gcCsrf() };
  if (body !== undefined) headers['content-type'] = 'application/json';
  return fetch(url, { method: method, credentials: 'same-origin', headers: headers,
    body: body === undefined ? undefined : JSON.stringify(body) })
    .then(function (r) {
      return r.text().then(function (t) {
        var j = {}; try { j = t ? JSON.parse(t) : {}; } catch (e) { j = {}; }
        return { ok: r.ok, status: r.status, json: j };
      });
    });
}
function gcAccCode(res) { return (res.json && res.json.error && res.json.error.code) || ('HTTP_' + res.status); }
function gcAccWords(res) {
  var c = gcAccCode(res);
  var e = (res.json && res.json.error) || {};
  return A['error.' + c] ? gcFill(A['error.' + c], { seconds: e.retryAfterS || '?' }) : gcFill(A['error.other'], { code: c });
}
function gcAccFmt() {
  return new Intl.DateTimeFormat(A.locale, { timeZone: A.timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
}
function gcAccClearProblems(form) {
  form.querySelectorAll('[data-problem-for]').forEach(function (p) { p.textContent = ''; });
}
function gcAccProblem(id, text) {
  var p = document.querySelector('[data-problem-for="' + id + '"]');
  if (p) p.textContent = text;
}
/** Names each problem of an ACCOUNT_INVALID answer next to its field (prefix + path). */
function gcAccProblems(res, prefix, fallbackField) {
  var problems = (res.json.error && res.json.error.problems) || [];
  if (!problems.length && fallbackField) problems = [{ path: fallbackField }];
  problems.forEach(function (p) {
    var name = p.path || fallbackField || '';
    gcAccProblem(prefix + name, A['users.problem.' + name] || A['users.problem.other']);
  });
}
(function () {
  var form = document.getElementById('own-password');
  if (!form) return;
  var status = document.getElementById('own-status');
  var err = document.getElementById('own-error');
  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    status.textContent = ''; err.textContent = ''; gcAccClearProblems(form);
    var cur = document.getElementById('own-current').value;
    var next = document.getElementById('own-new').value;
    if (next !== document.getElementById('own-repeat').value) { gcAccProblem('own-repeat', A['account.mismatch']); return; }
    gcAccApi('POST', '/api/session/password', { currentPassword: cur, newPassword: next }).then(function (res) {
      if (res.ok) { form.reset(); status.textContent = A['account.changed']; return; }
      var code = gcAccCode(res);
      if (code === 'AUTH_FAILED') gcAccProblem('own-current', A['error.AUTH_FAILED']);
      else if (code === 'ACCOUNT_INVALID') gcAccProblem('own-new', A['users.problem.password']);
      else err.textContent = gcAccWords(res);
    });
  });
})();
`;

export const ACCOUNT_JS = `${ACCOUNTS_COMMON}
(function () {
  var body = document.getElementById('keys-body');
  if (!body) return;
  var none = document.getElementById('keys-none');
  var status = document.getElementById('keys-status');
  var err = document.getElementById('keys-error');
  var fmt = gcAccFmt();
  window.gcKeysRendered = 0;
  function draw(keys) {
    body.textContent = '';
    none.hidden = keys.length > 0;
    keys.forEach(function (k) {
      var tr = document.createElement('tr'); tr.setAttribute('data-keyid', k.keyid);
      [k.name, k.keyid, fmt.format(new Date(k.createdAt))].forEach(function (v) {
        var td = document.createElement('td'); td.textContent = v; tr.appendChild(td);
      });
      var td = document.createElement('td');
      var rm = document.createElement('button'); rm.type = 'button'; rm.className = 'danger';
      rm.textContent = A['account.keys.remove'];
      rm.addEventListener('click', function () {
        gcAccApi('DELETE', '/api/session/keys/' + encodeURIComponent(k.keyid)).then(function (res) {
          if (res.ok) { status.textContent = A['account.keys.removed']; err.textContent = ''; return reload(); }
          err.textContent = gcAccWords(res);
        });
      });
      td.appendChild(rm); tr.appendChild(td); body.appendChild(tr);
    });
    window.gcKeysRendered++;
  }
  function reload() {
    return gcAccApi('GET', '/api/session/keys').then(function (res) {
      if (res.ok) draw(res.json.keys); else err.textContent = gcAccWords(res);
    });
  }
  draw(JSON.parse(document.getElementById('keys-data').textContent));
  var form = document.getElementById('own-key');
  if (!form) return;
  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    status.textContent = ''; err.textContent = ''; gcAccClearProblems(form);
    var pub = document.getElementById('key-public').value;
    var cur = document.getElementById('key-current').value;
    gcAccApi('POST', '/api/session/keys', { currentPassword: cur, publicKey: pub }).then(function (res) {
      if (res.ok) { form.reset(); status.textContent = A['account.keys.added']; return reload(); }
      var code = gcAccCode(res);
      if (code === 'AUTH_FAILED') gcAccProblem('key-current', A['error.AUTH_FAILED']);
      else if (code === 'ACCOUNT_INVALID') gcAccProblem('key-public', gcAccWords(res));
      else err.textContent = gcAccWords(res);
    });
  });
})();
`;

export const USERS_JS = `${ACCOUNTS_COMMON}
(function () {
  var main = document.getElementById('users-page');
  var me = main.getAttribute('data-me');
  var body = document.getElementById('users-body');
  var status = document.getElementById('users-status');
  var err = document.getElementById('users-error');
  var edit = document.getElementById('edit-user');
  var create = document.getElementById('create-user');
  var fmt = gcAccFmt();
  var users = JSON.parse(document.getElementById('users-data').textContent);
  var current = null;
  window.gcUsersRendered = 0;
  function say(text) { status.textContent = text; err.textContent = ''; }
  function fail(res) { status.textContent = ''; err.textContent = gcAccWords(res); }
  function clear() { status.textContent = ''; err.textContent = ''; gcAccClearProblems(edit); gcAccClearProblems(create); }
  function cell(tr, f, text) {
    var td = document.createElement('td'); td.setAttribute('data-f', f);
    if (text !== undefined) td.textContent = text;
    tr.appendChild(td); return td;
  }
  function row(u) {
    var tr = document.createElement('tr');
    tr.setAttribute('data-username', u.username);
    tr.setAttribute('data-role', u.role);
    tr.setAttribute('data-disabled', u.disabled ? 'yes' : 'no');
    if (u.disabled) tr.className = 'disabled';
    cell(tr, 'username', u.username + (u.username === me ? ' ' + A['users.you'] : ''));
    cell(tr, 'displayName', u.displayName);
    cell(tr, 'role', A['role.' + u.role] || u.role);
    cell(tr, 'status', A[u.disabled ? 'users.status.disabled' : 'users.status.active']);
    cell(tr, 'lastLogin', u.lastLoginAt ? fmt.format(u.lastLoginAt) : A['users.never']);
    cell(tr, 'created', fmt.format(u.createdAt));
    var b = document.createElement('button'); b.type = 'button';
    b.setAttribute('data-edit', u.username); b.textContent = A['users.edit'];
    cell(tr, 'actions').appendChild(b);
    return tr;
  }
  function render() {
    body.replaceChildren.apply(body, users.map(row));
    document.getElementById('users-none').hidden = users.length > 0;
    if (current) {
      var still = users.filter(function (u) { return u.username === current.username; })[0];
      if (still) open(still, true); else close();
    }
    window.gcUsersRendered++;
  }
  function refresh() {
    return fetch('/dashboard/users/data', { credentials: 'same-origin' })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (j) { if (j) { users = j.users; render(); } });
  }
  function open(u, keepFields) {
    current = u;
    edit.setAttribute('data-username', u.username);
    document.getElementById('edit-title').textContent = gcFill(A['users.edit.title'], { username: u.username });
    if (!keepFields) {
      document.getElementById('edit-displayName').value = u.displayName;
      document.getElementById('edit-role').value = u.role;
      document.getElementById('edit-password').value = '';
      document.getElementById('delete-confirm').hidden = true;
    }
    document.getElementById('edit-toggle').textContent = A[u.disabled ? 'users.enable' : 'users.disable'];
    if (edit.hidden) { edit.hidden = false; edit.scrollIntoView({ block: 'nearest' }); }
  }
  function close() { current = null; edit.hidden = true; edit.removeAttribute('data-username'); }
  function patch(change, done) {
    var who = current.username;
    return gcAccApi('PATCH', '/api/users/' + encodeURIComponent(who), change).then(function (res) {
      if (!res.ok) {
        if (gcAccCode(res) === 'ACCOUNT_INVALID') gcAccProblems(res, 'edit-');
        fail(res); return;
      }
      return refresh().then(function () { say(gcFill(A[done], { username: who })); });
    });
  }
  body.addEventListener('click', function (ev) {
    var b = ev.target.closest('button[data-edit]');
    if (!b) return;
    clear();
    var name = b.getAttribute('data-edit');
    var u = users.filter(function (x) { return x.username === name; })[0];
    if (u) open(u, false);
  });
  edit.addEventListener('submit', function (ev) {
    ev.preventDefault(); clear();
    var change = {};
    var dn = document.getElementById('edit-displayName').value;
    var role = document.getElementById('edit-role').value;
    if (dn !== current.displayName) change.displayName = dn;
    if (role !== current.role) change.role = role;
    if (!Object.keys(change).length) { say(A['users.nothingChanged']); return; }
    patch(change, 'users.saved');
  });
  document.getElementById('edit-reset').addEventListener('click', function () {
    clear();
    var pw = document.getElementById('edit-password');
    patch({ password: pw.value }, 'users.passwordReset').then(function () { if (!err.textContent) pw.value = ''; });
  });
  document.getElementById('edit-toggle').addEventListener('click', function () {
    clear();
    var disable = !current.disabled;
    patch({ disabled: disable }, disable ? 'users.disabledDone' : 'users.enabledDone');
  });
  document.getElementById('edit-close').addEventListener('click', function () { clear(); close(); });
  document.getElementById('edit-delete').addEventListener('click', function () {
    clear();
    document.getElementById('delete-question').textContent = gcFill(A['users.deleteConfirm'], { username: current.username });
    document.getElementById('delete-confirm').hidden = false;
  });
  document.getElementById('delete-no').addEventListener('click', function () {
    document.getElementById('delete-confirm').hidden = true;
  });
  document.getElementById('delete-yes').addEventListener('click', function () {
    clear();
    var who = current.username;
    gcAccApi('DELETE', '/api/users/' + encodeURIComponent(who)).then(function (res) {
      document.getElementById('delete-confirm').hidden = true;
      if (!res.ok) { fail(res); return; }
      close();
      return refresh().then(function () { say(gcFill(A['users.deleted'], { username: who })); });
    });
  });
  create.addEventListener('submit', function (ev) {
    ev.preventDefault(); clear();
    var input = {
      username: document.getElementById('new-username').value,
      displayName: document.getElementById('new-displayName').value,
      role: document.getElementById('new-role').value,
      password: document.getElementById('new-password').value
    };
    gcAccApi('POST', '/api/users', input).then(function (res) {
      if (!res.ok) {
        if (gcAccCode(res) === 'ACCOUNT_INVALID') gcAccProblems(res, 'new-');
        else if (gcAccCode(res) === 'USER_EXISTS') gcAccProblem('new-username', A['error.USER_EXISTS']);
        fail(res); return;
      }
      create.reset();
      return refresh().then(function () { say(gcFill(A['users.created'], { username: res.json.user.username })); });
    });
  });
  render();
})();
`;

export const AUDIT_JS = `${ACCOUNTS_COMMON}
(function () {
  var main = document.getElementById('audit-page');
  var query = main.getAttribute('data-query');
  var size = Number(main.getAttribute('data-page-size'));
  var body = document.getElementById('audit-body');
  var older = document.getElementById('audit-older');
  var end = document.getElementById('audit-end');
  var err = document.getElementById('audit-error');
  var fmt = gcAccFmt();
  var before = null;
  window.gcAuditPages = 0;
  function cell(tr, f, text) {
    var td = document.createElement('td'); td.setAttribute('data-f', f); td.textContent = text;
    tr.appendChild(td); return td;
  }
  function details(d) {
    if (!d || typeof d !== 'object') return '';
    return Object.keys(d).map(function (k) {
      var v = d[k];
      return k + ': ' + (typeof v === 'string' ? v : JSON.stringify(v));
    }).join('; ');
  }
  function row(e) {
    var tr = document.createElement('tr');
    tr.setAttribute('data-id', String(e.id));
    tr.setAttribute('data-action', e.action);
    tr.setAttribute('data-outcome', e.outcome);
    tr.setAttribute('data-actor', e.actor === null ? '' : e.actor);
    cell(tr, 'time', fmt.format(e.at));
    // No actor: an anonymous request (a failed sign-in), or the server's command line (no address).
    cell(tr, 'actor', e.actor !== null ? e.actor : e.ip === null ? A['audit.commandLine'] : A['audit.anonymous']);
    var words = A['audit.action.' + e.action];
    cell(tr, 'action', words || e.action).setAttribute('title', e.action);
    cell(tr, 'target', e.target === null ? '' : e.target);
    cell(tr, 'outcome', A['audit.outcome.' + e.outcome] || e.outcome);
    cell(tr, 'ip', e.ip === null ? A['audit.commandLine'] : e.ip);
    cell(tr, 'details', details(e.details));
    return tr;
  }
  function load() {
    older.disabled = true; err.textContent = '';
    var url = '/api/audit?' + (query ? query + '&' : '') + 'limit=' + size + (before !== null ? '&before=' + before : '');
    return gcAccApi('GET', url).then(function (res) {
      older.disabled = false;
      if (!res.ok) { err.textContent = gcFill(A['audit.loadFailed'], { message: gcAccWords(res) }); return; }
      var entries = res.json.entries;
      entries.forEach(function (e) { body.appendChild(row(e)); });
      before = res.json.nextBefore;
      var more = entries.length === size;
      older.hidden = !more;
      end.hidden = more || body.children.length === 0;
      document.getElementById('audit-none').hidden = body.children.length > 0;
      window.gcAuditPages++;
    });
  }
  older.addEventListener('click', load);
  load();
})();
`;
