/**
 * Chromium's command line for a kiosk screen. Pure: main.ts decides the display kind from the
 * environment. Flags marked [U] are unverified on a Pi (see docs/field-notes.md §1).
 */

export type DisplayKind = 'wayland' | 'x11' | 'none';

export interface LaunchArgsOptions {
  display: DisplayKind;
  headless: boolean;
  /** Window (headless) size; the kiosk window is maximised instead. */
  width: number;
  height: number;
  /** Running as root needs --no-sandbox (Chromium refuses to start otherwise). */
  isRoot: boolean;
  /**
   * The page server's origin (`http://127.0.0.1:PORT`): when given, it is the only address the
   * browser reaches directly; the rest of the loopback goes to the dead proxy like everything else.
   */
  pageOrigin?: string;
}

export function kioskArgs(o: LaunchArgsOptions): string[] {
  const args = [
    // [V] Pi kiosk tutorial: no first-run UI, no error dialogs, no info bars.
    '--no-first-run',
    '--noerrdialogs',
    '--disable-infobars',
    '--no-default-browser-check',
    // [R] pi-kiosk: no "restore pages?" bubble after a crash or a power cut.
    '--disable-session-crashed-bubble',
    '--disable-restore-session-state',
    // [U] muted autoplay is allowed anyway; this also lets unmuted media start without a gesture.
    '--autoplay-policy=no-user-gesture-required',
    // [U] no update checks, no swipe navigation, no pinch zoom, no keyring prompt.
    '--check-for-update-interval=31536000',
    '--overscroll-history-navigation=0',
    '--disable-pinch',
    '--password-store=basic',
    // The screen never talks to the internet: no background fetches, updates, sync or translate.
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--disable-features=Translate,MediaRouter,OptimizationHints,InterestFeedContentSuggestions',
    '--disable-domain-reliability',
    '--metrics-recording-only',
    // Under CSP: names other than localhost do not resolve, and everything not on the loopback
    // goes to a proxy that is not there (loopback bypasses proxies implicitly).
    '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1',
    '--proxy-server=http://127.0.0.1:1',
    // With the page server's origin, Chromium itself refuses every other request, the rest of the
    // loopback included: `<-loopback>` drops the implicit loopback bypass and only the page
    // server's host:port goes direct. This replaces request interception, which sent each request
    // to the supervisor over DevTools and back.
    ...(o.pageOrigin ? [`--proxy-bypass-list=<-loopback>;${new URL(o.pageOrigin).host}`] : []),
    // Keep timers and rendering at full rate even if the compositor thinks the window is hidden.
    '--disable-background-timer-throttling',
    '--disable-renderer-backgrounding',
    '--disable-backgrounding-occluded-windows',
    '--hide-scrollbars',
  ];
  if (o.isRoot) args.push('--no-sandbox');
  if (o.headless) {
    args.push(`--window-size=${o.width},${o.height}`);
  } else {
    // [V] rd#2925, rd#3184: --start-maximized, or the kiosk window can come up one pixel wide (bf#31).
    args.push('--kiosk', '--start-maximized', '--enable-features=OverlayScrollbar');
    // [V] the Pi build defaults to Wayland, but say so; X11 sessions need the x11 backend.
    if (o.display === 'wayland') args.push('--ozone-platform=wayland');
    if (o.display === 'x11') args.push('--ozone-platform=x11');
  }
  return args;
}

/** Chromium's path: the configured one, then the Debian and Raspberry Pi OS names. */
export function chromiumCandidates(configured: string | undefined): string[] {
  return [configured, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((p): p is string => !!p);
}
