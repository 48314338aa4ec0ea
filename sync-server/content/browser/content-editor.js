// @ts-check
/**
 * The content editor's shared parts: the page's messages and flags, the editor's state, the form
 * controls every section builds with (each edit marks the workspace dirty), and the advanced JSON
 * view. Every node is built with textContent, value and setAttribute, never innerHTML.
 */
import { byId, el, embedded } from '../../dashboard/browser/client.js';

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
export const M = embedded('cw-msgs');
/** @type {{ canEdit: boolean, canSubmit: boolean, locale: string }} */
export const D = embedded('cw-data');
export const canEdit = D.canEdit;
const SVG = 'http://www.w3.org/2000/svg';
/**
 * The editor's state; the manifest and the gate are there once the workspace is loaded (nothing
 * is drawn before).
 * @type {{ siteGroup: string, revision: number, basedOnVersion: number | null, manifest: Manifest,
 *   gate: Gate, dirty: boolean }}
 */
export const S = {
  siteGroup: '',
  revision: 0,
  basedOnVersion: /** @type {number | null} */ (null),
  manifest: /** @type {any} */ (null),
  gate: /** @type {any} */ (null),
  dirty: false,
};

/** Redraws every section from the items down (content-page.js sets it: the items redraw the rest). */
let redrawAll = function () {};
/** @param {() => void} fn */
export function setRedrawAll(fn) {
  redrawAll = fn;
}
export function renderAll() {
  redrawAll();
}

/**
 * @param {string} tag
 * @param {Record<string, string | number>} [attrs]
 */
export function svg(tag, attrs) {
  var e = document.createElementNS(SVG, tag);
  Object.entries(attrs || {}).forEach(function ([k, v]) {
    e.setAttribute(k, String(v));
  });
  return e;
}
/**
 * @param {string} l
 */
export function langName(l) {
  return M['lang.' + l] ? M['lang.' + l] + ' (' + l + ')' : l;
}
/**
 * @param {string} text
 * @param {boolean} [bad]
 */
export function setStatus(text, bad) {
  var s = byId('cw-status');
  s.textContent = text;
  s.className = bad ? 'err' : '';
}
/**
 * @param {string} name
 * @param {string} value
 */
export function q(name, value) {
  return name + '=' + encodeURIComponent(value);
}

export function markDirty() {
  S.dirty = true;
  setStatus(M['status.dirty']);
  syncJson();
}
/**
 * @param {string} label
 * @param {HTMLElement} control
 */
export function field(label, control) {
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
export function input(type, value, on, attrs, event) {
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
export function choice(options, value, on, attrs) {
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
export function button(text, on, attrs) {
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
 * The options of a choice among fixed values, each named in the catalogue's words `M[prefix + value]`.
 * @param {string[]} values
 * @param {string} prefix
 * @returns {[string, string][]}
 */
export function namedOptions(values, prefix) {
  return values.map(function (v) {
    return /** @type {[string, string]} */ ([v, M[prefix + v]]);
  });
}
/**
 * A labelled choice that sets `obj[key]` to one of `values` (shown: the first while it has none),
 * each named in the catalogue's words `M[prefix + value]`.
 * @param {string} label
 * @param {object} obj
 * @param {string} key
 * @param {string[]} values
 * @param {string} prefix
 */
export function choiceField(label, obj, key, values, prefix) {
  /** @type {Record<string, unknown>} */
  var o = /** @type {any} */ (obj);
  return field(
    label,
    choice(namedOptions(values, prefix), String(o[key] || values[0]), function (v) {
      o[key] = v;
    }),
  );
}
/**
 * A labelled duration in seconds (half a second at the least) that sets `obj.durationMs`; empty: none.
 * @param {string} label
 * @param {{ durationMs?: number }} obj
 * @param {Record<string, string>} [attrs]
 */
export function durationField(label, obj, attrs) {
  return field(
    label,
    input(
      'number',
      seconds(obj.durationMs),
      function (v) {
        setMs(obj, v);
      },
      Object.assign({}, attrs, { min: '0.5', step: '0.5' }),
    ),
  );
}
/**
 * A labelled id field: once changed, `rename(old, id)` updates what refers to the old id, then the
 * whole editor is drawn again.
 * @param {string} label
 * @param {{ id: string }} obj
 * @param {(old: string, id: string) => void} rename
 */
export function idField(label, obj, rename) {
  return field(
    label,
    input(
      'text',
      obj.id,
      function (v) {
        var old = obj.id;
        obj.id = v;
        rename(old, v);
        renderAll();
      },
      { 'data-f': 'id' },
      'change',
    ),
  );
}
/**
 * A button that removes entry `i` of `list`, then draws its section again.
 * @param {string} text
 * @param {unknown[]} list
 * @param {number} i
 * @param {() => void} redraw
 * @param {Record<string, string>} [attrs]
 */
export function removeButton(text, list, i, redraw, attrs) {
  return button(
    text,
    function () {
      list.splice(i, 1);
      redraw();
    },
    attrs,
  );
}
/**
 * A button that moves entry `i` of `list` by `d` places, then draws its section again.
 * @param {string} text
 * @param {unknown[]} list
 * @param {number} i
 * @param {number} d
 * @param {() => void} redraw
 */
export function moveButton(text, list, i, d, redraw) {
  return button(text, function () {
    move(list, i, d);
    redraw();
  });
}
/**
 * @param {number | undefined} ms
 */
export function seconds(ms) {
  return ms === undefined ? '' : String(ms / 1000);
}
/**
 * @param {{ durationMs?: number }} obj
 * @param {string} v seconds as typed
 */
export function setMs(obj, v) {
  if (v === '') delete obj.durationMs;
  else obj.durationMs = Math.round(parseFloat(v) * 1000);
}
/**
 * @param {string} prefix
 * @param {{ id: string }[]} list
 */
export function uniqueId(prefix, list) {
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
export function move(arr, i, d) {
  var j = i + d;
  if (j < 0 || j >= arr.length) return;
  var x = arr[i];
  arr[i] = arr[j];
  arr[j] = x;
}

export function syncJson() {
  var ta = /** @type {HTMLTextAreaElement | null} */ (document.getElementById('cw-json'));
  if (ta && document.activeElement !== ta) ta.value = JSON.stringify(S.manifest, null, 2);
}
