// @ts-check
/**
 * The schedule section of the content editor: the default playlist and the entries that choose
 * another one by priority, weekdays, time window and dates.
 */
import { byId, el } from '../../dashboard/browser/client.js';
import { canEdit, choice, field, input, M, markDirty, removeButton, S, syncJson } from './content-editor.js';

/** @returns {[string, string][]} */
function playlistOptions() {
  return S.manifest.playlists.map(function (p) {
    return /** @type {[string, string]} */ ([p.id, p.name + ' (' + p.id + ')']);
  });
}
/**
 * A labelled date that bounds an entry (`from` or `to`); empty: no bound.
 * @param {string} label
 * @param {{ from?: string, to?: string }} e
 * @param {'from' | 'to'} key
 */
function dateField(label, e, key) {
  return field(
    label,
    input(
      'date',
      e[key],
      function (v) {
        if (v) e[key] = v;
        else delete e[key];
      },
      { 'data-f': key },
    ),
  );
}
export function renderSchedule() {
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
    row.appendChild(dateField(M['schedule.from'], e, 'from'));
    row.appendChild(dateField(M['schedule.to'], e, 'to'));
    row.appendChild(removeButton(M['schedule.remove'], sch.entries, i, renderSchedule));
    fs.appendChild(row);
    box.appendChild(fs);
  });
  syncJson();
}
