// @ts-check
/**
 * The account pages' script (/dashboard/users, /dashboard/account, /dashboard/audit; each part runs
 * on the page that has its elements). It calls the accounts API with the session's CSRF header,
 * names the server's refusals with the catalogue's words (`error.<CODE>`, `users.problem.<field>`
 * next to the field), and builds every row with textContent / setAttribute, never innerHTML.
 */
import { api, byId, cell, embedded, fill, timeFormat, valueOf } from '../../dashboard/browser/client.js';

/** @typedef {import('../../dashboard/browser/client.js').Reply} Reply */
/**
 * @typedef {{ username: string, displayName: string, role: string, roles?: string[], disabled: boolean,
 *   lastLoginAt: number | null, createdAt: number }} User
 * @typedef {{ keyid: string, name: string, createdAt: string }} ApproverKey
 * @typedef {{ id: number, at: number, actor: string | null, action: string, target: string | null,
 *   outcome: string, ip: string | null, details: unknown }} AuditEntry
 */

/** @type {Record<string, string>} */
const A = embedded('accounts-msgs');

/** @param {Reply} res */
function code(res) {
  return (res.json && res.json.error && res.json.error.code) || 'HTTP_' + res.status;
}

/**
 * A refusal in the catalogue's words.
 * @param {Reply} res
 */
function words(res) {
  const c = code(res);
  const e = (res.json && res.json.error) || {};
  return A['error.' + c]
    ? fill(A['error.' + c], { seconds: e.retryAfterS || '?' })
    : fill(A['error.other'], { code: c });
}

/** Times as the account pages show them: to the second, in the ops zone. */
function dateTimeFormat() {
  return timeFormat(A['locale'], A['timeZone']);
}

/** @param {HTMLElement} form */
function clearProblems(form) {
  form.querySelectorAll('[data-problem-for]').forEach((p) => {
    p.textContent = '';
  });
}

/**
 * A form's submit: clears what the last try said (its status, its error, each field's problem),
 * then `send` sends it.
 * @param {HTMLFormElement} form
 * @param {HTMLElement} status
 * @param {HTMLElement} err
 * @param {() => void} send
 */
function onSubmit(form, status, err, send) {
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    status.textContent = '';
    err.textContent = '';
    clearProblems(form);
    send();
  });
}

/**
 * Names a problem next to the field it is about.
 * @param {string} id
 * @param {string} text
 */
function problem(id, text) {
  const p = document.querySelector('[data-problem-for="' + id + '"]');
  if (p) p.textContent = text;
}

/**
 * Names each problem of an ACCOUNT_INVALID answer next to its field (prefix + path).
 * @param {Reply} res
 * @param {string} prefix
 * @param {string} [fallbackField]
 */
function problems(res, prefix, fallbackField) {
  /** @type {{ path?: string }[]} */
  let list = (res.json.error && res.json.error.problems) || [];
  if (!list.length && fallbackField) list = [{ path: fallbackField }];
  list.forEach((p) => {
    const name = p.path || fallbackField || '';
    problem(prefix + name, A['users.problem.' + name] || A['users.problem.other']);
  });
}

// ---- the own-password form (the account page)
const ownPassword = /** @type {HTMLFormElement | null} */ (document.getElementById('own-password'));
if (ownPassword) {
  const form = ownPassword;
  const status = byId('own-status');
  const err = byId('own-error');
  onSubmit(form, status, err, () => {
    const cur = valueOf('own-current');
    const next = valueOf('own-new');
    if (next !== valueOf('own-repeat')) {
      problem('own-repeat', A['account.mismatch']);
      return;
    }
    api('POST', '/api/session/password', { currentPassword: cur, newPassword: next }).then((res) => {
      if (res.ok) {
        form.reset();
        status.textContent = A['account.changed'];
        return;
      }
      const c = code(res);
      if (c === 'AUTH_FAILED') problem('own-current', A['error.AUTH_FAILED']);
      else if (c === 'ACCOUNT_INVALID') problem('own-new', A['users.problem.password']);
      else err.textContent = words(res);
    });
  });
}

// ---- the approver's own signing keys (the account page)
const keysBody = document.getElementById('keys-body');
if (keysBody) {
  const body = keysBody;
  const none = byId('keys-none');
  const status = byId('keys-status');
  const err = byId('keys-error');
  const fmt = dateTimeFormat();
  /** How many times the key list was drawn (the tests wait on it). */
  window.gcKeysRendered = 0;
  /** @param {ApproverKey[]} keys */
  const draw = (keys) => {
    body.textContent = '';
    none.hidden = keys.length > 0;
    keys.forEach((k) => {
      const tr = document.createElement('tr');
      tr.setAttribute('data-keyid', k.keyid);
      [k.name, k.keyid, fmt.format(new Date(k.createdAt))].forEach((v) => {
        const td = document.createElement('td');
        td.textContent = v;
        tr.appendChild(td);
      });
      const td = document.createElement('td');
      const rm = document.createElement('button');
      rm.type = 'button';
      rm.className = 'danger';
      rm.textContent = A['account.keys.remove'];
      rm.addEventListener('click', () => {
        api('DELETE', '/api/session/keys/' + encodeURIComponent(k.keyid)).then((res) => {
          if (res.ok) {
            status.textContent = A['account.keys.removed'];
            err.textContent = '';
            return reload();
          }
          err.textContent = words(res);
        });
      });
      td.appendChild(rm);
      tr.appendChild(td);
      body.appendChild(tr);
    });
    window.gcKeysRendered++;
  };
  const reload = () =>
    api('GET', '/api/session/keys').then((res) => {
      if (res.ok) draw(res.json.keys);
      else err.textContent = words(res);
    });
  draw(embedded('keys-data'));
  const ownKey = /** @type {HTMLFormElement | null} */ (document.getElementById('own-key'));
  if (ownKey) {
    const form = ownKey;
    onSubmit(form, status, err, () => {
      const pub = valueOf('key-public');
      const cur = valueOf('key-current');
      api('POST', '/api/session/keys', { currentPassword: cur, publicKey: pub }).then((res) => {
        if (res.ok) {
          form.reset();
          status.textContent = A['account.keys.added'];
          return reload();
        }
        const c = code(res);
        if (c === 'AUTH_FAILED') problem('key-current', A['error.AUTH_FAILED']);
        else if (c === 'ACCOUNT_INVALID') problem('key-public', words(res));
        else err.textContent = words(res);
      });
    });
  }
}

// ---- users (the administrator's page)
const usersPage = document.getElementById('users-page');
if (usersPage) {
  const me = usersPage.getAttribute('data-me');
  const body = byId('users-body');
  const status = byId('users-status');
  const err = byId('users-error');
  const edit = /** @type {HTMLFormElement} */ (byId('edit-user'));
  const create = /** @type {HTMLFormElement} */ (byId('create-user'));
  const fmt = dateTimeFormat();
  /** @type {User[]} */
  let users = embedded('users-data');
  /** @type {User | null} */
  let current = null;
  /** How many times the table was drawn (the tests wait on it). */
  window.gcUsersRendered = 0;
  /** @param {string} text */
  const say = (text) => {
    status.textContent = text;
    err.textContent = '';
  };
  /** @param {Reply} res */
  const fail = (res) => {
    status.textContent = '';
    err.textContent = words(res);
  };
  const clear = () => {
    status.textContent = '';
    err.textContent = '';
    clearProblems(edit);
    clearProblems(create);
  };
  /**
   * Every role of an account, in the table's order.
   * @param {User} u
   */
  const rolesOf = (u) => u.roles || [u.role];
  /**
   * The roles chosen in a (multiple) select, in the table's order.
   * @param {string} id
   */
  const chosenRoles = (id) =>
    Array.from(/** @type {HTMLSelectElement} */ (byId(id)).selectedOptions, (o) => o.value);
  /** @param {User} u */
  const row = (u) => {
    const tr = document.createElement('tr');
    tr.setAttribute('data-username', u.username);
    tr.setAttribute('data-role', u.role);
    tr.setAttribute('data-disabled', u.disabled ? 'yes' : 'no');
    if (u.disabled) tr.className = 'disabled';
    cell(tr, 'username', u.username + (u.username === me ? ' ' + A['users.you'] : ''));
    cell(tr, 'displayName', u.displayName);
    cell(
      tr,
      'role',
      rolesOf(u)
        .map((r) => A['role.' + r] || r)
        .join(', '),
    );
    cell(tr, 'status', A[u.disabled ? 'users.status.disabled' : 'users.status.active']);
    cell(tr, 'lastLogin', u.lastLoginAt ? fmt.format(u.lastLoginAt) : A['users.never']);
    cell(tr, 'created', fmt.format(u.createdAt));
    const b = document.createElement('button');
    b.type = 'button';
    b.setAttribute('data-edit', u.username);
    b.textContent = A['users.edit'];
    cell(tr, 'actions').appendChild(b);
    return tr;
  };
  /**
   * @param {User} u
   * @param {boolean} keepFields
   */
  const open = (u, keepFields) => {
    current = u;
    edit.setAttribute('data-username', u.username);
    byId('edit-title').textContent = fill(A['users.edit.title'], { username: u.username });
    if (!keepFields) {
      /** @type {HTMLInputElement} */ (byId('edit-displayName')).value = u.displayName;
      const held = rolesOf(u);
      for (const o of /** @type {HTMLSelectElement} */ (byId('edit-role')).options)
        o.selected = held.includes(o.value);
      /** @type {HTMLInputElement} */ (byId('edit-password')).value = '';
      byId('delete-confirm').hidden = true;
    }
    byId('edit-toggle').textContent = A[u.disabled ? 'users.enable' : 'users.disable'];
    if (edit.hidden) {
      edit.hidden = false;
      edit.scrollIntoView({ block: 'nearest' });
    }
  };
  const close = () => {
    current = null;
    edit.hidden = true;
    edit.removeAttribute('data-username');
  };
  const render = () => {
    body.replaceChildren(...users.map(row));
    byId('users-none').hidden = users.length > 0;
    if (current) {
      const name = current.username;
      const still = users.filter((u) => u.username === name)[0];
      if (still) open(still, true);
      else close();
    }
    window.gcUsersRendered++;
  };
  const refresh = () =>
    fetch('/dashboard/users/data', { credentials: 'same-origin' })
      .then((r) => (r.ok ? r.json() : null))
      .then((/** @type {{ users: User[] } | null} */ j) => {
        if (j) {
          users = j.users;
          render();
        }
      });
  /** The user being edited (the edit form is only shown with one). */
  const editing = () => /** @type {User} */ (current);
  /**
   * @param {Record<string, unknown>} change
   * @param {string} done the text key said when it worked
   */
  const patch = (change, done) => {
    const who = editing().username;
    return api('PATCH', '/api/users/' + encodeURIComponent(who), change).then((res) => {
      if (!res.ok) {
        if (code(res) === 'ACCOUNT_INVALID') problems(res, 'edit-');
        fail(res);
        return;
      }
      return refresh().then(() => {
        say(fill(A[done], { username: who }));
      });
    });
  };
  body.addEventListener('click', (ev) => {
    const b = /** @type {Element} */ (ev.target).closest('button[data-edit]');
    if (!b) return;
    clear();
    const name = b.getAttribute('data-edit');
    const u = users.filter((x) => x.username === name)[0];
    if (u) open(u, false);
  });
  edit.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clear();
    /** @type {Record<string, unknown>} */
    const change = {};
    const dn = valueOf('edit-displayName');
    const roles = chosenRoles('edit-role');
    if (dn !== editing().displayName) change['displayName'] = dn;
    if (roles.join(',') !== rolesOf(editing()).join(',')) change['roles'] = roles;
    if (!Object.keys(change).length) {
      say(A['users.nothingChanged']);
      return;
    }
    patch(change, 'users.saved');
  });
  byId('edit-reset').addEventListener('click', () => {
    clear();
    const pw = /** @type {HTMLInputElement} */ (byId('edit-password'));
    patch({ password: pw.value }, 'users.passwordReset').then(() => {
      if (!err.textContent) pw.value = '';
    });
  });
  byId('edit-toggle').addEventListener('click', () => {
    clear();
    const disable = !editing().disabled;
    patch({ disabled: disable }, disable ? 'users.disabledDone' : 'users.enabledDone');
  });
  byId('edit-close').addEventListener('click', () => {
    clear();
    close();
  });
  byId('edit-delete').addEventListener('click', () => {
    clear();
    byId('delete-question').textContent = fill(A['users.deleteConfirm'], { username: editing().username });
    byId('delete-confirm').hidden = false;
  });
  byId('delete-no').addEventListener('click', () => {
    byId('delete-confirm').hidden = true;
  });
  byId('delete-yes').addEventListener('click', () => {
    clear();
    const who = editing().username;
    api('DELETE', '/api/users/' + encodeURIComponent(who)).then((res) => {
      byId('delete-confirm').hidden = true;
      if (!res.ok) {
        fail(res);
        return;
      }
      close();
      return refresh().then(() => {
        say(fill(A['users.deleted'], { username: who }));
      });
    });
  });
  create.addEventListener('submit', (ev) => {
    ev.preventDefault();
    clear();
    const input = {
      username: valueOf('new-username'),
      displayName: valueOf('new-displayName'),
      roles: chosenRoles('new-role'),
      password: valueOf('new-password'),
    };
    api('POST', '/api/users', input).then((res) => {
      if (!res.ok) {
        if (code(res) === 'ACCOUNT_INVALID') problems(res, 'new-');
        else if (code(res) === 'USER_EXISTS') problem('new-username', A['error.USER_EXISTS']);
        fail(res);
        return;
      }
      create.reset();
      return refresh().then(() => {
        say(fill(A['users.created'], { username: res.json.user.username }));
      });
    });
  });
  render();
}

// ---- the audit log (auditors and administrators)
const auditPage = document.getElementById('audit-page');
if (auditPage) {
  const query = auditPage.getAttribute('data-query');
  const size = Number(auditPage.getAttribute('data-page-size'));
  const body = byId('audit-body');
  const older = /** @type {HTMLButtonElement} */ (byId('audit-older'));
  const end = byId('audit-end');
  const err = byId('audit-error');
  const fmt = dateTimeFormat();
  /** @type {number | null} */
  let before = null;
  /** How many pages of entries were drawn (the tests wait on it). */
  window.gcAuditPages = 0;
  /** @param {unknown} d */
  const details = (d) => {
    if (!d || typeof d !== 'object') return '';
    const o = /** @type {Record<string, unknown>} */ (d);
    return Object.keys(o)
      .map((k) => {
        const v = o[k];
        return k + ': ' + (typeof v === 'string' ? v : JSON.stringify(v));
      })
      .join('; ');
  };
  /**
   * Who acted, in words. No account: the automatic rollout (`by: 'rollout'`), a machine with the ops
   * token (`via: 'ops-token'`), the server's command line (no address), or an anonymous request (a
   * failed sign-in).
   * @param {AuditEntry} e
   */
  const actorWords = (e) => {
    if (e.actor !== null) return e.actor;
    const d = /** @type {Record<string, unknown>} */ (
      e.details && typeof e.details === 'object' ? e.details : {}
    );
    if (d['by'] === 'rollout') return A['audit.byRollout'];
    if (d['via'] === 'ops-token') return A['audit.viaOpsToken'];
    return e.ip === null ? A['audit.commandLine'] : A['audit.anonymous'];
  };
  /** @param {AuditEntry} e */
  const row = (e) => {
    const tr = document.createElement('tr');
    tr.setAttribute('data-id', String(e.id));
    tr.setAttribute('data-action', e.action);
    tr.setAttribute('data-outcome', e.outcome);
    tr.setAttribute('data-actor', e.actor === null ? '' : e.actor);
    cell(tr, 'time', fmt.format(e.at));
    cell(tr, 'actor', actorWords(e));
    const actionWords = A['audit.action.' + e.action];
    cell(tr, 'action', actionWords || e.action).setAttribute('title', e.action);
    cell(tr, 'target', e.target === null ? '' : e.target);
    cell(tr, 'outcome', A['audit.outcome.' + e.outcome] || e.outcome);
    cell(tr, 'ip', e.ip === null ? A['audit.commandLine'] : e.ip);
    cell(tr, 'details', details(e.details));
    return tr;
  };
  const load = () => {
    older.disabled = true;
    err.textContent = '';
    const url =
      '/api/audit?' +
      (query ? query + '&' : '') +
      'limit=' +
      size +
      (before !== null ? '&before=' + before : '');
    return api('GET', url).then((res) => {
      older.disabled = false;
      if (!res.ok) {
        err.textContent = fill(A['audit.loadFailed'], { message: words(res) });
        return;
      }
      /** @type {AuditEntry[]} */
      const entries = res.json.entries;
      entries.forEach((e) => {
        body.appendChild(row(e));
      });
      before = res.json.nextBefore;
      const more = entries.length === size;
      older.hidden = !more;
      end.hidden = more || body.children.length === 0;
      byId('audit-none').hidden = body.children.length > 0;
      window.gcAuditPages++;
    });
  };
  older.addEventListener('click', load);
  load();
}
