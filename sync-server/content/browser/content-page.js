// @ts-check
/**
 * The content authoring page (/dashboard/content): loads a site group's workspace from
 * /api/content, edits its items, playlists and schedule in place, saves it (the server names each
 * problem, shown next to its section), previews the next 24 hours and submits it for approval.
 * Every node is built with textContent, value and setAttribute, never innerHTML, so titles and
 * texts typed by authors stay text.
 */
import { api, byId, el, embedded, errorMessage, fill, valueOf } from '../../dashboard/browser/client.js';

/**
 * The manifest as the editor holds it: a draft being typed, so loosely shaped (the server checks it).
 * @typedef {{ src?: string, entry?: string, poster?: string, assets?: string[], title?: string,
 *   body?: string }} Variant
 * @typedef {{ id: string, title?: string, kind: string, durationMs?: number, loop?: boolean,
 *   style?: string, variants: Record<string, Variant> }} Item
 * @typedef {{ itemId: string, durationMs?: number }} PlaylistEntry
 * @typedef {{ text: Record<string, string>, speedPxPerS: number }} Ticker
 * @typedef {{ id: string, name: string, entries: PlaylistEntry[], languageMode?: string,
 *   transition?: string, fadeMs?: number, ticker?: Ticker }} Playlist
 * @typedef {{ id: string, playlistId: string, priority?: number, weekdays?: number[],
 *   window?: { start: string, end: string }, from?: string, to?: string }} ScheduleEntry
 * @typedef {{ items: Item[], playlists: Playlist[],
 *   schedule: { defaultPlaylistId: string, timezone?: string, entries: ScheduleEntry[] } }} Manifest
 * @typedef {{ name: string, languages: string[], timezone: string, configured: boolean }} Gate
 * @typedef {{ revision: number, manifest: Manifest, gate: Gate, saved: boolean, updatedAt?: string,
 *   updatedBy?: string, basedOnVersion: number | null }} Workspace
 * @typedef {{ path?: string, message: string }} Problem
 * @typedef {{ playlistId: string, playlistName?: string, source: string, startAt: number,
 *   endAt: number | null }} Segment
 * @typedef {{ from: number, to: number, timezone: string, segments: Segment[] }} Preview
 */

/** @type {Record<string, string>} */
const M = embedded('cw-msgs');
/** @type {{ canEdit: boolean, canSubmit: boolean, locale: string }} */
const D = embedded('cw-data');
const siteGroupSelect = /** @type {HTMLSelectElement | null} */ (document.getElementById('cw-site-group'));
if (siteGroupSelect) editor(siteGroupSelect);

/** @param {HTMLSelectElement} sel */
function editor(sel) {
  var canEdit = D.canEdit;
  var KINDS = ['image', 'video', 'text', 'html'];
  var SVG = 'http://www.w3.org/2000/svg';
  var PALETTE = ['#2563eb', '#059669', '#d97706', '#7c3aed', '#0891b2', '#65a30d', '#db2777', '#4b5563'];
  /**
   * The editor's state; the manifest and the gate are there once the workspace is loaded (nothing
   * is drawn before).
   * @type {{ siteGroup: string, revision: number, manifest: Manifest, gate: Gate, dirty: boolean }}
   */
  var S = {
    siteGroup: sel.value,
    revision: 0,
    manifest: /** @type {any} */ (null),
    gate: /** @type {any} */ (null),
    dirty: false,
  };
  window.gcContent = S;

  /**
   * @param {string} tag
   * @param {Record<string, string | number>} [attrs]
   */
  function svg(tag, attrs) {
    var e = document.createElementNS(SVG, tag);
    Object.entries(attrs || {}).forEach(function ([k, v]) {
      e.setAttribute(k, String(v));
    });
    return e;
  }
  /**
   * @param {string} l
   */
  function langName(l) {
    return M['lang.' + l] ? M['lang.' + l] + ' (' + l + ')' : l;
  }
  /**
   * @param {string} text
   * @param {boolean} [bad]
   */
  function setStatus(text, bad) {
    var s = byId('cw-status');
    s.textContent = text;
    s.className = bad ? 'err' : '';
  }
  /**
   * @param {string} name
   * @param {string} value
   */
  function q(name, value) {
    return name + '=' + encodeURIComponent(value);
  }

  function markDirty() {
    S.dirty = true;
    setStatus(M['status.dirty']);
    syncJson();
  }
  /**
   * @param {string} label
   * @param {HTMLElement} control
   */
  function field(label, control) {
    var w = el('label', { class: 'cw-field' });
    w.appendChild(el('span', null, label));
    w.appendChild(control);
    return w;
  }
  /**
   * @param {string} type input type, or 'textarea'
   * @param {unknown} value
   * @param {(value: string) => void} on
   * @param {Record<string, string>} [attrs]
   * @param {string} [event] default 'input'
   */
  function input(type, value, on, attrs, event) {
    /** @type {HTMLInputElement | HTMLTextAreaElement} */
    var i;
    if (type === 'textarea') i = el('textarea', attrs);
    else {
      var one = el('input', attrs);
      one.type = type;
      i = one;
    }
    i.value = value === undefined || value === null ? '' : String(value);
    i.disabled = !canEdit;
    i.addEventListener(event || 'input', function () {
      on(i.value);
      markDirty();
    });
    return i;
  }
  /**
   * @param {[string, string][]} options value and label
   * @param {string} value
   * @param {(value: string) => void} on
   * @param {Record<string, string>} [attrs]
   */
  function choice(options, value, on, attrs) {
    var s = el('select', attrs);
    options.forEach(function (o) {
      var op = el('option', { value: o[0] }, o[1]);
      if (o[0] === value) op.selected = true;
      s.appendChild(op);
    });
    s.disabled = !canEdit;
    s.addEventListener('change', function () {
      on(s.value);
      markDirty();
    });
    return s;
  }
  /**
   * @param {string} text
   * @param {() => void} on
   * @param {Record<string, string>} [attrs]
   */
  function button(text, on, attrs) {
    var b = el('button', attrs, text);
    b.type = 'button';
    if (!canEdit) b.hidden = true;
    b.addEventListener('click', function () {
      on();
      markDirty();
    });
    return b;
  }
  /**
   * @param {number | undefined} ms
   */
  function seconds(ms) {
    return ms === undefined ? '' : String(ms / 1000);
  }
  /**
   * @param {{ durationMs?: number }} obj
   * @param {string} v seconds as typed
   */
  function setMs(obj, v) {
    if (v === '') delete obj.durationMs;
    else obj.durationMs = Math.round(parseFloat(v) * 1000);
  }
  /**
   * @param {string} prefix
   * @param {{ id: string }[]} list
   */
  function uniqueId(prefix, list) {
    /** @type {Record<string, 1>} */
    var ids = {};
    list.forEach(function (x) {
      ids[x.id] = 1;
    });
    for (var n = 1; ; n++) if (!ids[prefix + '-' + n]) return prefix + '-' + n;
  }
  /**
   * @param {unknown[]} arr
   * @param {number} i
   * @param {number} d
   */
  function move(arr, i, d) {
    var j = i + d;
    if (j < 0 || j >= arr.length) return;
    var x = arr[i];
    arr[i] = arr[j];
    arr[j] = x;
  }

  // ---- items
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
      if (path && item.kind === 'html')
        body.appendChild(el('a', { href: mediaUrl(path) }, M['variant.open']));
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

  function renderItems() {
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
        field(
          M['item.id'],
          input(
            'text',
            item.id,
            function (v) {
              var old = item.id;
              item.id = v;
              m.playlists.forEach(function (p) {
                p.entries.forEach(function (e) {
                  if (e.itemId === old) e.itemId = v;
                });
              });
              renderAll();
            },
            { 'data-f': 'id' },
            'change',
          ),
        ),
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
            KINDS.map(function (k) {
              return [k, M['kind.' + k]];
            }),
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
      row.appendChild(
        field(
          M['item.duration'],
          input(
            'number',
            seconds(item.durationMs),
            function (v) {
              setMs(item, v);
            },
            { 'data-f': 'duration', min: '0.5', step: '0.5' },
          ),
        ),
      );
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
          field(
            M['style.label'],
            choice(
              ['standard', 'notice', 'warning'].map(function (s) {
                return [s, M['style.' + s]];
              }),
              item.style || 'standard',
              function (v) {
                item.style = v;
              },
            ),
          ),
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

  // ---- playlists
  /**
   * @param {string} id
   */
  function itemLabel(id) {
    var it = S.manifest.items.filter(function (x) {
      return x.id === id;
    })[0];
    return it ? (it.title || id) + ' (' + id + ')' : id;
  }
  function renderPlaylists() {
    var box = byId('cw-playlists');
    box.textContent = '';
    var m = S.manifest;
    m.playlists.forEach(function (p, pi) {
      var fs = el('fieldset', {
        class: 'cw-playlist',
        'data-playlist': String(pi),
        'data-playlist-id': p.id,
      });
      fs.appendChild(el('legend', null, p.name + ' (' + p.id + ')'));
      var row = el('div', { class: 'cw-row' });
      row.appendChild(
        field(
          M['playlist.id'],
          input(
            'text',
            p.id,
            function (v) {
              var old = p.id;
              p.id = v;
              if (m.schedule.defaultPlaylistId === old) m.schedule.defaultPlaylistId = v;
              m.schedule.entries.forEach(function (e) {
                if (e.playlistId === old) e.playlistId = v;
              });
              renderAll();
            },
            { 'data-f': 'id' },
            'change',
          ),
        ),
      );
      row.appendChild(
        field(
          M['playlist.name'],
          input(
            'text',
            p.name,
            function (v) {
              p.name = v;
            },
            { 'data-f': 'name', maxlength: '200' },
          ),
        ),
      );
      row.appendChild(
        field(
          M['playlist.languageMode'],
          choice(
            ['all-in-turn', 'rotate-per-loop'].map(function (x) {
              return [x, M['mode.' + x]];
            }),
            p.languageMode || 'all-in-turn',
            function (v) {
              p.languageMode = v;
            },
          ),
        ),
      );
      row.appendChild(
        field(
          M['playlist.transition'],
          choice(
            ['cut', 'fade'].map(function (x) {
              return [x, M['transition.' + x]];
            }),
            p.transition || 'cut',
            function (v) {
              p.transition = v;
            },
          ),
        ),
      );
      row.appendChild(
        button(
          M['playlist.remove'],
          function () {
            m.playlists.splice(pi, 1);
            renderAll();
          },
          { class: 'cw-remove-playlist' },
        ),
      );
      fs.appendChild(row);
      var tick = el('div', { class: 'cw-row cw-ticker' });
      S.gate.languages.forEach(function (lang) {
        var cur = p.ticker && p.ticker.text && p.ticker.text[lang];
        tick.appendChild(
          field(
            M['playlist.ticker'] + ' · ' + langName(lang),
            input(
              'text',
              cur,
              function (val) {
                var t = p.ticker || { text: {}, speedPxPerS: 80 };
                if (val === '') delete t.text[lang];
                else t.text[lang] = val;
                if (Object.keys(t.text).length) p.ticker = t;
                else delete p.ticker;
              },
              { 'data-f': 'ticker', 'data-lang': lang, maxlength: '1000' },
            ),
          ),
        );
      });
      fs.appendChild(tick);
      fs.appendChild(el('div', { class: 'cw-note' }, M['playlist.entries']));
      var ol = el('ol', { class: 'cw-entries' });
      if (!p.entries.length) fs.appendChild(el('p', { class: 'cw-note' }, M['playlist.empty']));
      p.entries.forEach(function (e, ei) {
        var li = el('li', { 'data-entry-item': e.itemId });
        li.appendChild(el('span', { class: 'cw-entry-label' }, itemLabel(e.itemId) + ' '));
        li.appendChild(
          field(
            M['entry.duration'],
            input(
              'number',
              seconds(e.durationMs),
              function (v) {
                setMs(e, v);
              },
              { min: '0.5', step: '0.5' },
            ),
          ),
        );
        li.appendChild(
          button(M['entry.up'], function () {
            move(p.entries, ei, -1);
            renderPlaylists();
          }),
        );
        li.appendChild(
          button(M['entry.down'], function () {
            move(p.entries, ei, 1);
            renderPlaylists();
          }),
        );
        li.appendChild(
          button(M['entry.remove'], function () {
            p.entries.splice(ei, 1);
            renderPlaylists();
          }),
        );
        ol.appendChild(li);
      });
      fs.appendChild(ol);
      if (canEdit && m.items.length) {
        var add = el('div', { class: 'cw-row' });
        var pick = el('select', { class: 'cw-add-entry' });
        m.items.forEach(function (it) {
          pick.appendChild(el('option', { value: it.id }, itemLabel(it.id)));
        });
        add.appendChild(pick);
        add.appendChild(
          button(
            M['playlist.addEntry'],
            function () {
              p.entries.push({ itemId: pick.value });
              renderPlaylists();
            },
            { class: 'cw-add-entry-btn' },
          ),
        );
        fs.appendChild(add);
      }
      box.appendChild(fs);
    });
    renderSchedule();
  }

  // ---- schedule
  /** @returns {[string, string][]} */
  function playlistOptions() {
    return S.manifest.playlists.map(function (p) {
      return /** @type {[string, string]} */ ([p.id, p.name + ' (' + p.id + ')']);
    });
  }
  function renderSchedule() {
    var box = byId('cw-schedule');
    box.textContent = '';
    var sch = S.manifest.schedule;
    box.appendChild(
      field(
        M['schedule.default'],
        choice(
          playlistOptions(),
          sch.defaultPlaylistId,
          function (v) {
            sch.defaultPlaylistId = v;
          },
          { id: 'cw-default-playlist' },
        ),
      ),
    );
    sch.entries.forEach(function (e, i) {
      var fs = el('fieldset', { class: 'cw-entry', 'data-entry': String(i) });
      fs.appendChild(el('legend', null, e.id));
      var row = el('div', { class: 'cw-row' });
      row.appendChild(
        field(
          M['schedule.id'],
          input(
            'text',
            e.id,
            function (v) {
              e.id = v;
            },
            { 'data-f': 'id' },
            'change',
          ),
        ),
      );
      row.appendChild(
        field(
          M['schedule.playlist'],
          choice(playlistOptions(), e.playlistId, function (v) {
            e.playlistId = v;
          }),
        ),
      );
      row.appendChild(
        field(
          M['schedule.priority'],
          input(
            'number',
            e.priority === undefined ? 0 : e.priority,
            function (v) {
              e.priority = v === '' ? 0 : parseInt(v, 10);
            },
            { min: '0', max: '1000', step: '1' },
          ),
        ),
      );
      var wd = el('div', { class: 'cw-weekdays' });
      for (var d = 1; d <= 7; d++)
        (function (d) {
          var c = el('input', { type: 'checkbox', 'data-weekday': String(d) });
          c.checked = Boolean(e.weekdays && e.weekdays.indexOf(d) >= 0);
          c.disabled = !canEdit;
          c.addEventListener('change', function () {
            var set = (e.weekdays || []).filter(function (x) {
              return x !== d;
            });
            if (c.checked) set.push(d);
            set.sort();
            if (set.length) e.weekdays = set;
            else delete e.weekdays;
            markDirty();
          });
          var l = el('label');
          l.appendChild(c);
          l.appendChild(document.createTextNode(' ' + M['weekday.' + d]));
          wd.appendChild(l);
        })(d);
      row.appendChild(field(M['schedule.weekdays'], wd));
      var w = e.window || { start: undefined, end: undefined };
      var setWindow = function () {
        if (ws.value === '' && we.value === '') delete e.window;
        else e.window = { start: ws.value, end: we.value };
      };
      var ws = input('time', w.start, setWindow, { 'data-f': 'start' });
      var we = input('time', w.end, setWindow, { 'data-f': 'end' });
      row.appendChild(field(M['schedule.windowStart'], ws));
      row.appendChild(field(M['schedule.windowEnd'], we));
      row.appendChild(
        field(
          M['schedule.from'],
          input(
            'date',
            e.from,
            function (v) {
              if (v) e.from = v;
              else delete e.from;
            },
            { 'data-f': 'from' },
          ),
        ),
      );
      row.appendChild(
        field(
          M['schedule.to'],
          input(
            'date',
            e.to,
            function (v) {
              if (v) e.to = v;
              else delete e.to;
            },
            { 'data-f': 'to' },
          ),
        ),
      );
      row.appendChild(
        button(M['schedule.remove'], function () {
          sch.entries.splice(i, 1);
          renderSchedule();
        }),
      );
      fs.appendChild(row);
      box.appendChild(fs);
    });
    syncJson();
  }

  function renderAll() {
    renderItems();
  }

  function syncJson() {
    var ta = /** @type {HTMLTextAreaElement | null} */ (document.getElementById('cw-json'));
    if (ta && document.activeElement !== ta) ta.value = JSON.stringify(S.manifest, null, 2);
  }

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

  // ---- load, save, preview, submit
  /**
   * @param {Workspace} w
   */
  function showWorkspace(w) {
    S.revision = w.revision;
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

  /**
   * @param {Segment} seg
   * @param {Record<string, string>} colours
   */
  function colourOf(seg, colours) {
    if (seg.source === 'emergency') return '#b91c1c';
    if (!colours[seg.playlistId])
      colours[seg.playlistId] = PALETTE[Object.keys(colours).length % PALETTE.length];
    return colours[seg.playlistId];
  }
  /**
   * @param {Preview} r
   */
  function showPreview(r) {
    var box = byId('cw-timeline');
    box.textContent = '';
    byId('cw-preview-empty').hidden = true;
    byId('cw-preview-title').textContent = fill(M['preview.title'], { zone: r.timezone });
    /** @type {Record<string, string>} */
    var colours = {};
    var W = 1000,
      span = r.to - r.from;
    var tf = new Intl.DateTimeFormat(D.locale, {
      timeZone: r.timezone,
      hour: '2-digit',
      minute: '2-digit',
      hour12: false,
    });
    var df = new Intl.DateTimeFormat(D.locale, {
      timeZone: r.timezone,
      day: '2-digit',
      month: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hour12: false,
    });
    var s = svg('svg', { viewBox: '0 0 ' + W + ' 64', class: 'cw-timeline-svg', role: 'img' });
    r.segments.forEach(function (seg) {
      var a = Math.max(seg.startAt, r.from),
        b = Math.min(seg.endAt === null ? r.to : seg.endAt, r.to);
      var rect = svg('rect', {
        x: ((a - r.from) / span) * W,
        y: 4,
        width: Math.max(1, ((b - a) / span) * W),
        height: 32,
        fill: colourOf(seg, colours),
        'data-playlist': seg.playlistId,
        'data-source': seg.source,
      });
      var title = svg('title');
      title.textContent = (seg.playlistName || seg.playlistId) + ' · ' + df.format(a) + ' – ' + df.format(b);
      rect.appendChild(title);
      s.appendChild(rect);
    });
    for (var h = 0; h <= 24; h += 3) {
      var t = r.from + (span * h) / 24,
        x = (h / 24) * W;
      s.appendChild(svg('line', { x1: x, y1: 36, x2: x, y2: 42, class: 'cw-tick-line' }));
      var label = svg('text', {
        x: Math.min(Math.max(x, 16), W - 16),
        y: 56,
        'text-anchor': 'middle',
        class: 'cw-tick',
      });
      label.textContent = tf.format(t);
      s.appendChild(label);
    }
    box.appendChild(s);
    var legend = el('div', { class: 'cw-legend' });
    /** @type {Record<string, string>} */
    var names = {};
    r.segments.forEach(function (seg) {
      names[seg.playlistId] = seg.playlistName || seg.playlistId;
    });
    Object.keys(colours).forEach(function (id) {
      var item = el('span');
      var sw = svg('svg', { width: 12, height: 12 });
      sw.appendChild(svg('rect', { width: 12, height: 12, fill: colours[id] }));
      item.appendChild(sw);
      item.appendChild(document.createTextNode(' ' + names[id] + ' (' + id + ')'));
      legend.appendChild(item);
    });
    box.appendChild(legend);
    var table = byId('cw-timeline-table'),
      tb = /** @type {HTMLTableSectionElement} */ (table.querySelector('tbody'));
    tb.textContent = '';
    r.segments.forEach(function (seg) {
      var tr = el('tr', { 'data-playlist': seg.playlistId });
      tr.appendChild(el('td', null, df.format(seg.startAt)));
      tr.appendChild(el('td', null, seg.endAt === null ? '—' : df.format(seg.endAt)));
      tr.appendChild(el('td', null, (seg.playlistName || seg.playlistId) + ' (' + seg.playlistId + ')'));
      tr.appendChild(el('td', null, M['source.' + seg.source] || seg.source));
      tb.appendChild(tr);
    });
    table.hidden = false;
  }
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
      api('POST', '/api/content/submit?' + q('siteGroup', S.siteGroup), { revision: S.revision }).then(
        function (res) {
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
          setStatus(fill(M['status.submitFailed'], { message: errorMessage(res) }), true);
        },
      );
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
