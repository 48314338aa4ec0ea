/**
 * Stylesheet and script of the approval pages (served from /dashboard/static/, same origin, no
 * inline script). Dynamic nodes are built with textContent/setAttribute only.
 *
 * Signing in the browser: the approver's PKCS#8 PEM key (as `gatecast keys generate` writes it) is
 * imported as a NON-extractable Ed25519 CryptoKey; it may be kept in this browser's IndexedDB
 * (structured clone keeps it non-extractable) and is never sent anywhere. A remembered key belongs
 * to the account that remembered it: it is stored under that username and only ever offered to,
 * or used for, that account; a key file chosen in the form always wins over a remembered key.
 * Before signing, the page hashes the bundle.json bytes it shows and refuses unless the hash equals
 * the one inside the signed payload; then the approver confirms in a dialog naming the draft, the
 * site group, the number of files and the SHA-256 of the payload (only a real click confirms: a
 * script's synthetic click does not), and the page signs the canonical bytes the server handed
 * out and posts only {sig, keyid?}.
 */
import { COMMON_JS } from './assets.js';

export const APPROVAL_CSS = `
.kind-emergency { color: #fff; background: var(--err); padding: 0 .4rem; border-radius: 3px; }
td.late, .late { color: var(--err); font-weight: bold; }
.diff ul { margin: .2rem 0 .6rem; padding-left: 1.2rem; }
.diff li.added { color: var(--ok); } .diff li.removed { color: var(--err); } .diff li.changed { color: var(--dim); }
.note { background: #eef6ff; padding: .4rem .6rem; border-left: 3px solid #0f3a5f; }
.empty { color: #555; font-style: italic; }
#manifest { background: #fff; border: 1px solid #ddd; padding: .5rem; max-height: 28rem; overflow: auto; white-space: pre-wrap; }
#sign { background: #fff; padding: .6rem 1rem; border: 1px solid #cbd5e1; border-radius: 6px; margin: 1rem 0; }
#sign label, #emergency-form label { display: block; margin: .5rem 0 .2rem; }
#sign label.check { display: flex; gap: .4rem; align-items: center; }
#sign button, #emergency-form button, button.danger, .em-end { margin-top: .6rem; padding: .35rem .9rem; }
#sign-result[data-state="published"], #sign-state[data-state="published"] { color: var(--ok); font-weight: bold; }
#sign-result[data-state="failed"], #sign-result[data-state="refused"] { color: var(--err); font-weight: bold; }
#manifest-check.bad { color: var(--err); font-weight: bold; } #manifest-check.ok { color: var(--ok); }
#emergency-form { background: #fff; padding: .6rem 1rem; border-radius: 6px; max-width: 48rem; }
#emergency-form fieldset { margin: .5rem 0; } #emergency-form input, #emergency-form textarea { width: 100%; box-sizing: border-box; }
#em-result[data-state="failed"] { color: var(--err); font-weight: bold; }
button.danger { color: #fff; background: var(--err); border: none; border-radius: 4px; }
#review-items .item, #review-files .file { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: .4rem .8rem; margin: .6rem 0; }
.langs { display: flex; flex-wrap: wrap; gap: .8rem; } .langs .lang { flex: 1 1 14rem; min-width: 12rem; }
.lang.changed { border-left: 3px solid #b45309; padding-left: .4rem; }
.lang h4 { margin: .2rem 0; } .text-body { white-space: pre-wrap; }
.before { opacity: .75; } .tag { font-size: .8em; background: #e2e8f0; padding: 0 .3rem; border-radius: 3px; margin-right: .3rem; }
img.thumb, video.thumb { display: block; max-width: 16rem; max-height: 10rem; border: 1px solid #ccc; margin: .3rem 0; }
iframe.html-preview { display: block; width: 100%; max-width: 32rem; height: 14rem; border: 1px solid #999; background: #fff; }
pre.source { background: #fff; border: 1px solid #ddd; padding: .4rem; max-height: 24rem; overflow: auto; white-space: pre-wrap; }
pre.source .add { background: #dcfce7; display: block; } pre.source .del { background: #fee2e2; display: block; text-decoration: line-through; }
pre.source .same { display: block; } .dim { color: var(--dim); }
.change-added { color: var(--ok); } .change-removed { color: var(--err); } .change-changed { color: #b45309; }
dialog#sign-confirm { max-width: 36rem; } dialog#sign-confirm code { word-break: break-all; }
`;

const APPROVAL = `
(function () {
  var A = (function () { var el = document.getElementById('approval-msgs'); return el ? JSON.parse(el.textContent) : {}; })();
  function T(k, p) { return gcFill(A[k] || k, p || {}); }
  function api(method, url, body) {
    var headers = { 'x-csrf-token': gcCsrf() };
    if (body !== undefined) headers['content-type'] = 'application/json';
    return fetch(url, { method: method, credentials: 'same-origin', headers: headers, body: body !== undefined ? JSON.stringify(body) : undefined })
      .then(function (res) {
        return res.text().then(function (text) {
          var json = null;
          try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
          return { status: res.status, ok: res.ok, body: json };
        });
      });
  }
  function errorText(r) {
    var e = r.body && r.body.error;
    if (!e) return 'HTTP ' + r.status;
    if (e.code === 'EMERGENCY_LANGUAGE_MISSING') {
      var langs = (e.problems || []).map(function (p) { return String(p.path).replace(/^text[.]/, ''); });
      return T('err.EMERGENCY_LANGUAGE_MISSING', { languages: langs.join(', ') });
    }
    return A['err.' + e.code] ? T('err.' + e.code) : e.message;
  }
  function b64ToBytes(s) {
    var bin = atob(s); var out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  function hex(buf) {
    return Array.from(new Uint8Array(buf)).map(function (b) { return (b < 16 ? '0' : '') + b.toString(16); }).join('');
  }
  function say(el, text, state) { el.textContent = text; if (state) el.setAttribute('data-state', state); }
  function fmtTime(iso, tz) {
    try {
      return new Intl.DateTimeFormat(A.locale, { timeZone: tz || undefined, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false, timeZoneName: 'short' }).format(Date.parse(iso));
    } catch (e) { return iso; }
  }
  function link(href, text) { var a = document.createElement('a'); a.setAttribute('href', href); a.textContent = text; return a; }

  // ---- keys remembered in this browser (IndexedDB holds the CryptoKey object itself), per account.
  // Version 2 keys them by "<username> <keyid>"; version 1 kept keys of no account: they are dropped.
  function keyDb() {
    return new Promise(function (resolve, reject) {
      var r = indexedDB.open('gatecast-approver-keys', 2);
      r.onupgradeneeded = function () {
        var db = r.result;
        if (db.objectStoreNames.contains('keys')) db.deleteObjectStore('keys');
        if (!db.objectStoreNames.contains('account-keys')) db.createObjectStore('account-keys', { keyPath: 'id' });
      };
      r.onsuccess = function () { resolve(r.result); };
      r.onerror = function () { reject(r.error); };
    });
  }
  function keyTx(mode, fn) {
    return keyDb().then(function (d) {
      return new Promise(function (resolve, reject) {
        var t = d.transaction('account-keys', mode); var req = fn(t.objectStore('account-keys'));
        t.oncomplete = function () { d.close(); resolve(req ? req.result : undefined); };
        t.onerror = function () { d.close(); reject(t.error); };
      });
    });
  }
  function keyRecordId(username, keyid) { return username + ' ' + keyid; }
  function pemToDer(text) {
    var m = /-----BEGIN PRIVATE KEY-----([^-]+)-----END PRIVATE KEY-----/.exec(text);
    if (!m) throw new Error('not a PKCS#8 PEM private key (-----BEGIN PRIVATE KEY-----)');
    return b64ToBytes(m[1].replace(/[^A-Za-z0-9+/=]/g, ''));
  }
  async function ed25519Supported() {
    if (!window.isSecureContext || !window.crypto || !crypto.subtle) return false;
    try { await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']); return true; } catch (e) { return false; }
  }

  // ---- one draft: show the signed bundle.json, check it, sign
  var dataEl = document.getElementById('draft-data');
  if (dataEl) {
    var D = JSON.parse(dataEl.textContent);
    var manifestBytes = b64ToBytes(D.manifest);
    var canonical = b64ToBytes(D.canonical);
    document.getElementById('manifest').textContent = new TextDecoder().decode(manifestBytes);
    var check = document.getElementById('manifest-check');
    var checkHash = async function () {
      var shown = hex(await crypto.subtle.digest('SHA-256', manifestBytes));
      var payload = null;
      try { payload = JSON.parse(new TextDecoder().decode(canonical)); } catch (e) { payload = null; }
      var t = payload && payload._type === 'targets' && payload.targets ? payload.targets[D.bundlePath] : null;
      var signed = t && t.hashes && t.hashes.sha256 ? String(t.hashes.sha256) : '';
      return { ok: signed !== '' && signed === shown, shown: shown, signed: signed || '—' };
    };
    if (window.crypto && crypto.subtle)
      checkHash().then(function (h) {
        check.textContent = h.ok ? T('sign.hashOk') : T('sign.hashMismatch', h);
        check.className = h.ok ? 'ok' : 'bad';
      });
    var discard = document.getElementById('discard');
    if (discard) discard.addEventListener('click', function () {
      api('DELETE', '/api/content/drafts/' + encodeURIComponent(D.id)).then(function (r) {
        if (r.ok) location.href = '/dashboard/drafts';
        else say(document.getElementById('sign-result') || check, errorText(r), 'failed');
      });
    });
    var form = document.getElementById('sign-form');
    if (form) {
      var section = document.getElementById('sign');
      var result = document.getElementById('sign-result');
      var saved = document.getElementById('sign-saved');
      var fileInput = document.getElementById('sign-key');
      var remember = document.getElementById('sign-remember');
      var savedMap = new Map();
      var loadSaved = function () {
        return keyTx('readonly', function (s) { return s.getAll(); }).then(function (list) {
          savedMap.clear();
          while (saved.options.length > 1) saved.remove(1);
          (list || []).filter(function (k) {
            return k.username === D.username && k.id === keyRecordId(D.username, k.keyid) && k.siteGroup === D.siteGroup;
          }).forEach(function (k) {
            savedMap.set(k.keyid, k);
            var o = document.createElement('option'); o.value = k.keyid;
            o.textContent = k.name + ' (' + k.keyid.slice(0, 12) + '…)';
            saved.appendChild(o);
          });
          if (savedMap.size) saved.value = saved.options[1].value;
        }).catch(function () { /* no IndexedDB here: files only */ });
      };
      document.getElementById('sign-forget').addEventListener('click', function () {
        if (!saved.value || !savedMap.has(saved.value)) return;
        keyTx('readwrite', function (s) { return s.delete(keyRecordId(D.username, saved.value)); }).then(loadSaved);
      });
      // The approver's own act: resolves true only on a real click of "Sign" in the dialog.
      var dialog = document.getElementById('sign-confirm');
      var confirmSigning = function (facts) {
        document.getElementById('sign-confirm-text').textContent = T('sign.confirmText', facts);
        document.getElementById('sign-confirm-key').textContent = T('sign.confirmKey', { key: facts.key });
        return new Promise(function (resolve) {
          var ok = document.getElementById('sign-confirm-ok');
          var cancel = document.getElementById('sign-confirm-cancel');
          var done = function (v) {
            ok.removeEventListener('click', onOk); cancel.removeEventListener('click', onCancel);
            dialog.removeEventListener('cancel', onCancel);
            if (dialog.open) dialog.close();
            resolve(v);
          };
          var onOk = function (ev) { if (ev.isTrusted) done(true); };
          var onCancel = function () { done(false); };
          ok.addEventListener('click', onOk); cancel.addEventListener('click', onCancel);
          dialog.addEventListener('cancel', onCancel);
          dialog.showModal();
        });
      };
      ed25519Supported().then(function (ok) {
        if (!ok) { document.getElementById('sign-unsupported').hidden = false; section.setAttribute('data-state', 'unsupported'); return; }
        form.hidden = false;
        section.setAttribute('data-state', 'ready');
        loadSaved();
      });
      form.addEventListener('submit', async function (ev) {
        ev.preventDefault();
        var key = null, keyid = '', name = '', fromFile = false;
        var f = fileInput.files && fileInput.files[0];
        if (f) {
          // A chosen key file is what the approver means: it is used, never a remembered key.
          try {
            key = await crypto.subtle.importKey('pkcs8', pemToDer(await f.text()), { name: 'Ed25519' }, false, ['sign']);
          } catch (e) { say(result, T('sign.badKey', { message: (e && e.message) || String(e) }), 'failed'); return; }
          name = f.name.replace(/[.]key$/, ''); fromFile = true;
        } else if (saved.value && savedMap.has(saved.value)) {
          var rec = savedMap.get(saved.value);
          if (rec.username !== D.username) { say(result, T('sign.needKey'), 'failed'); return; }
          key = rec.key; keyid = rec.keyid; name = rec.name;
        } else { say(result, T('sign.needKey'), 'failed'); return; }
        var h = await checkHash();
        if (!h.ok) { say(result, T('sign.hashMismatch', h), 'refused'); return; }
        var digest = hex(await crypto.subtle.digest('SHA-256', canonical));
        section.setAttribute('data-state', 'confirming');
        var confirmed = await confirmSigning({
          user: D.username, id: D.id, siteGroup: D.siteGroup, files: D.fileCount, digest: digest,
          key: keyid ? name + ' (' + keyid.slice(0, 12) + '…)' : name,
        });
        if (!confirmed) { section.setAttribute('data-state', 'ready'); say(result, T('sign.cancelled'), 'cancelled'); return; }
        say(result, T('sign.working'), 'working');
        var sig = hex(await crypto.subtle.sign({ name: 'Ed25519' }, key, canonical));
        // The digest the approver confirmed: the server refuses the signature if the draft changed since.
        var body = { sig: sig, payloadSha256: digest };
        if (keyid) body.keyid = keyid;
        var r = await api('POST', '/api/content/drafts/' + encodeURIComponent(D.id) + '/signatures', body);
        if (!r.ok) { say(result, T('sign.failed', { message: errorText(r) }), 'failed'); return; }
        var out = r.body;
        if (fromFile && remember.checked && out.keyid) {
          try {
            await keyTx('readwrite', function (s) {
              return s.put({ id: keyRecordId(D.username, out.keyid), username: D.username, keyid: out.keyid, name: name, key: key, siteGroup: D.siteGroup, savedAt: Date.now() });
            });
            fileInput.value = '';
            await loadSaved();
          } catch (e) { /* remembering is a convenience; the signature is already in */ }
        }
        var count = document.getElementById('sig-count');
        count.setAttribute('data-have', String(out.draft.signatures.length));
        count.textContent = T('sig.count', { have: out.draft.signatures.length, need: out.draft.threshold });
        var last = out.draft.signatures[out.draft.signatures.length - 1];
        if (last) {
          var tr = document.createElement('tr'); tr.setAttribute('data-keyid', last.keyid);
          [last.by || '—', last.keyid.slice(0, 16) + '…', fmtTime(last.at, D.timezone)].forEach(function (v) { var td = document.createElement('td'); td.textContent = v; tr.appendChild(td); });
          document.querySelector('#signatures tbody').appendChild(tr);
        }
        if (out.published) { say(result, T('sign.published', { version: out.published.version }), 'published'); form.hidden = true; }
        else if (out.publishProblem) say(result, T('sign.publishProblem', { message: out.publishProblem.message }), 'failed');
        else say(result, T('sign.done', { have: out.draft.signatures.length, need: out.draft.threshold }), 'signed');
        section.setAttribute('data-state', out.published ? 'published' : 'signed');
      });
    }
  }

  // ---- emergency messages
  var emForm = document.getElementById('emergency-form');
  var emResult = document.getElementById('em-result');
  function emOutcome(r, key) {
    emResult.textContent = '';
    if (!r.ok) { say(emResult, T('emergency.failed', { message: errorText(r) }), 'failed'); return; }
    var d = r.body.draft;
    var sel = document.getElementById('em-site-group');
    var opt = sel ? sel.querySelector('option[value="' + CSS.escape(d.siteGroup) + '"]') : null;
    var tz = opt ? opt.getAttribute('data-tz') : undefined;
    emResult.setAttribute('data-state', 'created');
    emResult.setAttribute('data-draft', d.id);
    emResult.appendChild(document.createTextNode(T(key, { id: d.id, deadline: fmtTime(d.approveBy, tz) }) + ' '));
    emResult.appendChild(link('/dashboard/drafts/' + encodeURIComponent(d.id), T('emergency.review')));
  }
  if (emForm) {
    var sel = document.getElementById('em-site-group');
    var showGroup = function () {
      document.querySelectorAll('.em-langs').forEach(function (d) { d.hidden = d.getAttribute('data-site-group') !== sel.value; });
    };
    sel.addEventListener('change', showGroup);
    showGroup();
    emForm.addEventListener('submit', function (ev) {
      ev.preventDefault();
      var box = document.querySelector('.em-langs[data-site-group="' + CSS.escape(sel.value) + '"]');
      var text = {};
      box.querySelectorAll('fieldset[data-lang]').forEach(function (fs) {
        var title = fs.querySelector('input[name="title"]').value.trim();
        var body = fs.querySelector('textarea[name="body"]').value;
        if (title || body.trim()) text[fs.getAttribute('data-lang')] = title ? { title: title, body: body } : { body: body };
      });
      var button = document.getElementById('em-submit');
      button.disabled = true;
      say(emResult, T('emergency.working'), 'working');
      api('POST', '/api/content/emergencies', { siteGroup: sel.value, text: text, durationMinutes: Number(document.getElementById('em-duration').value) })
        .then(function (r) { emOutcome(r, 'emergency.created'); })
        .finally(function () { button.disabled = false; });
    });
  }
  document.querySelectorAll('button.em-end').forEach(function (b) {
    b.addEventListener('click', function () {
      b.disabled = true;
      api('POST', '/api/content/emergencies/end', { siteGroup: b.getAttribute('data-site-group'), id: b.getAttribute('data-id') })
        .then(function (r) { emOutcome(r, 'emergency.ended'); })
        .finally(function () { b.disabled = false; });
    });
  });
})();
`;

export const APPROVAL_JS = `${COMMON_JS}\n${APPROVAL}`;
