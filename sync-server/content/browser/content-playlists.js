// @ts-check
/**
 * The playlists section of the content editor: each playlist's id, name, language mode, transition,
 * ticker per language, and its entries (items in order, each with an optional duration).
 */
import { byId, el } from '../../dashboard/browser/client.js';
import {
  button,
  canEdit,
  choiceField,
  durationField,
  field,
  idField,
  input,
  langName,
  M,
  moveButton,
  removeButton,
  renderAll,
  S,
} from './content-editor.js';
import { renderSchedule } from './content-schedule.js';

/**
 * @param {string} id
 */
function itemLabel(id) {
  var it = S.manifest.items.filter(function (x) {
    return x.id === id;
  })[0];
  return it ? (it.title || id) + ' (' + id + ')' : id;
}
export function renderPlaylists() {
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
      idField(M['playlist.id'], p, function (old, v) {
        if (m.schedule.defaultPlaylistId === old) m.schedule.defaultPlaylistId = v;
        m.schedule.entries.forEach(function (e) {
          if (e.playlistId === old) e.playlistId = v;
        });
      }),
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
      choiceField(M['playlist.languageMode'], p, 'languageMode', ['all-in-turn', 'rotate-per-loop'], 'mode.'),
    );
    row.appendChild(choiceField(M['playlist.transition'], p, 'transition', ['cut', 'fade'], 'transition.'));
    row.appendChild(
      removeButton(M['playlist.remove'], m.playlists, pi, renderAll, { class: 'cw-remove-playlist' }),
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
      li.appendChild(durationField(M['entry.duration'], e));
      li.appendChild(moveButton(M['entry.up'], p.entries, ei, -1, renderPlaylists));
      li.appendChild(moveButton(M['entry.down'], p.entries, ei, 1, renderPlaylists));
      li.appendChild(removeButton(M['entry.remove'], p.entries, ei, renderPlaylists));
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
