/**
 * The dashboard shell every page shares: header, navigation (each link shown only to a role allowed
 * its action), the language switch, and the messages the client scripts read. Each feature renders
 * its own pages (fleet/, content/, alerts/, reports/, accounts/) inside this shell; the shell imports
 * no feature. Server-rendered pages: Every string from devices, gates or users passes through the
 * `html` template's escaping; every word shown comes from the catalogues (the shell's own in texts.ts); the client scripts get
 * the messages they need as a JSON data block (not executed, so the CSP needs no inline script).
 */
import { html, raw, type SafeHtml } from '../web/escape.js';
import { type Action, isAllowed, type Role } from '../web/roles.js';
import { browserUrl } from './browser-files.js';
import { type ShellKey, shellTexts } from './texts.js';
import { DASHBOARD_LOCALE, type DashboardLanguage } from './language.js';

/**
 * The messages every page's scripts read, in `lang`: the shell's texts and the locale (a page adds
 * its feature's own through PageOptions.messages).
 */
export function clientMessages(lang: DashboardLanguage): Record<string, string> {
  return { ...shellTexts.messages(lang), locale: DASHBOARD_LOCALE[lang] };
}

/** Who is signed in, as the shell shows them. */
export interface ShellUser {
  displayName: string;
  role: Role;
  /** Every role of the account (the header shows them all). */
  roles: readonly Role[];
}

/** JSON safe inside a <script type="application/json"> block. */
export function jsonBlock(v: unknown): SafeHtml {
  return raw(
    JSON.stringify(v)
      .replace(/</g, '\\u003c')
      .replace(/>/g, '\\u003e')
      .replace(/&/g, '\\u0026')
      .replace(/\u2028/g, '\\u2028')
      .replace(/\u2029/g, '\\u2029'),
  );
}

/**
 * The header's links, in order: each shown only to a role allowed its action. Pages in other files
 * add themselves here (one line each).
 */
export const NAV: readonly { href: string; label: (lang: DashboardLanguage) => string; action: Action }[] = [
  { href: '/dashboard', label: (l) => shellTexts.text(l, 'nav.fleet'), action: 'fleet.view' },
  {
    href: '/dashboard/fleet/manage',
    label: (l) => shellTexts.text(l, 'nav.fleetManage'),
    action: 'fleet.manage',
  },
  { href: '/dashboard/alerts', label: (l) => shellTexts.text(l, 'nav.alerts'), action: 'alerts.view' },
  { href: '/dashboard/releases', label: (l) => shellTexts.text(l, 'nav.releases'), action: 'releases.view' },
  { href: '/dashboard/content', label: (l) => shellTexts.text(l, 'nav.content'), action: 'content.view' },
  { href: '/dashboard/drafts', label: (l) => shellTexts.text(l, 'nav.drafts'), action: 'content.view' },
  {
    href: '/dashboard/emergency',
    label: (l) => shellTexts.text(l, 'nav.emergency'),
    action: 'emergency.view',
  },
  { href: '/dashboard/templates', label: (l) => shellTexts.text(l, 'nav.templates'), action: 'content.view' },
  { href: '/dashboard/reports', label: (l) => shellTexts.text(l, 'nav.reports'), action: 'reports.view' },
  { href: '/dashboard/users', label: (l) => shellTexts.text(l, 'nav.users'), action: 'users.manage' },
  { href: '/dashboard/audit', label: (l) => shellTexts.text(l, 'nav.audit'), action: 'audit.view' },
  { href: '/dashboard/api', label: (l) => shellTexts.text(l, 'nav.api'), action: 'api.docs' },
];

export interface PageOptions {
  lang: DashboardLanguage;
  title: string;
  user?: ShellUser;
  csrfToken?: string;
  /** The page's own script (browserUrl()); every page also loads the shared client helper. */
  script?: string;
  /** Where the language switch comes back to. */
  path: string;
  /** Messages the page's own script reads, beside the shared ones. */
  messages?: Record<string, string>;
}

/** The page shell every dashboard page shares (header, language switch, messages for the scripts). */
export function page(o: PageOptions, body: SafeHtml): string {
  const other: DashboardLanguage = o.lang === 'vi' ? 'en' : 'vi';
  const t = (k: ShellKey) => shellTexts.text(o.lang, k);
  return html`<!doctype html>
    <html lang="${o.lang}">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        ${o.csrfToken ? html`<meta name="csrf-token" content="${o.csrfToken}" />` : ''}
        <title>${o.title} · ${t('app.title')}</title>
        <link rel="stylesheet" href="${browserUrl('dashboard', 'dashboard.css')}" />
      </head>
      <body>
        <header>
          <strong>${t('app.title')}</strong><span class="grow"></span>
          ${
            o.user
              ? html`<nav>
                  ${NAV.filter((n) => isAllowed(o.user!.roles, n.action)).map(
                    (n) =>
                      html`<a
                        class="nav${o.path === n.href ? ' current' : ''}"
                        id="nav-${n.href.split('/').pop()}"
                        href="${n.href}"
                        >${n.label(o.lang)}</a
                      >`,
                  )}
                </nav>`
              : ''
          }
          ${
            o.user && (isAllowed(o.user.roles, 'draft.approve') || isAllowed(o.user.roles, 'draft.submit'))
              ? html`<a id="waiting-badge" href="/dashboard/drafts#waiting" data-count=""
                  >${t('nav.waiting')} <span id="waiting-count" class="badge">…</span></a
                >`
              : ''
          }
          ${
            o.user
              ? html`<a id="whoami" href="/dashboard/account" title="${t('nav.account')}"
                  >${o.user.displayName} (${o.user.roles.map((r) => t(`role.${r}`)).join(', ')})</a
                >`
              : ''
          }
          <a
            id="lang-switch"
            href="/dashboard/lang/${other}?next=${encodeURIComponent(o.path)}"
            hreflang="${other}"
            >${t('lang.switch')}</a
          >
          ${o.user ? html`<button id="logout" type="button">${t('logout')}</button>` : ''}
        </header>
        ${body}
        <script type="application/json" id="gc-msgs">
          ${jsonBlock({ ...clientMessages(o.lang), ...o.messages })}
        </script>
        <script type="module" src="${browserUrl('dashboard', 'client.js')}"></script>
        ${o.script ? html`<script type="module" src="${o.script}"></script>` : ''}
      </body>
    </html>`.value;
}
