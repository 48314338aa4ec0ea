/**
 * The account pages: user administration (/dashboard/users, users.manage), the signed-in user's own
 * account (/dashboard/account, session.self) and the audit log (/dashboard/audit, audit.view).
 *
 * The server renders the frame (forms, table heads, the catalogue's words) with the escaping `html`
 * template; the rows are built by the pages' script (accounts/browser/accounts-pages.js) with
 * textContent only, from data embedded as JSON blocks or read from the accounts API, so the same
 * code draws the first page and every refresh. The audit filter (dates in the ops zone) is turned into the API's query
 * here, once, and used both by the page and by its Export CSV link.
 */
import { addDays, isLocalDate, startOfLocalDay } from '../../protocol/zoned-time.js';
import { ROLES } from '../web/roles.js';
import type { PublicAccountKey, PublicUser } from './service.js';
import type { AuditOutcome } from './store.js';
import { type AccountsKey, accountsTexts, AUDIT_ACTIONS } from './texts.js';
import { html, type SafeHtml } from '../web/escape.js';
import { type ColumnOf, table } from '../web/table.js';
import { browserUrl } from '../dashboard/browser-files.js';
import { jsonBlock, page } from '../dashboard/layout.js';
import { shellTexts } from '../dashboard/texts.js';
import { DASHBOARD_LOCALE, type DashboardLanguage } from '../dashboard/language.js';

/** A user as the users page lists it. */
export interface UserRowData extends PublicUser {
  /** Last successful sign-in (from the audit log), or null. */
  lastLoginAt: number | null;
}

export const AUDIT_OUTCOMES: readonly AuditOutcome[] = ['ok', 'denied', 'failed'];
/** Entries per page of the audit log. */
export const AUDIT_PAGE_SIZE = 100;

/** The audit filter as typed in the form (dates YYYY-MM-DD in the ops zone; '' = not set). */
export interface AuditFilter {
  from: string;
  to: string;
  actor: string;
  action: string;
  outcome: string;
  /** Entries per page ('' = AUDIT_PAGE_SIZE). */
  limit: string;
}

export interface ParsedAuditFilter {
  filter: AuditFilter;
  /** The query for /api/audit and /api/audit.csv (without paging), e.g. "actor=admin&from=…". */
  apiQuery: string;
  /** Entries per page. */
  pageSize: number;
  /** Fields that were not valid and were left out. */
  invalid: (keyof AuditFilter)[];
}

const str = (v: unknown) => (typeof v === 'string' ? v.trim() : '');

/**
 * The page's query string → the filter shown in the form and the API query. "to" includes its whole
 * day (the API's `to` is exclusive). Pure.
 */
export function parseAuditFilter(query: Record<string, unknown>, timeZone: string): ParsedAuditFilter {
  const filter: AuditFilter = {
    from: str(query['from']),
    to: str(query['to']),
    actor: str(query['actor']),
    action: str(query['action']),
    outcome: str(query['outcome']),
    limit: str(query['limit']),
  };
  const invalid: (keyof AuditFilter)[] = [];
  const api = new URLSearchParams();
  if (filter.from) {
    if (!isLocalDate(filter.from)) invalid.push('from');
    else api.set('from', new Date(startOfLocalDay(timeZone, filter.from)).toISOString());
  }
  if (filter.to) {
    if (!isLocalDate(filter.to)) invalid.push('to');
    else api.set('to', new Date(startOfLocalDay(timeZone, addDays(filter.to, 1))).toISOString());
  }
  if (filter.actor) {
    if (filter.actor.length > 64) invalid.push('actor');
    else api.set('actor', filter.actor.toLowerCase());
  }
  if (filter.action) {
    if (filter.action.length > 64) invalid.push('action');
    else api.set('action', filter.action);
  }
  if (filter.outcome) {
    if (!(AUDIT_OUTCOMES as readonly string[]).includes(filter.outcome)) invalid.push('outcome');
    else api.set('outcome', filter.outcome);
  }
  let pageSize = AUDIT_PAGE_SIZE;
  if (filter.limit) {
    const n = Number(filter.limit);
    if (!/^\d+$/.test(filter.limit) || n < 1 || n > 1000) invalid.push('limit');
    else pageSize = n;
  }
  for (const f of invalid) filter[f] = '';
  return { filter, apiQuery: api.toString(), pageSize, invalid };
}

/** What every account page's script reads: the catalogue, role names, locale and ops zone. */
function messages(lang: DashboardLanguage, timeZone: string): SafeHtml {
  const roles = Object.fromEntries(ROLES.map((r) => [`role.${r}`, shellTexts.text(lang, `role.${r}`)]));
  return html`<script type="application/json" id="accounts-msgs">
    ${jsonBlock({ ...accountsTexts.messages(lang), ...roles, locale: DASHBOARD_LOCALE[lang], timeZone })}
  </script>`;
}

const css = html`<link rel="stylesheet" href="${browserUrl('accounts', 'accounts.css')}" />`;

/** A label, a field, its rule and the place its problem is named. */
function field(
  lang: DashboardLanguage,
  id: string,
  label: AccountsKey,
  input: SafeHtml,
  rule?: AccountsKey,
): SafeHtml {
  return html`<div class="field">
    <label for="${id}">${accountsTexts.text(lang, label)}</label>
    ${input} ${rule ? html`<small class="rule">${accountsTexts.text(lang, rule)}</small>` : ''}
    <p class="problem error" data-problem-for="${id}" role="alert"></p>
  </div>`;
}

/**
 * A password field: the one the user has now (`current`), a new one (its rule beside it), or the
 * new one typed again (`repeat`).
 */
function passwordField(
  lang: DashboardLanguage,
  id: string,
  label: AccountsKey,
  kind: 'current' | 'new' | 'repeat',
): SafeHtml {
  const autocomplete = kind === 'current' ? 'current-password' : 'new-password';
  return field(
    lang,
    id,
    label,
    html`<input id="${id}" type="password" autocomplete="${autocomplete}" />`,
    kind === 'new' ? 'users.rule.password' : undefined,
  );
}

/** The signed-in user's "change my password" form (users page and account page). */
function ownPasswordForm(lang: DashboardLanguage): SafeHtml {
  const t = (k: AccountsKey) => accountsTexts.text(lang, k);
  return html`<form id="own-password" class="panel" novalidate>
    <h3>${t('account.password.title')}</h3>
    ${passwordField(lang, 'own-current', 'account.current', 'current')}
    ${passwordField(lang, 'own-new', 'account.new', 'new')}
    ${passwordField(lang, 'own-repeat', 'account.repeat', 'repeat')}
    <button type="submit">${t('account.submit')}</button>
    <p id="own-status" class="ok" role="status"></p>
    <p id="own-error" class="error" role="alert"></p>
  </form>`;
}

/**
 * A table the page's script fills (`#<id>-body`), headed by the catalogue's `<id>.col.<column>`
 * words (the users and audit tables).
 */
function columnsTable<P extends 'users' | 'audit'>(
  lang: DashboardLanguage,
  id: P,
  columns: readonly ColumnOf<AccountsKey, P>[],
): SafeHtml {
  return table(
    columns.map((c) => accountsTexts.text(lang, `${id}.col.${c}` as AccountsKey)),
    [],
    { table: { id }, body: { id: `${id}-body` } },
  );
}

const roleOptions = (lang: DashboardLanguage, selected?: string) =>
  ROLES.map(
    (r) =>
      html`<option value="${r}" ${r === selected ? 'selected' : ''}>
        ${shellTexts.text(lang, `role.${r}`)}
      </option>`,
  );

export interface UsersPageOptions {
  lang: DashboardLanguage;
  users: readonly UserRowData[];
  user: PublicUser;
  csrfToken: string;
  timeZone: string;
}

export function renderUsersPage(o: UsersPageOptions): string {
  const { lang } = o;
  const t = (k: AccountsKey, p: Record<string, string> = {}) => accountsTexts.text(lang, k, p);
  return page(
    {
      lang,
      title: t('users.title'),
      user: o.user,
      csrfToken: o.csrfToken,
      script: browserUrl('accounts', 'accounts-pages.js'),
      path: '/dashboard/users',
    },
    html`${css}
      <main id="users-page" data-me="${o.user.username}">
        <h2>${t('users.title')}</h2>
        <p id="users-status" class="ok" role="status"></p>
        <p id="users-error" class="error" role="alert"></p>
        ${columnsTable(lang, 'users', [
          'username',
          'displayName',
          'role',
          'status',
          'lastLogin',
          'created',
          'actions',
        ])}
        <p id="users-none" hidden>${t('users.none')}</p>

        <form id="edit-user" class="panel" novalidate hidden>
          <h3 id="edit-title"></h3>
          ${field(lang, 'edit-displayName', 'users.field.displayName', html`<input id="edit-displayName" />`)}
          ${field(
            lang,
            'edit-role',
            'users.field.role',
            html`<select id="edit-role" multiple size="${ROLES.length}">
              ${roleOptions(lang)}
            </select>`,
          )}
          <button type="submit" id="edit-save">${t('users.edit.save')}</button>
          ${passwordField(lang, 'edit-password', 'users.resetPassword.field', 'new')}
          <button type="button" id="edit-reset">${t('users.resetPassword')}</button>
          <p>
            <button type="button" id="edit-toggle"></button>
            <button type="button" id="edit-delete" class="danger">${t('users.delete')}</button>
            <button type="button" id="edit-close">${t('users.edit.close')}</button>
          </p>
          <div id="delete-confirm" class="confirm" hidden>
            <p id="delete-question"></p>
            <button type="button" id="delete-yes" class="danger">${t('users.deleteYes')}</button>
            <button type="button" id="delete-no">${t('users.deleteNo')}</button>
          </div>
        </form>

        <form id="create-user" class="panel" novalidate>
          <h3>${t('users.create.title')}</h3>
          ${field(
            lang,
            'new-username',
            'users.field.username',
            html`<input id="new-username" autocomplete="off" />`,
            'users.rule.username',
          )}
          ${field(
            lang,
            'new-displayName',
            'users.field.displayName',
            html`<input id="new-displayName" autocomplete="off" />`,
            'users.rule.displayName',
          )}
          ${field(
            lang,
            'new-role',
            'users.field.role',
            html`<select id="new-role" multiple size="${ROLES.length}">
              ${roleOptions(lang, 'viewer')}
            </select>`,
          )}
          ${passwordField(lang, 'new-password', 'users.field.password', 'new')}
          <button type="submit">${t('users.create.submit')}</button>
        </form>

        ${ownPasswordForm(lang)}
        <script type="application/json" id="users-data">
          ${jsonBlock(o.users)}
        </script>
        ${messages(lang, o.timeZone)}
      </main>`,
  );
}

/**
 * The signed-in user's approver keys (rows drawn by account.js from the JSON block) and, for a
 * role that may approve, the form that registers one (POST /api/session/keys).
 */
function ownKeysPanel(
  lang: DashboardLanguage,
  keys: readonly PublicAccountKey[],
  canRegister: boolean,
): SafeHtml {
  const t = (k: AccountsKey) => accountsTexts.text(lang, k);
  const form = canRegister
    ? html`<form id="own-key" novalidate>
        ${field(lang, 'key-public', 'account.keys.public', html`<textarea id="key-public" rows="6"></textarea>`)}
        ${passwordField(lang, 'key-current', 'account.current', 'current')}
        <button type="submit">${t('account.keys.submit')}</button>
      </form>`
    : html``;
  return html`<section id="own-keys" class="panel">
    <h3>${t('account.keys.title')}</h3>
    <p id="keys-none" class="rule">${t('account.keys.none')}</p>
    ${table(
      [t('account.keys.col.name'), t('account.keys.col.keyid'), t('account.keys.col.registered'), ''],
      [],
      { table: { id: 'keys-table' }, body: { id: 'keys-body' } },
    )}
    ${form}
    <p id="keys-status" class="ok" role="status"></p>
    <p id="keys-error" class="error" role="alert"></p>
    <script type="application/json" id="keys-data">
      ${jsonBlock(keys)}
    </script>
  </section>`;
}

export interface AccountPageOptions {
  lang: DashboardLanguage;
  user: PublicUser;
  csrfToken: string;
  /** The user's registered approver keys. */
  keys: readonly PublicAccountKey[];
  /** Whether the user's role may register a key (one that may approve drafts). */
  canRegisterKeys: boolean;
  timeZone: string;
}

export function renderAccountPage(o: AccountPageOptions): string {
  const { lang } = o;
  const t = (k: AccountsKey) => accountsTexts.text(lang, k);
  return page(
    {
      lang,
      title: t('account.title'),
      user: o.user,
      csrfToken: o.csrfToken,
      script: browserUrl('accounts', 'accounts-pages.js'),
      path: '/dashboard/account',
    },
    html`${css}
      <main id="account-page">
        <h2>${t('account.title')}</h2>
        <dl class="me">
          <dt>${t('account.username')}</dt>
          <dd id="me-username">${o.user.username}</dd>
          <dt>${accountsTexts.text(lang, 'users.col.displayName')}</dt>
          <dd id="me-displayName">${o.user.displayName}</dd>
          <dt>${t('account.role')}</dt>
          <dd id="me-role">${o.user.roles.map((r) => shellTexts.text(lang, `role.${r}`)).join(', ')}</dd>
        </dl>
        ${ownPasswordForm(lang)} ${ownKeysPanel(lang, o.keys, o.canRegisterKeys)}
        ${messages(lang, o.timeZone)}
      </main>`,
  );
}

export interface AuditPageOptions {
  lang: DashboardLanguage;
  user: PublicUser;
  csrfToken: string;
  timeZone: string;
  parsed: ParsedAuditFilter;
}

export function renderAuditPage(o: AuditPageOptions): string {
  const { lang, parsed } = o;
  const f = parsed.filter;
  const t = (k: AccountsKey, p: Record<string, string> = {}) => accountsTexts.text(lang, k, p);
  const fieldName: Record<keyof AuditFilter, AccountsKey> = {
    from: 'audit.filter.from',
    to: 'audit.filter.to',
    actor: 'audit.filter.actor',
    action: 'audit.filter.action',
    outcome: 'audit.filter.outcome',
    limit: 'audit.filter.limit',
  };
  const exportHref = `/api/audit.csv${parsed.apiQuery ? `?${parsed.apiQuery}` : ''}`;
  return page(
    {
      lang,
      title: t('audit.title'),
      user: o.user,
      csrfToken: o.csrfToken,
      script: browserUrl('accounts', 'accounts-pages.js'),
      path: '/dashboard/audit',
    },
    html`${css}
      <main id="audit-page" data-query="${parsed.apiQuery}" data-page-size="${parsed.pageSize}">
        <h2>${t('audit.title')}</h2>
        <form id="audit-filters" method="get" action="/dashboard/audit" class="filters">
          <label
            >${t('audit.filter.from')} <input type="date" id="f-from" name="from" value="${f.from}"
          /></label>
          <label>${t('audit.filter.to')} <input type="date" id="f-to" name="to" value="${f.to}" /></label>
          <label
            >${t('audit.filter.actor')} <input id="f-actor" name="actor" value="${f.actor}" maxlength="64"
          /></label>
          <label
            >${t('audit.filter.action')}
            <select id="f-action" name="action">
              <option value="">${t('audit.filter.all')}</option>
              ${[...new Set([...AUDIT_ACTIONS, ...(f.action ? [f.action] : [])])].map(
                (a) =>
                  html`<option value="${a}" ${a === f.action ? 'selected' : ''}>
                    ${AUDIT_ACTIONS.includes(a) ? t(`audit.action.${a}` as AccountsKey) : a}
                  </option>`,
              )}
            </select></label
          >
          <label
            >${t('audit.filter.outcome')}
            <select id="f-outcome" name="outcome">
              <option value="">${t('audit.filter.all')}</option>
              ${AUDIT_OUTCOMES.map(
                (x) =>
                  html`<option value="${x}" ${x === f.outcome ? 'selected' : ''}>
                    ${t(`audit.outcome.${x}`)}
                  </option>`,
              )}
            </select></label
          >
          <label
            >${t('audit.filter.limit')}
            <input
              type="number"
              id="f-limit"
              name="limit"
              min="1"
              max="1000"
              value="${f.limit}"
              placeholder="${AUDIT_PAGE_SIZE}"
          /></label>
          <button type="submit">${t('audit.filter.apply')}</button>
          <a href="/dashboard/audit" id="f-clear">${t('audit.filter.clear')}</a>
          <a href="${exportHref}" id="audit-export" download="gatecast-audit.csv">${t('audit.export')}</a>
        </form>
        ${
          parsed.invalid.length
            ? html`<p id="filter-invalid" class="error" role="alert">
                ${t('audit.filter.invalid', {
                  fields: parsed.invalid.map((k) => t(fieldName[k])).join(', '),
                })}
              </p>`
            : ''
        }
        <p id="audit-zone">${t('audit.zone', { zone: o.timeZone })}</p>
        <p id="audit-error" class="error" role="alert"></p>
        ${columnsTable(lang, 'audit', ['time', 'actor', 'action', 'target', 'outcome', 'ip', 'details'])}
        <p id="audit-none" hidden>${t('audit.none')}</p>
        <p>
          <button type="button" id="audit-older" hidden>${t('audit.older')}</button>
          <span id="audit-end" hidden>${t('audit.end')}</span>
        </p>
        ${messages(lang, o.timeZone)}
      </main>`,
  );
}
