// @ts-check
/**
 * The content authoring page (/dashboard/content): loads a site group's workspace from
 * /api/content, edits its items, playlists and schedule in place (content-items.js,
 * content-playlists.js, content-schedule.js, built with content-editor.js), saves it (the server
 * names each problem, shown next to its section), previews the next 24 hours (content-preview.js)
 * and submits it for approval. Every node is built with textContent, value and setAttribute, never
 * innerHTML, so titles and texts typed by authors stay text.
 */
import { api, byId, el, errorMessage, fill, valueOf } from '../../dashboard/browser/client.js';
import {
  D,
  langName,
  M,
  markDirty,
  q,
  renderAll,
  S,
  setRedrawAll,
  setStatus,
  uniqueId,
} from './content-editor.js';
import { renderItems } from './content-items.js';
import { followSubmission, newTicket } from './content-media.js';
import { showPreview } from './content-preview.js';
import { renderSchedule } from './content-schedule.js';

/** @typedef {import('./content-editor.js').Problem} Problem */
/** @typedef {import('./content-editor.js').Workspace} Workspace */

const siteGroupSelect = /** @type {HTMLSelectElement | null} */ (document.getElementById('cw-site-group'));
if (siteGroupSelect) editor(siteGroupSelect);

/** @param {HTMLSelectElement} sel */
function editor(sel) {
  S.siteGroup = sel.value;
  window.gcContent = S;
  setRedrawAll(renderItems);

  // ---- problems
  /**
   * @param {Problem[]} list
   */
  function showProblems(list) {
    var box = byId('cw-problems-box'),
      ul = byId('cw-problems');
    ul.textContent = '';
    document.querySelectorAll('.cw-problem').forEach(function (p) {
      p.remove();
    });
    document.querySelectorAll('fieldset.cw-bad').forEach(function (f) {
      f.classList.remove('cw-bad');
    });
    (list || []).forEach(function (p) {
      ul.appendChild(el('li', null, (p.path ? p.path + ': ' : '') + p.message));
      var target = null,
        m;
      if ((m = /^items\.\[(\d+)\]/.exec(p.path || '')))
        target = document.querySelector('fieldset[data-item="' + m[1] + '"]');
      else if ((m = /^items\.([^.[]+)\./.exec(p.path || '')))
        target = document.querySelector('fieldset[data-item-id="' + CSS.escape(m[1]) + '"]');
      else if ((m = /^playlists\.\[(\d+)\]/.exec(p.path || '')))
        target = document.querySelector('fieldset[data-playlist="' + m[1] + '"]');
      else if ((m = /^schedule\.entries\.\[(\d+)\]/.exec(p.path || '')))
        target = document.querySelector('fieldset[data-entry="' + m[1] + '"]');
      if (target) {
        target.classList.add('cw-bad');
        target.appendChild(el('p', { class: 'cw-problem' }, (p.path ? p.path + ': ' : '') + p.message));
      }
    });
    box.hidden = !(list && list.length);
  }

  // ---- a workspace made from a version no longer on air: the difference, and the rebase
  /** @typedef {{ section: string, id: string }} Ref */
  /** @type {Record<string, string>} */
  var choices = {};
  /**
   * Lists what the newer version changed that this workspace would undo, what both changed (a
   * choice each), and the emergencies ended on air; offers the rebase.
   * @param {{ message: string, difference: { onAirVersion: number, undone: Ref[], conflicts: Ref[],
   *   endedEmergencies: string[] } }} e
   */
  function showBase(e) {
    var d = e.difference,
      list = byId('cw-base-list');
    byId('cw-base-message').textContent = e.message;
    list.textContent = '';
    choices = {};
    /** @param {Ref} r @param {string} key */
    function row(r, key) {
      var li = el(
        'li',
        { 'data-ref': r.section + ':' + r.id },
        M['section.' + r.section] + ' ' + r.id + ': ' + M[key],
      );
      list.appendChild(li);
      return li;
    }
    d.undone.forEach(function (r) {
      row(r, 'base.undone');
    });
    d.conflicts.forEach(function (r) {
      var key = r.section + ':' + r.id,
        pick = el('select', { 'aria-label': key });
      [
        ['', '—'],
        ['mine', M['base.mine']],
        ['theirs', M['base.theirs']],
      ].forEach(function (o) {
        pick.appendChild(el('option', { value: o[0] }, o[1]));
      });
      pick.addEventListener('change', function () {
        if (pick.value) choices[key] = pick.value;
        else delete choices[key];
      });
      row(r, 'base.conflicts').appendChild(pick);
    });
    d.endedEmergencies.forEach(function (id) {
      row({ section: 'emergency', id: id }, 'base.ended');
    });
    var rebase = document.getElementById('cw-rebase');
    if (rebase) rebase.textContent = fill(M['base.rebase'], { onAir: d.onAirVersion });
    byId('cw-base-box').hidden = false;
  }
  var rebaseBtn = document.getElementById('cw-rebase');
  if (rebaseBtn)
    rebaseBtn.addEventListener('click', function () {
      api('POST', '/api/content/workspace/rebase?' + q('siteGroup', S.siteGroup), {
        revision: S.revision,
        resolutions: choices,
      }).then(function (res) {
        if (res.ok) {
          byId('cw-base-box').hidden = true;
          showWorkspace(res.json.workspace);
          setStatus(fill(M['base.rebased'], { version: res.json.workspace.basedOnVersion }));
          return;
        }
        var e = res.json && res.json.error;
        if (e && e.code === 'REBASE_CONFLICT') showBase(e);
        if (e && e.problems) showProblems(e.problems);
        setStatus(fill(M['status.failed'], { message: errorMessage(res) }), true);
      });
    });

  // ---- load, save, preview, submit
  /**
   * @param {Workspace} w
   */
  function showWorkspace(w) {
    S.revision = w.revision;
    S.basedOnVersion = w.basedOnVersion;
    S.manifest = w.manifest;
    S.gate = w.gate;
    S.dirty = false;
    var g = w.gate;
    byId('cw-gate-info').textContent =
      fill(M['content.gateInfo'], {
        name: g.name,
        languages: g.languages.map(langName).join(', '),
        zone: g.timezone,
      }) + (g.configured ? '' : ' — ' + M['content.gateUnconfigured']);
    var at = w.updatedAt
      ? new Intl.DateTimeFormat(D.locale, {
          timeZone: g.timezone,
          dateStyle: 'short',
          timeStyle: 'short',
        }).format(new Date(w.updatedAt))
      : '';
    byId('cw-revision').textContent = w.saved
      ? fill(M['content.revision'], { revision: w.revision, by: w.updatedBy, at: at })
      : w.basedOnVersion !== null
        ? fill(M['content.unsaved'], { version: w.basedOnVersion })
        : M['content.starter'];
    byId('cw-preview-title').textContent = fill(M['preview.title'], {
      zone: (w.manifest.schedule && w.manifest.schedule.timezone) || g.timezone,
    });
    renderAll();
  }
  function load() {
    setStatus(M['content.loading']);
    showProblems([]);
    byId('cw-draft').hidden = true;
    byId('cw-base-box').hidden = true;
    return api('GET', '/api/content/workspace?' + q('siteGroup', S.siteGroup)).then(function (res) {
      if (!res.ok) {
        setStatus(fill(M['status.failed'], { message: errorMessage(res) }), true);
        return;
      }
      showWorkspace(res.json);
      setStatus('');
    });
  }
  sel.addEventListener('change', function () {
    if (S.dirty && !window.confirm(M['content.confirmDiscard'])) {
      sel.value = S.siteGroup;
      return;
    }
    S.siteGroup = sel.value;
    load();
  });
  window.addEventListener('beforeunload', function (ev) {
    if (S.dirty) {
      ev.preventDefault();
      ev.returnValue = '';
    }
  });
  byId('cw-reload').addEventListener('click', function () {
    if (S.dirty && !window.confirm(M['content.confirmDiscard'])) return;
    load();
  });

  var saveBtn = document.getElementById('cw-save');
  if (saveBtn)
    saveBtn.addEventListener('click', function () {
      setStatus(M['status.saving']);
      api('PUT', '/api/content/workspace?' + q('siteGroup', S.siteGroup), {
        revision: S.revision,
        manifest: S.manifest,
        // The first save records the version this workspace was loaded from.
        ...(S.basedOnVersion !== null ? { basedOnVersion: S.basedOnVersion } : {}),
      }).then(function (res) {
        if (res.ok) {
          showWorkspace(res.json);
          showProblems([]);
          setStatus(fill(M['status.saved'], { revision: res.json.revision }));
          return;
        }
        var e = res.json && res.json.error;
        if (res.status === 409 && e) {
          setStatus(fill(M['status.stale'], { revision: e.currentRevision }), true);
          return;
        }
        if (e && e.problems) {
          showProblems(e.problems);
          setStatus(fill(M['status.notSaved'], { count: e.problems.length }), true);
          return;
        }
        setStatus(fill(M['status.failed'], { message: errorMessage(res) }), true);
      });
    });

  var applyBtn = document.getElementById('cw-json-apply');
  if (applyBtn)
    applyBtn.addEventListener('click', function () {
      try {
        S.manifest = JSON.parse(valueOf('cw-json'));
      } catch (e) {
        setStatus(fill(M['advanced.invalid'], { message: /** @type {Error} */ (e).message }), true);
        return;
      }
      renderAll();
      markDirty();
    });

  byId('cw-preview').addEventListener('click', function () {
    setStatus(M['status.previewing']);
    api('POST', '/api/content/preview', { siteGroup: S.siteGroup, manifest: S.manifest, hours: 24 }).then(
      function (res) {
        if (res.ok) {
          showProblems([]);
          showPreview(res.json);
          setStatus(S.dirty ? M['status.dirty'] : '');
          return;
        }
        var e = res.json && res.json.error;
        if (e && e.problems) {
          showProblems(e.problems);
          setStatus(fill(M['status.previewFailed'], { count: e.problems.length }), true);
          return;
        }
        setStatus(fill(M['status.failed'], { message: errorMessage(res) }), true);
      },
    );
  });

  var submitBtn = /** @type {HTMLButtonElement | null} */ (document.getElementById('cw-submit'));
  if (submitBtn) {
    var submit = submitBtn;
    submit.addEventListener('click', function () {
      if (S.dirty || S.revision === 0) {
        setStatus(M['status.saveFirst'], true);
        return;
      }
      setStatus(M['status.submitting']);
      submit.disabled = true;
      byId('cw-media-box').hidden = true;
      var ticket = newTicket();
      var sent = api('POST', '/api/content/submit?' + q('siteGroup', S.siteGroup), {
        revision: S.revision,
        ticket: ticket,
      });
      followSubmission(ticket, sent);
      sent.then(function (res) {
        submit.disabled = false;
        if (res.ok) {
          showProblems([]);
          byId('cw-draft-text').textContent = fill(M['draft.created'], {
            id: res.json.draft.id,
            version: res.json.draft.version,
          });
          byId('cw-draft-link').setAttribute('href', res.json.link);
          byId('cw-draft').hidden = false;
          setStatus('');
          return;
        }
        var e = res.json && res.json.error;
        if (e && e.problems) showProblems(e.problems);
        if (e && e.code === 'DRAFT_BASE_STALE') showBase(e);
        setStatus(fill(M['status.submitFailed'], { message: errorMessage(res) }), true);
      });
    });
  }

  var addItem = document.getElementById('cw-add-item');
  if (addItem)
    addItem.addEventListener('click', function () {
      S.manifest.items.push({
        id: uniqueId('item', S.manifest.items),
        title: '',
        kind: 'image',
        variants: {},
      });
      renderAll();
      markDirty();
    });
  var addPl = document.getElementById('cw-add-playlist');
  if (addPl)
    addPl.addEventListener('click', function () {
      var id = uniqueId('playlist', S.manifest.playlists);
      S.manifest.playlists.push({
        id: id,
        name: id,
        entries: [],
        languageMode: 'all-in-turn',
        transition: 'cut',
        fadeMs: 400,
      });
      renderAll();
      markDirty();
    });
  var addEntry = document.getElementById('cw-add-entry');
  if (addEntry)
    addEntry.addEventListener('click', function () {
      S.manifest.schedule.entries.push({
        id: uniqueId('entry', S.manifest.schedule.entries),
        playlistId: S.manifest.schedule.defaultPlaylistId,
        priority: 0,
      });
      renderSchedule();
      markDirty();
    });

  load();
}
