// @ts-check
/**
 * The preview of the next 24 hours: which playlist plays when, as a timeline (SVG), its legend and
 * a table, in the site group's time zone.
 */
import { byId, el, fill } from '../../dashboard/browser/client.js';
import { D, M, svg } from './content-editor.js';

/** @typedef {import('./content-editor.js').Segment} Segment */
/** @typedef {import('./content-editor.js').Preview} Preview */

const PALETTE = ['#2563eb', '#059669', '#d97706', '#7c3aed', '#0891b2', '#65a30d', '#db2777', '#4b5563'];

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
export function showPreview(r) {
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
