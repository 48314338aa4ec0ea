// @ts-check
/**
 * What a submission does to its media, shown under the submit button: while it runs, each file
 * waiting, being checked, or being normalised with its percentage (polled from
 * /api/content/submit/progress by the ticket the page sent with the submission); when it ends, per
 * file what it was → what it became and the bytes saved, or why it was refused, naming the file.
 */
import { api, byId, el, fill } from '../../dashboard/browser/client.js';
import { D, M, q } from './content-editor.js';

/**
 * @typedef {{ length: number, type?: string, width?: number, height?: number }} Facts
 * @typedef {{ path: string, original: Facts, normalised?: Facts, action: string }} MediaEntry
 * @typedef {{ item: string, title?: string, language: string }} MediaUse
 * @typedef {{ path: string, code: string, name: string, detected?: string, expected?: string,
 *   uses: MediaUse[], message: string }} Refusal
 * @typedef {{ path: string, state: string, progress: number, media?: MediaEntry, code?: string,
 *   message?: string, refusal?: Refusal }} FileProgress
 * @typedef {{ outcome: 'submitted' | 'refused' | null, files: FileProgress[] }} Submission
 */

const POLL_MS = 400;

/** A random name for one submission (not a secret: the server shows it only to its author). */
export function newTicket() {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** @param {number} bytes */
function size(bytes) {
  const f = new Intl.NumberFormat(D.locale, { maximumFractionDigits: bytes >= 1e7 ? 0 : 1 });
  if (bytes >= 1e6) return f.format(bytes / 1e6) + ' MB';
  if (bytes >= 1e3) return f.format(bytes / 1e3) + ' kB';
  return f.format(bytes) + ' B';
}

/** "PNG 3840×2160, 14.2 MB" (a record made before the facts were kept: the size alone). @param {Facts} f */
function facts(f) {
  const what = [f.type, f.width && f.height ? f.width + '×' + f.height : ''].filter(Boolean).join(' ');
  return (what ? what + ', ' : '') + size(f.length);
}

/** A kind of file in the page's words ("một tài liệu PDF"). @param {string | undefined} k */
function kind(k) {
  return M['media.kind.' + k] || M['media.kind.unknown'];
}

/**
 * Why a file was refused, and where it is used, in the page's words (the same texts the server's
 * error message uses, see media-refusals.ts).
 * @param {Refusal} r
 */
function refusalLine(r) {
  const why = M['media.why.' + r.code] || M['media.why.other'];
  const reason = fill(why, { name: r.name, detected: kind(r.detected), expected: kind(r.expected) });
  if (!r.uses.length) return fill(M['media.failed'], { path: r.path, reason });
  const uses = r.uses
    .map((u) =>
      fill(M['media.use'], { item: u.title || u.item, language: M['lang.' + u.language] || u.language }),
    )
    .join('; ');
  return fill(M['media.failedIn'], { path: r.path, uses, reason });
}

/** @param {FileProgress} f @param {Submission} s */
function line(f, s) {
  const path = f.path;
  switch (f.state) {
    case 'checking':
      return fill(M['media.checking'], { path });
    case 'normalising':
      return fill(M['media.normalising'], { path, percent: Math.floor(f.progress * 100) });
    case 'done': {
      const m = f.media;
      if (!m) return fill(M['media.checking'], { path });
      if (!m.normalised) return fill(M['media.kept'], { path, from: facts(m.original) });
      const saved = m.original.length - m.normalised.length;
      return (
        fill(M['media.changed'], { path, from: facts(m.original), to: facts(m.normalised) }) +
        ' (' +
        (saved >= 0
          ? fill(M['media.saved'], { saved: size(saved) })
          : fill(M['media.grew'], { grew: size(-saved) })) +
        ')'
      );
    }
    case 'failed': {
      if (f.refusal) return refusalLine(f.refusal);
      const lead = (f.code && M['media.refusal.' + f.code]) || M['media.refusal.other'];
      return fill(M['media.failed'], { path, reason: lead + (f.message ? ' — ' + f.message : '') });
    }
    default:
      return fill(M[s.outcome === 'refused' ? 'media.notReached' : 'media.waiting'], { path });
  }
}

/** Draws the submission's files (every figure also as a data attribute). @param {Submission} s */
export function showMedia(s) {
  const box = byId('cw-media-box'),
    list = byId('cw-media');
  list.textContent = '';
  let saved = 0;
  for (const f of s.files) {
    const li = el('li', { 'data-path': f.path, 'data-state': f.state }, line(f, s));
    if (f.state === 'normalising' || f.state === 'checking') {
      li.setAttribute('data-progress', String(f.progress));
      const bar = el('progress', { max: '1', value: String(f.progress), 'aria-label': f.path });
      li.appendChild(bar);
    }
    const m = f.media;
    if (m) {
      li.setAttribute('data-original-bytes', String(m.original.length));
      const after = m.normalised || m.original;
      li.setAttribute('data-normalised-bytes', String(after.length));
      if (after.width && after.height)
        li.setAttribute('data-normalised-size', after.width + 'x' + after.height);
      saved += m.original.length - after.length;
    }
    if (f.code) li.setAttribute('data-code', f.code);
    list.appendChild(li);
  }
  const state = byId('cw-media-state');
  state.setAttribute('data-outcome', s.outcome || 'running');
  state.textContent =
    s.outcome === 'submitted'
      ? fill(M['media.submitted'], { saved: size(Math.max(0, saved)) })
      : s.outcome === 'refused'
        ? s.files.some((f) => f.refusal)
          ? fill(M['media.refusedAll'], { count: s.files.filter((f) => f.refusal).length })
          : M['media.refused']
        : fill(M['media.running'], { count: s.files.length });
  box.hidden = s.files.length === 0;
}

/**
 * Polls the submission `ticket` until `done` resolves, drawing each answer; then asks once more and
 * draws how it ended.
 * @param {string} ticket
 * @param {Promise<unknown>} done
 */
export function followSubmission(ticket, done) {
  let finished = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  const url = '/api/content/submit/progress?' + q('ticket', ticket);
  function poll() {
    timer = undefined;
    api('GET', url).then(function (res) {
      if (finished) return;
      if (res.ok) showMedia(res.json.submission);
      timer = setTimeout(poll, POLL_MS);
    });
  }
  poll();
  done.then(function () {
    finished = true;
    if (timer !== undefined) clearTimeout(timer);
    api('GET', url).then(function (res) {
      if (res.ok) showMedia(res.json.submission);
    });
  });
}
