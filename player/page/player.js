/*
 * The gate screen's player. No framework, no network beyond the page server it came from.
 *
 * Double (or triple) buffer: stacked layers. The front one is on air; the next slides are loaded and
 * decoded in the others (underneath, hidden: laid out but not painted), and only when it is ready is
 * it raised, on the animation frame closest to its planned start. A slide that fails to load is reported and dropped:
 * the front layer stays up, so the screen is never blank.
 *
 * Between switches the page does nothing: a timer wakes it shortly before the next planned start
 * and a second one a frame and a half before it; it watches animation frames only for the last one
 * and the switch, then lets the compositor idle. Frame accounting (blank and stale frames, for the
 * benchmarks) runs on every frame only when the page is opened with `?frames=1`, never on a screen.
 *
 * The daemon drives the page with `gatecast.enqueue(slide)` / `gatecast.replace(slides)` and hears
 * back through the supervisor's DevTools binding `__gatecastReport` (over its pipe, no request):
 * `ready`, `started`, `error`, `page-error`. Liveness is not reported: the supervisor reads
 * `gatecast.state()` over the same pipe.
 */

(() => {
  const LOAD_TIMEOUT_MS = 15000;
  /** Wake at least this long before a planned switch (a timer may fire late on a busy device). */
  const WAKE_EARLY_MS = 50;
  const params = new URLSearchParams(location.search);
  const isCountingFrames = params.get('frames') === '1';

  const pageId =
    typeof crypto !== 'undefined' && crypto.randomUUID
      ? crypto.randomUUID()
      : `p-${Date.now()}-${Math.random().toString(16).slice(2)}`;

  const epochNow = () => performance.timeOrigin + performance.now();

  // ---------------------------------------------------------------------------------------------
  // Reports to the daemon

  // The supervisor's DevTools binding: a report costs no request and reaches only the supervisor.
  // Without it (the page opened outside the supervisor) nobody listens and reports go nowhere.
  const sendReport = typeof window.__gatecastReport === 'function' ? window.__gatecastReport : null;

  function report(body) {
    if (sendReport) sendReport(JSON.stringify({ pageId, ...body }));
  }

  // ---------------------------------------------------------------------------------------------
  // State

  // One layer on air, the others load the next slides underneath it (?layers=N, 2..4, default 3:
  // the next two slides preload in parallel, so a slow load has two items' time).
  const stage = document.getElementById('stage');
  const layerCount = Math.min(4, Math.max(2, Number(params.get('layers')) || 3));
  const layerEls = [...stage.querySelectorAll('.layer')];
  while (layerEls.length < layerCount) {
    const l = document.createElement('div');
    l.className = 'layer';
    stage.appendChild(l);
    layerEls.push(l);
  }
  /** On air. */
  let front = { el: layerEls[0], slide: null, painted: null };
  /** Loading or holding the next slides. state: free | loading | ready | releasing */
  const buffers = layerEls
    .slice(1, layerCount)
    .map((el) => ({ el, slide: null, state: 'free', painted: null, token: 0 }));
  front.el.classList.add('front');
  const isPending = (b) => b.state === 'loading' || b.state === 'ready';
  /** Slides waiting for a free layer, by start time. */
  let queue = [];
  const seen = new Set();
  let frameMs = 1000 / 60;
  let lastFrameTs = 0;
  const stats = {
    frames: 0,
    blankFrames: 0,
    staleFrames: 0,
    switches: 0,
    errors: 0,
    jitterMs: [],
  };

  // ---------------------------------------------------------------------------------------------
  // Loading a slide into a layer (resolves once decoded and laid out; rejects on any failure)

  const withTimeout = (promise, ms, what) =>
    new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms);
      promise.then(
        (v) => {
          clearTimeout(t);
          resolve(v);
        },
        (e) => {
          clearTimeout(t);
          reject(e);
        },
      );
    });

  const nextFrame = () => new Promise((r) => requestAnimationFrame(() => r()));

  function el(tag, props, children) {
    const e = document.createElement(tag);
    if (props) {
      for (const [k, v] of Object.entries(props)) {
        if (v === undefined || v === null) continue;
        if (k === 'className') e.className = v;
        else if (k === 'text') e.textContent = v;
        else e.setAttribute(k, v);
      }
    }
    for (const c of children || []) e.appendChild(c);
    return e;
  }

  async function loadImage(layer, c) {
    const img = new Image();
    img.decoding = 'async';
    img.alt = '';
    img.src = c.src;
    await img.decode();
    layer.replaceChildren(img);
    return () => img.complete && img.naturalWidth > 0;
  }

  async function loadVideo(layer, c) {
    const v = document.createElement('video');
    v.muted = true;
    v.defaultMuted = true;
    v.playsInline = true;
    v.preload = 'auto';
    v.loop = !!c.loop;
    v.disablePictureInPicture = true;
    if (c.poster) v.poster = c.poster;
    const ready = new Promise((resolve, reject) => {
      v.addEventListener('canplaythrough', () => resolve(), { once: true });
      v.addEventListener(
        'error',
        () => reject(new Error(`video ${c.src}: ${v.error?.message || 'cannot load'}`)),
        {
          once: true,
        },
      );
    });
    v.src = c.src;
    layer.replaceChildren(v);
    await ready;
    // canplaythrough implies HAVE_ENOUGH_DATA: the first frame is decoded and the paused element
    // shows it; the frame the caller waits then lays it out in the (hidden) layer. A paused video
    // gets no requestVideoFrameCallback, so there is nothing more to wait for.
    return () => v.readyState >= 2;
  }

  async function loadHtml(layer, c) {
    // An iframe fires `load` even for an error page: ask the server too (in parallel).
    const head = fetch(c.src, { method: 'HEAD' });
    const frame = document.createElement('iframe');
    frame.setAttribute('sandbox', 'allow-scripts');
    frame.setAttribute('referrerpolicy', 'no-referrer');
    frame.setAttribute('scrolling', 'no');
    let loaded = false;
    const done = new Promise((resolve) => {
      frame.addEventListener(
        'load',
        () => {
          loaded = true;
          resolve();
        },
        { once: true },
      );
    });
    frame.src = c.src;
    layer.replaceChildren(frame);
    const res = await head;
    if (!res.ok) throw new Error(`html ${c.src}: HTTP ${res.status}`);
    await done;
    return () => loaded;
  }

  async function loadText(layer, c, lang) {
    const box = el('div', { className: `text-slide ${c.style || 'standard'}`, lang }, [
      ...(c.title ? [el('h1', { text: c.title })] : []),
      el('p', { text: c.body }),
    ]);
    layer.replaceChildren(box);
    await settleFonts(box);
    return () => box.isConnected;
  }

  async function loadCard(layer, c, lang) {
    const box = el('div', { className: 'card', lang }, [
      el('div', { className: 'brand', text: 'gatecast' }),
      el('h1', { text: c.title }),
      ...(c.lines || []).map((line) => el('p', { text: line })),
    ]);
    layer.replaceChildren(box);
    await settleFonts(box);
    return () => box.isConnected;
  }

  /** Lays out the text and waits for any font it needs, so the switch shows final glyphs. */
  async function settleFonts(box) {
    box.getBoundingClientRect();
    const jobs = [];
    for (const node of box.querySelectorAll('*')) {
      const text = node.textContent;
      if (text) jobs.push(document.fonts.load(getComputedStyle(node).font, text).catch(() => []));
    }
    await Promise.all(jobs);
    await document.fonts.ready;
  }

  async function prepare(layer, slide) {
    const c = slide.content;
    switch (c.kind) {
      case 'image':
        return loadImage(layer, c);
      case 'video':
        return loadVideo(layer, c);
      case 'html':
        return loadHtml(layer, c);
      case 'text':
        return loadText(layer, c, slide.lang);
      case 'card':
        return loadCard(layer, c, slide.lang);
      default:
        throw new Error(`unknown slide kind ${c.kind}`);
    }
  }

  function release(layer) {
    layer.classList.remove('leaving');
    for (const v of layer.querySelectorAll('video')) {
      v.pause();
      v.removeAttribute('src');
      v.load();
    }
    layer.replaceChildren();
    for (const a of layer.getAnimations()) a.cancel();
    layer.classList.remove('rising');
  }

  // ---------------------------------------------------------------------------------------------
  // The queue

  const isExpired = (slide, now) => slide.startAt > 0 && slide.startAt + slide.durationMs <= now;

  function pump() {
    for (const buf of buffers) {
      while (buf.state === 'free' && queue.length > 0) {
        const slide = queue.shift();
        if (isExpired(slide, epochNow())) {
          stats.errors++;
          report({ type: 'error', slideId: slide.id, reason: 'expired before it could be shown' });
          continue;
        }
        load(buf, slide);
      }
    }
  }

  function load(buf, slide) {
    const token = ++buf.token;
    buf.slide = slide;
    buf.state = 'loading';
    buf.painted = null;
    withTimeout(prepare(buf.el, slide), LOAD_TIMEOUT_MS, `slide ${slide.id}`)
      .then(async (isPainted) => {
        if (token !== buf.token) return;
        // One frame: laid out in the (hidden) layer; it is painted when it goes on air.
        await nextFrame();
        if (token !== buf.token) return;
        if (isExpired(slide, epochNow())) throw new Error('expired while loading');
        buf.painted = isPainted;
        buf.state = 'ready';
        schedule();
      })
      .catch((err) => {
        if (token !== buf.token) return;
        stats.errors++;
        cancel(buf);
        report({ type: 'error', slideId: slide.id, reason: String(err?.message ? err.message : err) });
        pump();
        schedule(); // a later slide may be ready and waiting behind this one
      });
  }

  function cancel(buf) {
    buf.token++;
    release(buf.el);
    buf.slide = null;
    buf.state = 'free';
    buf.painted = null;
  }

  function enqueue(slide) {
    if (!slide || typeof slide.id !== 'string' || seen.has(slide.id)) return false;
    seen.add(slide.id);
    if (seen.size > 5000) seen.delete(seen.values().next().value);
    queue.push(slide);
    queue.sort((a, b) => (a.startAt || 0) - (b.startAt || 0));
    pump();
    return true;
  }

  /** Drops whatever is waiting (not what is on air) and queues these instead. */
  function replace(slides) {
    queue = [];
    for (const buf of buffers) if (isPending(buf)) cancel(buf);
    for (const s of slides) {
      seen.delete(s.id);
      enqueue(s);
    }
    pump();
    schedule();
  }

  /** The pending buffer that goes on air next: the earliest planned start, loaded or not. */
  function nextPending() {
    let best = null;
    for (const buf of buffers) {
      if (isPending(buf) && (!best || (buf.slide.startAt || 0) < (best.slide.startAt || 0))) best = buf;
    }
    return best;
  }

  // ---------------------------------------------------------------------------------------------
  // The switch, on the animation frame nearest the planned start

  function doSwitch(buf, frameEpoch) {
    const slide = buf.slide;
    const painted = buf.painted;
    const incomingEl = buf.el;
    const outgoing = front;
    // A fade still running (an item shorter than its fade) ends now, so layers never stack up.
    for (const a of outgoing.el.getAnimations()) a.finish();
    const fade = slide.transition === 'fade' && slide.fadeMs > 0 && outgoing.slide !== null;
    // The buffer takes over the outgoing layer, which is emptied once it is hidden or covered.
    buf.token++;
    buf.el = outgoing.el;
    buf.slide = outgoing.slide;
    buf.state = 'releasing';
    buf.painted = null;
    const releaseToken = buf.token;
    const free = () => {
      if (buf.token !== releaseToken || buf.state !== 'releasing') return;
      release(buf.el);
      buf.slide = null;
      buf.state = 'free';
      pump();
    };
    if (fade) {
      // The outgoing layer stays painted under the fade until it is released.
      outgoing.el.classList.add('leaving');
      incomingEl.classList.add('rising');
      const anim = incomingEl.animate([{ opacity: 0 }, { opacity: 1 }], {
        duration: slide.fadeMs,
        easing: 'linear',
      });
      anim.onfinish = () => {
        incomingEl.classList.remove('rising');
        free();
      };
    }
    incomingEl.classList.add('front');
    outgoing.el.classList.remove('front');
    for (const v of incomingEl.querySelectorAll('video')) {
      v.play().catch((err) =>
        report({ type: 'error', slideId: slide.id, reason: `video play: ${err.message}` }),
      );
    }
    front = { el: incomingEl, slide, painted };
    setTicker(slide.ticker);
    stats.switches++;
    if (slide.startAt > 0) {
      stats.jitterMs.push(frameEpoch - slide.startAt);
      if (stats.jitterMs.length > 20000) stats.jitterMs.shift();
    }
    report({ type: 'started', slideId: slide.id, startAt: slide.startAt, actualStart: frameEpoch });
    // A cut covers the outgoing layer with an opaque one: empty it on the next frame.
    if (!fade) requestAnimationFrame(free);
  }

  function pendingStart() {
    const b = nextPending();
    const q = queue.length ? queue[0].startAt : undefined;
    if (b && q !== undefined) return Math.min(b.slide.startAt, q);
    return b ? b.slide.startAt : q;
  }

  let isFrameRequested = false;
  let wakeTimer;

  function requestFrame() {
    if (isFrameRequested) return;
    isFrameRequested = true;
    requestAnimationFrame(frame);
  }

  /** How long before a switch the page wakes to look again (a long timer may fire late). */
  const wakeEarlyMs = () => Math.max(WAKE_EARLY_MS, 3 * frameMs);
  /**
   * How long before a switch the page starts watching frames: the frame before the one nearest the
   * start, then that one. Each frame asked for costs a frame of work in every Chromium process.
   */
  const watchMs = () => 1.5 * frameMs;

  /**
   * Arms the wake-up for the next switch: a timer until shortly before it, a second short one from
   * there to the last frame or two, then frames (at once when it is that close, or overdue). Nothing
   * ready, nothing armed: the load that finishes calls this again.
   */
  function schedule() {
    if (wakeTimer !== undefined) clearTimeout(wakeTimer);
    wakeTimer = undefined;
    if (isFrameRequested) return; // the frame callback decides again
    const next = nextPending();
    if (!next || next.state !== 'ready') return;
    const leftMs = (next.slide.startAt || 0) - epochNow();
    // Within a couple of ms of the watch: no timer worth setting.
    if (leftMs <= watchMs() + 2) {
      requestFrame();
      return;
    }
    const wakeInMs = leftMs > wakeEarlyMs() ? leftMs - wakeEarlyMs() : leftMs - watchMs();
    wakeTimer = setTimeout(() => {
      wakeTimer = undefined;
      schedule();
    }, wakeInMs);
  }

  function frame(ts) {
    isFrameRequested = false;
    if (lastFrameTs) {
      const d = ts - lastFrameTs;
      if (d > 4 && d < 100) frameMs = frameMs * 0.9 + d * 0.1;
    }
    lastFrameTs = ts;
    const now = performance.timeOrigin + ts;
    const next = nextPending();
    if (next && next.state === 'ready' && now + frameMs / 2 >= (next.slide.startAt || 0)) {
      doSwitch(next, now);
    }
    if (isCountingFrames) {
      // Frame accounting: a frame is blank when what is on air has nothing painted, stale when the
      // next slide was due more than one frame ago and is not on air yet.
      if (front.slide) {
        stats.frames++;
        if (!front.painted?.()) stats.blankFrames++;
        const due = pendingStart();
        if (due > 0 && now - due > frameMs) stats.staleFrames++;
      }
      requestFrame();
    }
    schedule();
  }

  // ---------------------------------------------------------------------------------------------
  // The ticker: the gate's languages in order, scrolling right to left, seamless loop

  const tickerBox = document.getElementById('ticker');
  const tickerTrack = document.getElementById('ticker-track');
  let tickerKey = '';
  let tickerAnim = null;

  function setTicker(spec) {
    const key = spec ? JSON.stringify(spec) : '';
    if (key === tickerKey) return;
    tickerKey = key;
    if (tickerAnim) tickerAnim.cancel();
    tickerAnim = null;
    if (!spec?.parts || spec.parts.length === 0) {
      tickerBox.hidden = true;
      document.body.classList.remove('with-ticker');
      tickerTrack.replaceChildren();
      return;
    }
    const run = () => {
      const nodes = [];
      for (const part of spec.parts) {
        nodes.push(el('span', { lang: part.lang, text: part.text }));
        nodes.push(el('span', { className: 'sep', text: '•', 'aria-hidden': 'true' }));
      }
      return nodes;
    };
    tickerTrack.replaceChildren(...run(), ...run());
    tickerBox.hidden = false;
    document.body.classList.add('with-ticker');
    const half = tickerTrack.scrollWidth / 2;
    const speed = spec.speedPxPerS > 0 ? spec.speedPxPerS : 80;
    tickerAnim = tickerTrack.animate(
      [{ transform: 'translateX(0)' }, { transform: `translateX(${-half}px)` }],
      { duration: (half / speed) * 1000, iterations: Number.POSITIVE_INFINITY },
    );
  }

  // ---------------------------------------------------------------------------------------------

  window.addEventListener('error', (e) => report({ type: 'page-error', message: String(e.message) }));
  window.addEventListener('unhandledrejection', (e) =>
    report({
      type: 'page-error',
      message: String(e.reason?.message ? e.reason.message : e.reason),
    }),
  );

  // A notice over the content (identify, the technician's button); removed when it expires.
  let noticeTimer;
  function notice(spec) {
    let box = document.getElementById('notice');
    if (noticeTimer) clearTimeout(noticeTimer);
    noticeTimer = undefined;
    const left = spec ? spec.untilEpochMs - epochNow() : 0;
    if (!spec || left <= 0) {
      if (box) box.remove();
      return;
    }
    if (!box) {
      box = document.createElement('div');
      box.id = 'notice';
      document.body.appendChild(box);
    }
    box.replaceChildren(...spec.lines.map((line) => el('div', { className: 'notice-line', text: line })));
    noticeTimer = setTimeout(() => notice(null), left);
  }

  window.gatecast = Object.freeze({
    pageId,
    enqueue,
    replace,
    notice,
    /** What is on air and waiting, for screenshots' captions and tests. */
    state: () => ({
      current: front.slide ? front.slide.id : null,
      loading: buffers.filter(isPending).map((b) => b.slide.id),
      queued: queue.map((s) => s.id),
    }),
    stats: () => ({ ...stats, jitterMs: stats.jitterMs.slice(), frameMs }),
    resetStats: () => {
      stats.frames = 0;
      stats.blankFrames = 0;
      stats.staleFrames = 0;
      stats.switches = 0;
      stats.errors = 0;
      stats.jitterMs = [];
    },
  });

  if (isCountingFrames) requestFrame();
  report({ type: 'ready', at: Date.now() });
})();
