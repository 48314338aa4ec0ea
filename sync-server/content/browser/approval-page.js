// @ts-check
/**
 * The approval pages (/dashboard/drafts, /dashboard/drafts/:id, /dashboard/emergency): on a draft,
 * shows the signed bundle.json and checks it against the payload, discards the draft, and signs it
 * in the browser (see signing.js); on the emergency page, creates and ends emergency messages.
 *
 * Signing: a key file chosen in the form always wins over a remembered key; the approver confirms
 * in a dialog naming the draft, the site group, the number of files and the SHA-256 of the payload
 * (only a real click confirms: a script's synthetic click does not); the page posts only
 * {sig, payloadSha256, keyid?}.
 */
import { api, byId, el, embedded, fill, timeFormat } from '../../dashboard/browser/client.js';
import {
  base64ToBytes,
  checkShownManifest,
  ed25519Supported,
  importSigningKey,
  keyLabel,
  keyRecordId,
  keysFor,
  sha256Hex,
  signHex,
} from './signing.js';

/** @typedef {import('../../dashboard/browser/client.js').Reply} Reply */
/** @typedef {import('./signing.js').RememberedKey} RememberedKey */

/** @type {Record<string, string>} */
const A = embedded('approval-msgs');

/**
 * A text of the catalogue, filled.
 * @param {string} k
 * @param {Record<string, unknown>} [p]
 */
function T(k, p) {
  return fill(A[k] || k, p || {});
}

/**
 * A refusal in the catalogue's words (the server's message when the catalogue has none).
 * @param {Reply} r
 */
function errorText(r) {
  const e = r.json && r.json.error;
  if (!e) return 'HTTP ' + r.status;
  if (e.code === 'EMERGENCY_LANGUAGE_MISSING') {
    const langs = (e.problems || []).map((/** @type {{ path: unknown }} */ p) =>
      String(p.path).replace(/^text[.]/, ''),
    );
    return T('err.EMERGENCY_LANGUAGE_MISSING', { languages: langs.join(', ') });
  }
  return A['err.' + e.code] ? T('err.' + e.code) : e.message;
}

/**
 * @param {HTMLElement} el
 * @param {string} text
 * @param {string} [state] the element's data-state
 */
function say(el, text, state) {
  el.textContent = text;
  if (state) el.setAttribute('data-state', state);
}

/**
 * @param {string} iso
 * @param {string | null | undefined} tz
 */
function fmtTime(iso, tz) {
  try {
    return timeFormat(A['locale'], tz || undefined, { zoneName: true }).format(Date.parse(iso));
  } catch {
    return iso; // a zone this browser does not know: the instant as the server wrote it
  }
}

/**
 * @param {string} href
 * @param {string} text
 */
function link(href, text) {
  const a = document.createElement('a');
  a.setAttribute('href', href);
  a.textContent = text;
  return a;
}

// ---- keys remembered in this browser (IndexedDB holds the CryptoKey object itself), per account.
// Version 2 keys them by "<username> <keyid>"; version 1 kept keys of no account: they are dropped.

/** @returns {Promise<IDBDatabase>} */
function keyDb() {
  return new Promise((resolve, reject) => {
    const r = indexedDB.open('gatecast-approver-keys', 2);
    r.onupgradeneeded = () => {
      const db = r.result;
      if (db.objectStoreNames.contains('keys')) db.deleteObjectStore('keys');
      if (!db.objectStoreNames.contains('account-keys'))
        db.createObjectStore('account-keys', { keyPath: 'id' });
    };
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

/**
 * @template T
 * @param {IDBTransactionMode} mode
 * @param {(store: IDBObjectStore) => IDBRequest<T> | null} fn
 * @returns {Promise<T | undefined>}
 */
function keyTx(mode, fn) {
  return keyDb().then(
    (d) =>
      new Promise((resolve, reject) => {
        const t = d.transaction('account-keys', mode);
        const req = fn(t.objectStore('account-keys'));
        t.oncomplete = () => {
          d.close();
          resolve(req ? req.result : undefined);
        };
        t.onerror = () => {
          d.close();
          reject(t.error);
        };
      }),
  );
}

/**
 * The draft the page shows, as the server embeds it.
 * @typedef {{ id: string, manifest: string, canonical: string, bundlePath: string, username: string,
 *   siteGroup: string, fileCount: number, timezone: string }} DraftData
 */

// ---- one draft: show the signed bundle.json, check it, sign
const dataEl = document.getElementById('draft-data');
if (dataEl) draftPage(JSON.parse(dataEl.textContent || 'null'));

/** @param {DraftData} D */
function draftPage(D) {
  const manifestBytes = base64ToBytes(D.manifest);
  const canonical = base64ToBytes(D.canonical);
  byId('manifest').textContent = new TextDecoder().decode(manifestBytes);
  const check = byId('manifest-check');
  const checkHash = () => checkShownManifest(manifestBytes, canonical, D.bundlePath);
  if (window.crypto && crypto.subtle)
    checkHash().then((h) => {
      check.textContent = h.ok ? T('sign.hashOk') : T('sign.hashMismatch', h);
      check.className = h.ok ? 'ok' : 'bad';
    });
  const discard = document.getElementById('discard');
  if (discard)
    discard.addEventListener('click', () => {
      api('DELETE', '/api/content/drafts/' + encodeURIComponent(D.id)).then((r) => {
        if (r.ok) location.href = '/dashboard/drafts';
        else say(document.getElementById('sign-result') || check, errorText(r), 'failed');
      });
    });
  /**
   * A form that posts one text field to the draft's `action`, then reloads the page to show the
   * draft's new state (or says why not).
   * @param {string} formId
   * @param {string} fieldId
   * @param {string} action
   * @param {string} field
   * @param {string} doneKey
   */
  const textAction = (formId, fieldId, action, field, doneKey) => {
    const f = document.getElementById(formId);
    if (!f) return;
    const out = byId(formId.replace('-form', '-result'));
    f.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const value = /** @type {HTMLTextAreaElement} */ (byId(fieldId)).value;
      api('POST', '/api/content/drafts/' + encodeURIComponent(D.id) + '/' + action, { [field]: value }).then(
        (r) => {
          if (!r.ok) {
            say(out, errorText(r), 'failed');
            return;
          }
          say(out, T(doneKey), 'done');
          location.reload();
        },
      );
    });
  };
  textAction('reject-form', 'reject-comment', 'reject', 'comment', 'reject.done');
  textAction('resubmit-form', 'resubmit-note', 'resubmit', 'note', 'resubmit.done');
  const signForm = /** @type {HTMLFormElement | null} */ (document.getElementById('sign-form'));
  if (!signForm) return;
  const form = signForm;
  const section = byId('sign');
  const result = byId('sign-result');
  const saved = /** @type {HTMLSelectElement} */ (byId('sign-saved'));
  const fileInput = /** @type {HTMLInputElement} */ (byId('sign-key'));
  const remember = /** @type {HTMLInputElement} */ (byId('sign-remember'));
  /** @type {Map<string, RememberedKey>} */
  const savedMap = new Map();
  const loadSaved = () =>
    keyTx('readonly', (s) => /** @type {IDBRequest<RememberedKey[]>} */ (s.getAll()))
      .then((list) => {
        savedMap.clear();
        while (saved.options.length > 1) saved.remove(1);
        keysFor(list || [], D.username, D.siteGroup).forEach((k) => {
          savedMap.set(k.keyid, k);
          const o = document.createElement('option');
          o.value = k.keyid;
          o.textContent = keyLabel(k.name, k.keyid);
          saved.appendChild(o);
        });
        if (savedMap.size) saved.value = /** @type {HTMLOptionElement} */ (saved.options[1]).value;
      })
      .catch(() => {
        /* no IndexedDB here: files only */
      });
  byId('sign-forget').addEventListener('click', () => {
    if (!saved.value || !savedMap.has(saved.value)) return;
    keyTx('readwrite', (s) => s.delete(keyRecordId(D.username, saved.value))).then(loadSaved);
  });
  // The approver's own act: resolves true only on a real click of "Sign" in the dialog.
  const dialog = /** @type {HTMLDialogElement} */ (byId('sign-confirm'));
  /**
   * @param {Record<string, unknown> & { key: string }} facts
   * @returns {Promise<boolean>}
   */
  const confirmSigning = (facts) => {
    byId('sign-confirm-text').textContent = T('sign.confirmText', facts);
    byId('sign-confirm-key').textContent = T('sign.confirmKey', { key: facts.key });
    return new Promise((resolve) => {
      const ok = byId('sign-confirm-ok');
      const cancel = byId('sign-confirm-cancel');
      /** @param {boolean} v */
      const done = (v) => {
        ok.removeEventListener('click', onOk);
        cancel.removeEventListener('click', onCancel);
        dialog.removeEventListener('cancel', onCancel);
        if (dialog.open) dialog.close();
        resolve(v);
      };
      /** @param {Event} ev */
      const onOk = (ev) => {
        if (ev.isTrusted) done(true);
      };
      const onCancel = () => done(false);
      ok.addEventListener('click', onOk);
      cancel.addEventListener('click', onCancel);
      dialog.addEventListener('cancel', onCancel);
      dialog.showModal();
    });
  };
  ed25519Supported().then((ok) => {
    if (!ok) {
      byId('sign-unsupported').hidden = false;
      section.setAttribute('data-state', 'unsupported');
      return;
    }
    form.hidden = false;
    section.setAttribute('data-state', 'ready');
    loadSaved();
  });
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    /** @type {CryptoKey} */
    let key;
    let keyid = '';
    /** @type {string} */
    let name;
    let fromFile = false;
    const f = fileInput.files && fileInput.files[0];
    const rec = saved.value ? savedMap.get(saved.value) : undefined;
    if (f) {
      // A chosen key file is what the approver means: it is used, never a remembered key.
      try {
        key = await importSigningKey(await f.text());
      } catch (e) {
        say(
          result,
          T('sign.badKey', { message: (e && /** @type {Error} */ (e).message) || String(e) }),
          'failed',
        );
        return;
      }
      name = f.name.replace(/[.]key$/, '');
      fromFile = true;
    } else if (rec) {
      if (rec.username !== D.username) {
        say(result, T('sign.needKey'), 'failed');
        return;
      }
      key = rec.key;
      keyid = rec.keyid;
      name = rec.name;
    } else {
      say(result, T('sign.needKey'), 'failed');
      return;
    }
    const h = await checkHash();
    if (!h.ok) {
      say(result, T('sign.hashMismatch', h), 'refused');
      return;
    }
    const digest = await sha256Hex(canonical);
    section.setAttribute('data-state', 'confirming');
    const confirmed = await confirmSigning({
      user: D.username,
      id: D.id,
      siteGroup: D.siteGroup,
      files: D.fileCount,
      digest,
      key: keyLabel(name, keyid),
    });
    if (!confirmed) {
      section.setAttribute('data-state', 'ready');
      say(result, T('sign.cancelled'), 'cancelled');
      return;
    }
    say(result, T('sign.working'), 'working');
    const sig = await signHex(key, canonical);
    // The digest the approver confirmed: the server refuses the signature if the draft changed since.
    /** @type {{ sig: string, payloadSha256: string, keyid?: string }} */
    const body = { sig, payloadSha256: digest };
    if (keyid) body.keyid = keyid;
    const r = await api('POST', '/api/content/drafts/' + encodeURIComponent(D.id) + '/signatures', body);
    if (!r.ok) {
      say(result, T('sign.failed', { message: errorText(r) }), 'failed');
      return;
    }
    const out = r.json;
    if (fromFile && remember.checked && out.keyid) {
      try {
        /** @type {RememberedKey} */
        const record = {
          id: keyRecordId(D.username, out.keyid),
          username: D.username,
          keyid: out.keyid,
          name,
          key,
          siteGroup: D.siteGroup,
          savedAt: Date.now(),
        };
        await keyTx('readwrite', (s) => s.put(record));
        fileInput.value = '';
        await loadSaved();
      } catch {
        /* remembering is a convenience; the signature is already in */
      }
    }
    const count = byId('sig-count');
    count.setAttribute('data-have', String(out.draft.signatures.length));
    count.textContent = T('sig.count', { have: out.draft.signatures.length, need: out.draft.threshold });
    const last = out.draft.signatures[out.draft.signatures.length - 1];
    if (last) {
      const tr = document.createElement('tr');
      tr.setAttribute('data-keyid', last.keyid);
      [last.by || '—', last.keyid.slice(0, 16) + '…', fmtTime(last.at, D.timezone)].forEach((v) => {
        const td = document.createElement('td');
        td.textContent = v;
        tr.appendChild(td);
      });
      /** @type {HTMLElement} */ (document.querySelector('#signatures tbody')).appendChild(tr);
    }
    if (out.published) {
      say(result, T('sign.published', { version: out.published.version }), 'published');
      form.hidden = true;
    } else if (out.publishProblem)
      say(result, T('sign.publishProblem', { message: out.publishProblem.message }), 'failed');
    else
      say(result, T('sign.done', { have: out.draft.signatures.length, need: out.draft.threshold }), 'signed');
    section.setAttribute('data-state', out.published ? 'published' : 'signed');
  });
}

// ---- emergency messages
const emForm = document.getElementById('emergency-form');
const emResult = document.getElementById('em-result');

/**
 * @param {Reply} r
 * @param {string} key the text saying what was done
 */
function emOutcome(r, key) {
  const out = /** @type {HTMLElement} */ (emResult);
  out.textContent = '';
  if (!r.ok) {
    say(out, T('emergency.failed', { message: errorText(r) }), 'failed');
    return;
  }
  const d = r.json.draft;
  const sel = document.getElementById('em-site-group');
  const opt = sel ? sel.querySelector('option[value="' + CSS.escape(d.siteGroup) + '"]') : null;
  const tz = opt ? opt.getAttribute('data-tz') : undefined;
  out.setAttribute('data-state', 'created');
  out.setAttribute('data-draft', d.id);
  out.appendChild(document.createTextNode(T(key, { id: d.id, deadline: fmtTime(d.approveBy, tz) }) + ' '));
  out.appendChild(link('/dashboard/drafts/' + encodeURIComponent(d.id), T('emergency.review')));
}

if (emForm) {
  const sel = /** @type {HTMLSelectElement} */ (byId('em-site-group'));
  const showGroup = () => {
    document.querySelectorAll('.em-langs').forEach((node) => {
      const d = /** @type {HTMLElement} */ (node);
      d.hidden = d.getAttribute('data-site-group') !== sel.value;
    });
  };
  sel.addEventListener('change', showGroup);
  showGroup();
  emForm.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const box = /** @type {HTMLElement} */ (
      document.querySelector('.em-langs[data-site-group="' + CSS.escape(sel.value) + '"]')
    );
    /** @type {Record<string, { title?: string, body: string }>} */
    const text = {};
    box.querySelectorAll('fieldset[data-lang]').forEach((fs) => {
      const title = /** @type {HTMLInputElement} */ (fs.querySelector('input[name="title"]')).value.trim();
      const body = /** @type {HTMLTextAreaElement} */ (fs.querySelector('textarea[name="body"]')).value;
      if (title || body.trim())
        text[/** @type {string} */ (fs.getAttribute('data-lang'))] = title ? { title, body } : { body };
    });
    const button = /** @type {HTMLButtonElement} */ (byId('em-submit'));
    button.disabled = true;
    say(/** @type {HTMLElement} */ (emResult), T('emergency.working'), 'working');
    api('POST', '/api/content/emergencies', {
      siteGroup: sel.value,
      text,
      durationMinutes: Number(/** @type {HTMLInputElement} */ (byId('em-duration')).value),
    })
      .then((r) => emOutcome(r, 'emergency.created'))
      .finally(() => {
        button.disabled = false;
      });
  });
}
document.querySelectorAll('button.em-end').forEach((node) => {
  const b = /** @type {HTMLButtonElement} */ (node);
  b.addEventListener('click', () => {
    b.disabled = true;
    api('POST', '/api/content/emergencies/end', {
      siteGroup: b.getAttribute('data-site-group'),
      id: b.getAttribute('data-id'),
    })
      .then((r) => emOutcome(r, 'emergency.ended'))
      .finally(() => {
        b.disabled = false;
      });
  });
});

// The drafts page's versions list: a published version comes back as a new draft for approval.
for (const b of /** @type {NodeListOf<HTMLButtonElement>} */ (document.querySelectorAll('.restore-version')))
  b.addEventListener('click', () => {
    const out = byId('versions-result');
    say(out, T('versions.restoring'), 'working');
    b.disabled = true;
    api('POST', '/api/publish/drafts/restore', {
      siteGroup: b.dataset['siteGroup'],
      version: Number(b.dataset['version']),
    }).then((r) => {
      b.disabled = false;
      if (r.ok && r.json && r.json.id) location.href = '/dashboard/drafts/' + encodeURIComponent(r.json.id);
      else say(out, T('versions.failed', { message: errorText(r) }), 'failed');
    });
  });

// The drafts page's out-of-date drafts: rebase (after the three-way difference, a choice for each
// entry changed on both sides) or discard, each confirmed in the dialog.
/** @typedef {{ section: string, id: string }} MergeRef */
const staleDialog = /** @type {HTMLDialogElement | null} */ (document.getElementById('stale-dialog'));
if (staleDialog) {
  const dialog = staleDialog;
  const out = byId('stale-result');
  const list = byId('stale-diff');
  /** @type {(() => void) | null} */
  let onConfirm = null;
  /** @type {Record<string, string>} */
  let choices = {};
  byId('stale-cancel').addEventListener('click', () => dialog.close());
  byId('stale-confirm').addEventListener('click', () => {
    const act = onConfirm;
    dialog.close();
    if (act) act();
  });
  /** @param {string} id */
  const rowOf = (id) => document.querySelector('#stale tr[data-draft="' + CSS.escape(id) + '"]');
  /**
   * @param {string} title
   * @param {() => void} act
   */
  const ask = (title, act) => {
    byId('stale-dialog-title').textContent = title;
    onConfirm = act;
    dialog.showModal();
  };
  /** @param {{ undone: MergeRef[], conflicts: MergeRef[], endedEmergencies: string[] }} d */
  const showDifference = (d) => {
    list.textContent = '';
    choices = {};
    /** @param {MergeRef} r @param {string} key */
    const row = (r, key) => {
      const li = el(
        'li',
        { 'data-ref': r.section + ':' + r.id },
        T('stale.section.' + r.section) + ' ' + r.id + ': ' + T(key),
      );
      list.appendChild(li);
      return li;
    };
    d.undone.forEach((r) => row(r, 'stale.undone'));
    d.conflicts.forEach((r) => {
      const key = r.section + ':' + r.id;
      const pick = el('select', { 'aria-label': key, name: key });
      for (const [v, k] of [
        ['', ''],
        ['mine', 'stale.mine'],
        ['theirs', 'stale.theirs'],
      ])
        pick.appendChild(
          el('option', { value: /** @type {string} */ (v) }, k ? T(/** @type {string} */ (k)) : '—'),
        );
      pick.addEventListener('change', () => {
        if (pick.value) choices[key] = pick.value;
        else delete choices[key];
      });
      row(r, 'stale.conflicts').appendChild(pick);
    });
    d.endedEmergencies.forEach((id) => row({ section: 'emergency', id }, 'stale.ended'));
    if (!list.childElementCount) list.appendChild(el('li', null, T('stale.nothing')));
  };
  for (const b of /** @type {NodeListOf<HTMLButtonElement>} */ (document.querySelectorAll('.stale-rebase')))
    b.addEventListener('click', () => {
      const id = /** @type {string} */ (b.dataset['draft']);
      say(out, T('stale.loading'), 'working');
      api('GET', '/api/content/drafts/' + encodeURIComponent(id) + '/rebase').then((r) => {
        if (!r.ok || !r.json) return say(out, T('stale.failed', { message: errorText(r) }), 'failed');
        say(out, '', 'idle');
        showDifference(r.json.difference);
        ask(T('stale.rebaseTitle', { id, onAir: r.json.difference.onAirVersion }), () => {
          api('POST', '/api/content/drafts/' + encodeURIComponent(id) + '/rebase', {
            resolutions: choices,
          }).then((res) => {
            if (res.ok && res.json) {
              rowOf(id)?.remove();
              say(out, T('stale.rebased', { version: res.json.draft.basedOnVersion }), 'rebased');
            } else say(out, T('stale.failed', { message: errorText(res) }), 'failed');
          });
        });
      });
    });
  for (const b of /** @type {NodeListOf<HTMLButtonElement>} */ (document.querySelectorAll('.stale-discard')))
    b.addEventListener('click', () => {
      const id = /** @type {string} */ (b.dataset['draft']);
      list.textContent = '';
      ask(T('stale.discardTitle', { id }), () => {
        api('DELETE', '/api/content/drafts/' + encodeURIComponent(id)).then((r) => {
          if (r.ok) {
            rowOf(id)?.remove();
            say(out, T('stale.discarded', { id }), 'discarded');
          } else say(out, T('stale.failed', { message: errorText(r) }), 'failed');
        });
      });
    });
}
