/*
 * The gate screen's player. No framework, no network beyond the page server it came from.
 *
 * Double (or triple) buffer: stacked layers. The front one is on air; the next slides are loaded and
 * decoded in the others (underneath, hidden: laid out but not painted), and only when it is ready is
 * it raised, on the animation frame closest to its planned start. A slide that fails to load is reported and dropped:
 * the front layer stays up, so the screen is never blank.
 *
 * Between switches the page does nothing: a timer wakes it shortly before the next planned start
 * and a second one half a frame before it; it watches animation frames only for the switch (and at
 * most the frame just gone that Chromium may hand over first), empties the old layer in the same
 * frame, then lets the compositor idle. Frame accounting (blank and stale frames, for the
 * benchmarks) runs on every frame only when the page is opened with `?frames=1`, never on a screen.
 *
 * The daemon drives the page with `gatecast.enqueue(slide)` / `gatecast.replace(slides)` and hears
 * back through the supervisor's DevTools binding `__gatecastReport` (over its pipe, no request):
 * `ready`, `started` (a side or footer region's starts name the region), `region-ended`, `error`,
 * `page-error`. Liveness is not reported: the supervisor reads `gatecast.state()` over the same pipe.
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
  // The page runs for months: resource timing entries (read by loadHtml) are dropped when the
  // buffer fills rather than kept.
  performance.addEventListener('resourcetimingbufferfull', () => performance.clearResourceTimings());

  // ---------------------------------------------------------------------------------------------
  // Reports to the daemon

  // The supervisor's DevTools binding: a report costs no request and reaches only the supervisor.
  // Without it (the page opened outside the supervisor) nobody listens and reports go nowhere.
  const sendReport = typeof window.__gatecastReport === 'function' ? window.__gatecastReport : null;

  function report(body) {
    if (sendReport) sendReport(JSON.stringify({ pageId, ...body }));
  }

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
    // An iframe fires `load` even for an error page: its navigation's status decides. The page's
    // resource timing has it (no request more, and the file may come from the browser's cache);
    // without a new entry for it (the buffer was just emptied, or a browser without
    // `responseStatus`), the server is asked.
    const url = new URL(c.src, location.href).href;
    const before = performance.getEntriesByName(url, 'resource').length;
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
    await done;
    const entries = performance.getEntriesByName(url, 'resource');
    let status = entries.length > before ? entries[entries.length - 1].responseStatus : undefined;
    if (!(status > 0)) status = (await fetch(c.src, { method: 'HEAD' })).status;
    if (status < 200 || status > 299) throw new Error(`html ${c.src}: HTTP ${status}`);
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

  /**
   * An emergency: every language at once, stacked, each in its own script, over the whole screen.
   * The text is set as large as fits: from the full size down in steps to a floor that is still
   * large from across a hall (EMERGENCY_MIN_SCALE).
   */
  async function loadEmergency(layer, c) {
    const parts = c.parts.map((p) =>
      el('section', { className: 'emergency-part', lang: p.lang }, [
        ...(p.title ? [el('h1', { text: p.title })] : []),
        el('p', { text: p.body }),
      ]),
    );
    const list = el('div', { className: 'emergency-parts' }, parts);
    const box = el('div', { className: 'emergency', role: 'alert' }, [
      el('div', { className: 'emergency-band', 'aria-hidden': 'true' }),
      list,
    ]);
    layer.replaceChildren(box);
    await settleFonts(box);
    fitEmergency(box, list);
    return () => box.isConnected;
  }

  const EMERGENCY_MIN_SCALE = 0.6;
  function fitEmergency(box, list) {
    for (let scale = 1; scale >= EMERGENCY_MIN_SCALE; scale = Math.round((scale - 0.05) * 100) / 100) {
      box.style.setProperty('--em-scale', String(scale));
      if (list.scrollHeight <= list.clientHeight + 1) return;
    }
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
      case 'emergency':
        return loadEmergency(layer, c);
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
  // Stages: one per region that plays slides (main, and a layout's side and footer). Each has its
  // own stacked layers, queue and frame accounting; one animation-frame loop serves them all.

  // One layer on air, the others load the next slides underneath it (?layers=N, 2..4, default 3:
  // the next two slides preload in parallel, so a slow load has two items' time).
  const layerCount = Math.min(4, Math.max(2, Number(params.get('layers')) || 3));
  const isPending = (b) => b.state === 'loading' || b.state === 'ready';
  const isExpired = (slide, now) => slide.startAt > 0 && slide.startAt + slide.durationMs <= now;
  let frameMs = 1000 / 60;
  let lastFrameTs = 0;
  const stages = [];

  const newStats = () => ({
    frames: 0,
    blankFrames: 0,
    staleFrames: 0,
    switches: 0,
    errors: 0,
    jitterMs: [],
  });

  /**
   * A stage in `stageEl`. `hooks.onSwitch(slide, frameEpoch)` runs as a slide goes on air;
   * `hooks.reportsStarts` says whether its switches are reported to the daemon (proof of play records
   * them; a region's reports name it).
   */
  function createStage(stageEl, name, hooks) {
    const layerEls = [...stageEl.querySelectorAll('.layer')];
    while (layerEls.length < layerCount) {
      const l = document.createElement('div');
      l.className = 'layer';
      stageEl.appendChild(l);
      layerEls.push(l);
    }
    /** On air. */
    let front = { el: layerEls[0], slide: null, painted: null };
    /** Loading or holding the next slides. state: free | loading | ready | releasing */
    const buffers = layerEls
      .slice(1, layerCount)
      .map((el) => ({ el, slide: null, state: 'free', painted: null, token: 0 }));
    front.el.classList.add('front');
    /** Slides waiting for a free layer, by start time. */
    let queue = [];
    const seen = new Set();
    const stats = newStats();
    let wakeTimer;

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

    /** Empties the stage, what is on air included (a region the new layout no longer has). */
    function clear() {
      queue = [];
      for (const buf of buffers) if (buf.state !== 'free') cancel(buf);
      release(front.el);
      front.slide = null;
      front.painted = null;
      if (wakeTimer !== undefined) clearTimeout(wakeTimer);
      wakeTimer = undefined;
    }

    /** The pending buffer that goes on air next: the earliest planned start, loaded or not. */
    function nextPending() {
      let best = null;
      for (const buf of buffers) {
        if (isPending(buf) && (!best || (buf.slide.startAt || 0) < (best.slide.startAt || 0))) best = buf;
      }
      return best;
    }

    // The switch, on the animation frame nearest the planned start.
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
      const free = (isPumpingNow = true) => {
        if (buf.token !== releaseToken || buf.state !== 'releasing') return;
        release(buf.el);
        buf.slide = null;
        buf.state = 'free';
        if (isPumpingNow) pump();
        else setTimeout(pump, 0);
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
          free(true);
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
      stats.switches++;
      if (slide.startAt > 0) {
        stats.jitterMs.push(frameEpoch - slide.startAt);
        if (stats.jitterMs.length > 20000) stats.jitterMs.shift();
      }
      hooks.onSwitch?.(slide, frameEpoch);
      if (hooks.reportsStarts)
        report({
          type: 'started',
          slideId: slide.id,
          startAt: slide.startAt,
          actualStart: frameEpoch,
          ...(name === 'main' ? {} : { region: name }),
        });
      // A cut covers the outgoing layer at once: it is emptied in this same frame (as a page that
      // swaps one element for another does) instead of in a frame more asked for; the next load
      // starts after the frame, so the switch frame does no more than the swap.
      if (!fade) free(false);
    }

    function pendingStart() {
      const b = nextPending();
      const q = queue.length ? queue[0].startAt : undefined;
      if (b && q !== undefined) return Math.min(b.slide.startAt, q);
      return b ? b.slide.startAt : q;
    }

    /**
     * Arms the wake-up for the next switch: a timer until shortly before it, a second short one from
     * there to half a frame before it, then frames (at once when it is that close, or overdue).
     * Nothing ready, nothing armed: the load that finishes calls this again.
     */
    function schedule() {
      if (wakeTimer !== undefined) clearTimeout(wakeTimer);
      wakeTimer = undefined;
      if (isFrameRequested) return; // the frame callback decides again
      const next = nextPending();
      if (!next || next.state !== 'ready') return;
      const leftMs = (next.slide.startAt || 0) - epochNow();
      // Within a millisecond of the watch: no timer worth setting.
      if (leftMs <= watchMs() + 1) {
        requestFrame();
        return;
      }
      const wakeInMs = leftMs > wakeEarlyMs() ? leftMs - wakeEarlyMs() : leftMs - watchMs();
      wakeTimer = setTimeout(() => {
        wakeTimer = undefined;
        schedule();
      }, wakeInMs);
    }

    /** One animation frame: the switch when it is due, then (with ?frames=1) the accounting. */
    function onFrame(now) {
      const next = nextPending();
      if (next && next.state === 'ready' && now + frameMs / 2 >= (next.slide.startAt || 0)) {
        doSwitch(next, now);
      }
      if (isCountingFrames && front.slide) {
        // A frame is blank when what is on air has nothing painted, stale when the next slide was
        // due more than one frame ago and is not on air yet.
        stats.frames++;
        if (!front.painted?.()) stats.blankFrames++;
        const due = pendingStart();
        if (due > 0 && now - due > frameMs) stats.staleFrames++;
      }
    }

    const stage = {
      name,
      enqueue,
      replace,
      clear,
      schedule,
      onFrame,
      stats,
      state: () => ({
        current: front.slide ? front.slide.id : null,
        loading: buffers.filter(isPending).map((b) => b.slide.id),
        queued: queue.map((s) => s.id),
      }),
    };
    stages.push(stage);
    return stage;
  }

  let isFrameRequested = false;

  function requestFrame() {
    if (isFrameRequested) return;
    isFrameRequested = true;
    requestAnimationFrame(frame);
  }

  /** How long before a switch the page wakes to look again (a long timer may fire late). */
  const wakeEarlyMs = () => Math.max(WAKE_EARLY_MS, 3 * frameMs);
  /**
   * How long before a switch the page asks for a frame: half a frame, so that the next frame to
   * begin is the one nearest the start. Chromium may first hand over the frame of the vsync just
   * gone (its time before the request: too early, one frame watched for nothing), never more than
   * that one. Each frame asked for costs a frame of work in every Chromium process.
   */
  const watchMs = () => 0.5 * frameMs;

  function frame(ts) {
    isFrameRequested = false;
    if (lastFrameTs) {
      const d = ts - lastFrameTs;
      if (d > 4 && d < 100) frameMs = frameMs * 0.9 + d * 0.1;
    }
    lastFrameTs = ts;
    const now = performance.timeOrigin + ts;
    for (const s of stages) s.onFrame(now);
    if (isCountingFrames) {
      countWidgetFrame();
      requestFrame();
    }
    for (const s of stages) s.schedule();
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
  // The layout (docs/layouts.md): header, main, side or the info panel, footer and ticker, sized
  // from the viewport so that main has the content's aspect and no bars.

  const root = document.documentElement;
  const headerEl = document.getElementById('header');
  const gateNameEl = document.getElementById('gate-name');
  const timeEl = document.getElementById('clock-time');
  const dateEl = document.getElementById('clock-date');
  const infoEl = document.getElementById('info');
  const countdownEls = [...document.querySelectorAll('.countdown')];
  const todayEl = document.getElementById('today');
  const stageEl = document.getElementById('stage');
  const sideEl = document.getElementById('side');
  const footerEl = document.getElementById('footer');

  /** The layout on air (null: the whole screen), and the language of the main slide on air. */
  let layout = null;
  let layoutKey = '';
  let regionKeys = { side: '', footer: '' };
  let lang = document.documentElement.lang || 'vi';
  let minuteTimer;

  const px = (n) => `${Math.round(n)}px`;
  function place(el, box) {
    if (!box) {
      el.hidden = true;
      return;
    }
    el.hidden = false;
    Object.assign(el.style, { left: px(box.x), top: px(box.y), width: px(box.w), height: px(box.h) });
  }

  /**
   * The regions' boxes in this viewport. Bands (header, footer, ticker) take a share of the short
   * side; main takes the largest box of its aspect in what is left, and the rest (beside it on a
   * landscape screen, below it on a portrait one) goes to the side region or the info panel.
   */
  function geometry(spec, W, H) {
    const short = Math.min(W, H);
    const headerH = spec.header ? Math.round(short * 0.1) : 0;
    const footerH = spec.footer ? Math.round(short * 0.1) : 0;
    const tickerH = spec.ticker ? Math.round(short * 0.075) : 0;
    const availH = H - headerH - footerH - tickerH;
    const aspect = spec.aspect > 0 ? spec.aspect : 16 / 9;
    let main;
    let rest;
    if (W / availH > aspect) {
      const w = Math.min(W, Math.round(availH * aspect));
      main = { x: 0, y: headerH, w, h: availH };
      rest = { x: w, y: headerH, w: W - w, h: availH };
    } else {
      const h = Math.min(availH, Math.round(W / aspect));
      main = { x: 0, y: headerH, w: W, h };
      rest = { x: 0, y: headerH + h, w: W, h: availH - h };
    }
    // A sliver is not a region: main takes it (a bar under a pixel wide).
    if (rest.w < 2 || rest.h < 2) rest = null;
    return {
      header: headerH ? { x: 0, y: 0, w: W, h: headerH } : null,
      main,
      rest,
      footer: footerH ? { x: 0, y: headerH + availH, w: W, h: footerH } : null,
      ticker: tickerH ? { x: 0, y: H - tickerH, w: W, h: tickerH } : null,
    };
  }

  function layOut() {
    if (!layout) {
      document.body.classList.remove('with-layout');
      for (const e of [headerEl, infoEl, sideEl, footerEl]) e.hidden = true;
      stageEl.removeAttribute('style');
      tickerBox.removeAttribute('style');
      return;
    }
    const W = window.innerWidth;
    const H = window.innerHeight;
    const g = geometry(layout, W, H);
    document.body.classList.add('with-layout');
    root.style.setProperty('--u', `${Math.min(W, H) / 100}px`);
    place(headerEl, g.header);
    Object.assign(stageEl.style, {
      left: px(g.main.x),
      top: px(g.main.y),
      width: px(g.main.w),
      height: px(g.main.h),
      right: 'auto',
      bottom: 'auto',
    });
    place(sideEl, layout.side ? g.rest : null);
    place(infoEl, !layout.side && layout.header ? g.rest : null);
    place(footerEl, g.footer);
    if (g.ticker) {
      Object.assign(tickerBox.style, { height: px(g.ticker.h) });
      root.style.setProperty('--ticker-h', px(g.ticker.h));
    } else {
      tickerBox.removeAttribute('style');
      root.style.removeProperty('--ticker-h');
    }
    // The countdown sits in the info panel when there is one, else in the header.
    headerEl.classList.toggle('with-countdown', !!layout.header && infoEl.hidden);
  }
  window.addEventListener('resize', layOut);

  function setLayout(spec) {
    const key = spec ? JSON.stringify({ ...spec, header: !!spec.header, side: 0, footer: 0 }) : '';
    const previous = layout;
    layout = spec || null;
    if (key !== layoutKey || !previous !== !layout) {
      layoutKey = key;
      layOut();
    }
    for (const region of ['side', 'footer']) {
      const slides = layout?.[region] || null;
      const k = slides ? JSON.stringify(slides) : '';
      if (k === regionKeys[region]) continue;
      regionKeys[region] = k;
      if (slides || regionStages[region]) loopRegion(regionStage(region), slides);
    }
    renderHeader();
  }

  // The header and the info panel: the gate's name in the language on air, the clock, the countdown.

  /** Mirrors protocol/gate-hours.ts countdownAt (the Chromium tests compare the two). */
  function countdownAt(view, now) {
    if (now < view.from || now >= view.to) return undefined;
    const i = view.intervals.find((x) => x.to > now);
    if (!i) return { kind: 'closed' };
    if (i.from <= now)
      return i.to >= view.to ? { kind: 'always' } : { kind: 'closes', remainingMs: i.to - now };
    return { kind: 'opens', remainingMs: i.from - now };
  }

  /** Mirrors protocol/gate-hours.ts durationText and countdownText. */
  function countdownText(t, c) {
    if (c.kind === 'always') return t.always;
    if (c.kind === 'closed') return t.closed;
    const minutes = Math.max(1, Math.ceil(c.remainingMs / 60000));
    const d = Math.floor(minutes / 1440);
    const h = Math.floor((minutes % 1440) / 60);
    const m = minutes % 60;
    const parts = [];
    if (d > 0) parts.push(t.days.replace('{n}', String(d)));
    if (h > 0) parts.push(t.hours.replace('{n}', String(h)));
    if (m > 0 && d === 0) parts.push(t.minutes.replace('{n}', String(m)));
    return (c.kind === 'opens' ? t.opensIn : t.closesIn).replace('{d}', parts.join(t.joiner));
  }

  const timeFormats = new Map();
  /** Mirrors protocol/gate-hours.ts timeText: HH:MM, 24 h, Latin digits, in the gate's zone. */
  function timeText(zone, now) {
    let f = timeFormats.get(zone);
    if (!f) {
      f = new Intl.DateTimeFormat('en-GB', {
        timeZone: zone,
        hour: '2-digit',
        minute: '2-digit',
        hourCycle: 'h23',
      });
      timeFormats.set(zone, f);
    }
    return f.format(now);
  }

  /** Mirrors protocol/gate-hours.ts dateText (our own words: Chromium's ICU has no Khmer or Lao dates). */
  function dateText(t, day) {
    const [y, m, d] = day.date.split('-').map(Number);
    return t.date
      .replace('{weekday}', t.weekdays[day.weekday - 1])
      .replace('{day}', String(d))
      .replace('{month}', t.months[m - 1])
      .replace('{year}', String(y));
  }

  /** Fills the header and info panel for `lang` and now, and wakes again on the next minute. */
  function renderHeader() {
    if (minuteTimer !== undefined) clearTimeout(minuteTimer);
    minuteTimer = undefined;
    const h = layout?.header;
    if (!h) return;
    const names = h.names || {};
    const shown = names[lang] ? lang : Object.keys(names)[0];
    const now = epochNow();
    const setText = (e, language, text) => {
      if (e.textContent !== text) e.textContent = text;
      if (e.lang !== language) e.lang = language;
    };
    setText(gateNameEl, shown, names[shown] || '');
    const language = h.texts[lang] ? lang : Object.keys(h.texts)[0];
    const texts = h.texts[language];
    const day = h.days.find((d) => d.from <= now && now < d.to);
    if (h.clock) {
      setText(timeEl, language, timeText(h.timeZone, now));
      setText(dateEl, language, day && texts ? dateText(texts, day) : '');
    }
    timeEl.hidden = dateEl.hidden = !h.clock;
    const c = h.hours ? countdownAt(h.hours, now) : undefined;
    for (const e of countdownEls) setText(e, language, c && texts ? countdownText(texts, c) : '');
    const hoursDay = h.hours?.days.find((d) => d.from <= now && now < d.to);
    setText(
      todayEl,
      language,
      hoursDay && texts
        ? hoursDay.hours.length
          ? texts.today.replace('{hours}', hoursDay.hours.join(', '))
          : texts.closedToday
        : '',
    );
    // Once a minute, on the minute: the only timer the header keeps.
    minuteTimer = setTimeout(renderHeader, 60000 - (now % 60000) + 5);
  }

  // Side and footer: their slides in turn, looping, each started when the one before has had its time.

  function loopRegion(stage, slides) {
    stage.loop = undefined;
    const shown = stage.state().current;
    if (shown) report({ type: 'region-ended', region: stage.name, slideId: shown, at: epochNow() });
    stage.clear();
    if (!slides || slides.length === 0) return;
    stage.loop = { slides, index: 0, round: 0 };
    stage.enqueue({ ...slides[0], id: `${slides[0].id}#0`, startAt: 0 });
  }

  function nextInLoop(stage, slide, frameEpoch) {
    const loop = stage.loop;
    if (!loop || loop.slides.length < 2) return;
    loop.index = (loop.index + 1) % loop.slides.length;
    loop.round++;
    const next = loop.slides[loop.index];
    stage.enqueue({ ...next, id: `${next.id}#${loop.round}`, startAt: frameEpoch + slide.durationMs });
  }

  // ---------------------------------------------------------------------------------------------
  // The stages and what goes with a switch on main: ticker, layout, header language, emergency.

  const mainStage = createStage(stageEl, 'main', {
    reportsStarts: true,
    onSwitch: (slide) => {
      const isEmergency = slide.content?.kind === 'emergency';
      document.body.classList.toggle('emergency', isEmergency);
      if (isEmergency) return; // the layout stays set up underneath, and comes back after it
      setTicker(slide.ticker);
      if (slide.lang && slide.lang !== 'zxx') lang = slide.lang;
      setLayout(slide.layout);
    },
  });
  /** Side and footer get their layers the first time a layout has them (a page without stays as it was). */
  const regionStages = { side: null, footer: null };
  function regionStage(region) {
    if (!regionStages[region]) {
      const s = createStage(region === 'side' ? sideEl : footerEl, region, {
        reportsStarts: true,
        onSwitch: (slide, t) => nextInLoop(s, slide, t),
      });
      regionStages[region] = s;
    }
    return regionStages[region];
  }

  /** Frame accounting of the widget regions (?frames=1): a shown header or ticker with nothing in it. */
  const widgetStats = { header: newStats(), ticker: newStats() };
  function countWidgetFrame() {
    if (!layout || document.body.classList.contains('emergency')) return;
    if (layout.header) {
      widgetStats.header.frames++;
      if (!gateNameEl.textContent || (layout.header.clock && !timeEl.textContent))
        widgetStats.header.blankFrames++;
    }
    if (layout.ticker) {
      widgetStats.ticker.frames++;
      if (tickerBox.hidden || tickerTrack.childElementCount === 0) widgetStats.ticker.blankFrames++;
    }
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

  const copyStats = (s) => ({ ...s, jitterMs: s.jitterMs.slice() });

  window.gatecast = Object.freeze({
    pageId,
    enqueue: (slide) => mainStage.enqueue(slide),
    replace: (slides) => mainStage.replace(slides),
    notice,
    /** What is on air and waiting, for screenshots' captions and tests. */
    state: () => mainStage.state(),
    /** Main's frame accounting (as before layouts), with every region's under `regions`. */
    stats: () => {
      const regions = {};
      for (const s of stages) if (s.stats.frames > 0 || s === mainStage) regions[s.name] = copyStats(s.stats);
      for (const [k, v] of Object.entries(widgetStats)) if (v.frames > 0) regions[k] = copyStats(v);
      return { ...copyStats(mainStage.stats), frameMs, regions };
    },
    resetStats: () => {
      for (const s of [...stages.map((x) => x.stats), ...Object.values(widgetStats)])
        Object.assign(s, newStats());
    },
    /** The regions as laid out now (tests and previews). */
    regions: () => {
      const box = (e) => {
        if (!e || e.hidden) return null;
        const r = e.getBoundingClientRect();
        return { x: r.x, y: r.y, w: r.width, h: r.height };
      };
      return {
        layout: layout ? layout.id : null,
        emergency: document.body.classList.contains('emergency'),
        header: box(headerEl),
        main: box(stageEl),
        side: box(sideEl),
        info: box(infoEl),
        footer: box(footerEl),
        ticker: box(tickerBox),
        sideState: regionStages.side?.state() ?? null,
        footerState: regionStages.footer?.state() ?? null,
      };
    },
  });

  if (isCountingFrames) requestFrame();
  report({ type: 'ready', at: Date.now() });
})();
