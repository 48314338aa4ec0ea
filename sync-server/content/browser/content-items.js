// @ts-check
/**
 * The items section of the content editor: each item's id, title, kind and duration, and its
 * variant per language (text typed in place; image, video or HTML uploaded to the media store).
 */
import { api, byId, el, errorMessage, fill } from '../../dashboard/browser/client.js';
import {
  button,
  canEdit,
  choice,
  choiceField,
  durationField,
  field,
  idField,
  input,
  langName,
  M,
  markDirty,
  namedOptions,
  q,
  renderAll,
  S,
} from './content-editor.js';
import { renderPlaylists } from './content-playlists.js';

/** @typedef {import('./content-editor.js').Item} Item */
/** @typedef {import('./content-editor.js').Variant} Variant */

const KINDS = ['image', 'video', 'text', 'html'];

/**
 * @param {Item} item
 */
function itemLangs(item) {
  var ls = S.gate.languages.slice();
  ls.push('zxx');
  Object.keys(item.variants || {}).forEach(function (l) {
    if (ls.indexOf(l) < 0) ls.push(l);
  });
  return ls;
}
/**
 * @param {string} kind
 * @returns {'entry' | 'src'}
 */
function fileKey(kind) {
  return kind === 'html' ? 'entry' : 'src';
}
/**
 * @param {string} path
 */
function mediaUrl(path) {
  return '/api/content/media?' + q('path', path);
}
/**
 * @param {string} path
 */
function viewUrl(path) {
  return '/api/content/media/view?' + q('path', path);
}

/**
 * @param {Item} item
 * @param {string} lang
 * @param {File} file
 * @param {HTMLElement} note
 * @param {'main' | 'poster' | 'asset'} slot
 */
function upload(item, lang, file, note, slot) {
  note.textContent = M['variant.uploading'];
  api(
    'POST',
    '/api/content/media?' + q('siteGroup', S.siteGroup) + '&' + q('name', file.name),
    file,
    'application/octet-stream',
  ).then(
    function (res) {
      if (!res.ok) {
        note.textContent = fill(M['variant.uploadFailed'], { message: errorMessage(res) });
        return;
      }
      var prev = item.variants[lang];
      if (slot === 'poster') {
        if (!prev) return;
        prev.poster = res.json.path;
      } else if (slot === 'asset') {
        if (!prev) return;
        prev.assets = (prev.assets || [])
          .filter(function (a) {
            return a !== res.json.path;
          })
          .concat([res.json.path]);
      } else {
        /** @type {Variant} */
        var v = {};
        v[fileKey(item.kind)] = res.json.path;
        if (item.kind === 'html') v.assets = (prev && prev.assets) || [];
        if (item.kind === 'video' && prev && prev.poster) v.poster = prev.poster;
        item.variants[lang] = v;
      }
      renderItems();
      markDirty();
    },
    function (e) {
      note.textContent = fill(M['variant.uploadFailed'], { message: String(e) });
    },
  );
}

/**
 * @param {HTMLElement} box
 * @param {Item} item
 * @param {string} lang
 */
function renderVariant(box, item, lang) {
  var row = el('div', { class: 'cw-variant', 'data-lang': lang });
  row.appendChild(el('strong', null, langName(lang)));
  var body = el('div');
  var v = item.variants[lang];
  if (item.kind === 'text') {
    var cur = v || {};
    var update = function () {
      var t = head.value,
        b = text.value;
      if (t === '' && b === '') delete item.variants[lang];
      else {
        var nv = /** @type {Variant} */ ({ body: b });
        if (t !== '') nv.title = t;
        item.variants[lang] = nv;
      }
    };
    var head = input('text', cur.title, update, { 'data-f': 'heading', maxlength: '300' });
    var text = input('textarea', cur.body, update, { 'data-f': 'body', rows: '2', maxlength: '4000' });
    body.appendChild(field(M['variant.heading'], head));
    body.appendChild(field(M['variant.body'], text));
  } else {
    var key = fileKey(item.kind);
    var path = v && v[key];
    body.appendChild(el('div', { class: 'cw-path' }, path || M['variant.none']));
    if (path && item.kind === 'image')
      body.appendChild(el('img', { class: 'cw-thumb', src: viewUrl(path), alt: '' }));
    if (path && item.kind === 'video') {
      var vid = el('video', { class: 'cw-thumb', src: viewUrl(path), preload: 'metadata' });
      vid.controls = true;
      vid.muted = true;
      body.appendChild(vid);
    }
    if (path && item.kind === 'html') body.appendChild(el('a', { href: mediaUrl(path) }, M['variant.open']));
    var note = el('span', { class: 'cw-note' });
    var accept = item.kind === 'image' ? 'image/*' : item.kind === 'video' ? 'video/*' : '.html,.htm';
    var f = el('input', { type: 'file', accept: accept, 'data-lang': lang, class: 'cw-file' });
    f.disabled = !canEdit;
    f.hidden = !canEdit;
    f.addEventListener('change', function () {
      if (f.files && f.files[0]) upload(item, lang, f.files[0], note, 'main');
    });
    if (canEdit) body.appendChild(field(M['variant.upload'], f));
    if (item.kind === 'html' && path) {
      var list = el('ul', { class: 'cw-path' });
      (v.assets || []).forEach(function (a, ai) {
        var li = el('li', null, a + ' ');
        li.appendChild(
          button(M['entry.remove'], function () {
            (v.assets || []).splice(ai, 1);
            renderItems();
          }),
        );
        list.appendChild(li);
      });
      body.appendChild(list);
      var af = el('input', {
        type: 'file',
        multiple: 'multiple',
        'data-lang': lang,
        'data-slot': 'asset',
        class: 'cw-file',
      });
      af.addEventListener('change', function () {
        Array.prototype.forEach.call(af.files || [], function (file) {
          upload(item, lang, file, note, 'asset');
        });
      });
      if (canEdit) body.appendChild(field(M['variant.assets'], af));
    }
    if (item.kind === 'video' && path) {
      body.appendChild(
        el('div', { class: 'cw-path' }, M['variant.poster'] + ': ' + (v.poster || M['variant.none'])),
      );
      var pf = el('input', {
        type: 'file',
        accept: 'image/*',
        'data-lang': lang,
        'data-slot': 'poster',
        class: 'cw-file',
      });
      pf.addEventListener('change', function () {
        if (pf.files && pf.files[0]) upload(item, lang, pf.files[0], note, 'poster');
      });
      if (canEdit) body.appendChild(field(M['variant.poster'], pf));
    }
    body.appendChild(note);
  }
  if (v)
    body.appendChild(
      button(
        M['variant.remove'],
        function () {
          delete item.variants[lang];
          renderItems();
        },
        { class: 'cw-remove-variant' },
      ),
    );
  row.appendChild(body);
  box.appendChild(row);
}

export function renderItems() {
  var box = byId('cw-items');
  box.textContent = '';
  var m = S.manifest;
  if (!m.items.length) box.appendChild(el('p', { class: 'cw-note' }, M['item.none']));
  m.items.forEach(function (item, i) {
    var fs = el('fieldset', { class: 'cw-item', 'data-item': String(i), 'data-item-id': item.id });
    var legend = el('legend', null, item.title || item.id);
    fs.appendChild(legend);
    var row = el('div', { class: 'cw-row' });
    row.appendChild(
      idField(M['item.id'], item, function (old, v) {
        m.playlists.forEach(function (p) {
          p.entries.forEach(function (e) {
            if (e.itemId === old) e.itemId = v;
          });
        });
      }),
    );
    row.appendChild(
      field(
        M['item.title'],
        input(
          'text',
          item.title,
          function (v) {
            item.title = v;
            legend.textContent = v || item.id;
          },
          { 'data-f': 'title', maxlength: '200' },
        ),
      ),
    );
    row.appendChild(
      field(
        M['item.kind'],
        choice(
          namedOptions(KINDS, 'kind.'),
          item.kind,
          function (v) {
            item.kind = v;
            item.variants = {};
            delete item.style;
            delete item.loop;
            if (v === 'text') item.style = 'standard';
            if (v === 'video') item.loop = false;
            renderItems();
          },
          { 'data-f': 'kind' },
        ),
      ),
    );
    row.appendChild(durationField(M['item.duration'], item, { 'data-f': 'duration' }));
    if (item.kind === 'video') {
      var loop = el('input', { type: 'checkbox', 'data-f': 'loop' });
      loop.checked = Boolean(item.loop);
      loop.disabled = !canEdit;
      loop.addEventListener('change', function () {
        item.loop = loop.checked;
        markDirty();
      });
      row.appendChild(field(M['item.loop'], loop));
    }
    if (item.kind === 'text')
      row.appendChild(
        choiceField(M['style.label'], item, 'style', ['standard', 'notice', 'warning'], 'style.'),
      );
    row.appendChild(
      button(
        M['item.remove'],
        function () {
          m.items.splice(i, 1);
          m.playlists.forEach(function (p) {
            p.entries = p.entries.filter(function (e) {
              return e.itemId !== item.id;
            });
          });
          renderAll();
        },
        { class: 'cw-remove-item' },
      ),
    );
    fs.appendChild(row);
    fs.appendChild(el('div', { class: 'cw-note' }, M['item.variants']));
    itemLangs(item).forEach(function (l) {
      renderVariant(fs, item, l);
    });
    box.appendChild(fs);
  });
  renderPlaylists();
}
