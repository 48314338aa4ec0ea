/**
 * The fleet management page (/dashboard/fleet/manage, fleet.manage): create an enrolment token (the
 * script shows it once, with its QR code), the tokens and their status with revoke, and every
 * enrolled screen with rename, move, revoke key and retire. Destructive buttons carry the question
 * the page asks (`data-confirm`, with the screen's name) before anything is sent.
 */
import type { GateConfig } from '../../protocol/config.js';
import type { Params } from '../../protocol/i18n/catalogue.js';
import type { PublicUser } from '../accounts/service.js';
import { browserUrl } from '../dashboard/browser-files.js';
import type { DashboardLanguage } from '../dashboard/language.js';
import { page } from '../dashboard/layout.js';
import type { DeviceRow } from '../registry/device-store.js';
import { html, type SafeHtml } from '../web/escape.js';
import { table } from '../web/table.js';
import { TOKEN_TTL_MAX_HOURS, SCREEN_NAME_MAX } from '../enrolment/enrolment.js';
import type { TokenView } from './fleet-manage.js';
import { type ManageKey, manageTexts } from './manage-texts.js';
import { fmtTime } from './pages.js';

export interface ManagePageData {
  gates: readonly GateConfig[];
  tokens: readonly TokenView[];
  devices: readonly DeviceRow[];
  defaultTtlHours: number;
}

export type DeviceStatus = 'active' | 'revoked' | 'retired';

export function deviceStatus(d: DeviceRow): DeviceStatus {
  if (d.retiredAtMs !== null) return 'retired';
  return d.revokedAtMs !== null ? 'revoked' : 'active';
}

export function renderManage(
  lang: DashboardLanguage,
  d: ManagePageData,
  user: PublicUser,
  csrfToken: string,
): string {
  const t = (k: ManageKey, p: Params = {}) => manageTexts.text(lang, k, p);
  const gates = new Map(d.gates.map((g) => [g.siteGroup, g]));
  const gateName = (siteGroup: string) => gates.get(siteGroup)?.name ?? siteGroup;
  const when = (ms: number | null, siteGroup: string) =>
    fmtTime(ms, lang, gates.get(siteGroup)?.timezone ?? 'Asia/Ho_Chi_Minh');
  const gateOptions = (selected: string | null) =>
    d.gates.map(
      (g) =>
        html`<option value="${g.siteGroup}" ${g.siteGroup === selected ? html`selected` : ''}>
          ${g.name}
        </option>`,
    );
  const tokenRows = d.tokens.map(
    (k) =>
      html`<tr data-token="${k.id}" data-status="${k.status}">
        <td>${k.screenName}</td>
        <td>${gateName(k.siteGroup)}</td>
        <td data-f="status">${t(`token.${k.status}`)}</td>
        <td>${when(k.createdAtMs, k.siteGroup)}</td>
        <td>${when(k.expiresAtMs, k.siteGroup)}</td>
        <td data-f="actions">
          ${
            k.status === 'pending'
              ? html`<button
                  type="button"
                  data-revoke-token="${k.id}"
                  data-confirm="${t('confirm.revokeToken', { screen: k.screenName })}"
                >
                  ${t('manage.revokeToken')}
                </button>`
              : ''
          }
        </td>
      </tr>`,
  );
  const deviceRow = (v: DeviceRow): SafeHtml => {
    const status = deviceStatus(v);
    const lastSeen = v.lastSeenMs === null ? t('manage.neverConnected') : when(v.lastSeenMs, v.siteGroup);
    if (status === 'retired')
      return html`<tr data-device="${v.id}" data-status="${status}">
        <td>${v.screenName}</td>
        <td>${gateName(v.siteGroup)}</td>
        <td>${lastSeen}</td>
        <td>${t('device.retired')}</td>
        <td></td>
      </tr>`;
    return html`<tr data-device="${v.id}" data-status="${status}">
      <td>
        <input name="screenName" value="${v.screenName}" maxlength="${SCREEN_NAME_MAX}" required />
        <button type="button" data-act="rename">${t('manage.rename')}</button>
      </td>
      <td>
        <select name="siteGroup">
          ${gateOptions(v.siteGroup)}
        </select>
        <button type="button" data-act="move">${t('manage.move')}</button>
      </td>
      <td>${lastSeen}</td>
      <td>${t(`device.${status}`)}</td>
      <td>
        ${
          status === 'active'
            ? html`<button
                type="button"
                data-act="revoke"
                data-confirm="${t('confirm.revokeKey', { screen: v.screenName })}"
              >
                ${t('manage.revokeKey')}
              </button>`
            : ''
        }
        <button
          type="button"
          data-act="retire"
          data-confirm="${t('confirm.retire', { screen: v.screenName })}"
        >
          ${t('manage.retire')}
        </button>
      </td>
    </tr>`;
  };
  return page(
    {
      lang,
      title: t('manage.title'),
      user,
      csrfToken,
      script: browserUrl('fleet', 'fleet-manage.js'),
      messages: manageTexts.messages(lang),
      path: '/dashboard/fleet/manage',
    },
    html`<main id="manage">
      <h2>${t('manage.title')}</h2>
      <h3>${t('manage.newToken')}</h3>
      <form id="token-form">
        <label
          >${t('manage.gate')}
          <select id="token-gate" required>
            ${gateOptions(null)}
          </select></label
        >
        <label
          >${t('manage.screenName')} <input id="token-screen" maxlength="${SCREEN_NAME_MAX}" required
        /></label>
        <label
          >${t('manage.ttlHours')}
          <input
            id="token-ttl"
            type="number"
            min="1"
            max="${TOKEN_TTL_MAX_HOURS}"
            step="1"
            value="${d.defaultTtlHours}"
            required
        /></label>
        <button type="submit">${t('manage.create')}</button>
      </form>
      <p id="manage-error" class="error" role="alert"></p>
      <section id="token-created" hidden>
        <p id="token-created-for"></p>
        <div id="token-qr"></div>
        <p><code id="token-value"></code></p>
        <p>${t('manage.tokenShownOnce')}</p>
      </section>
      <h3>${t('manage.tokens')}</h3>
      ${table(
        (['screen', 'gate', 'status', 'created', 'expires', 'actions'] as const).map((c) =>
          t(`manage.col.${c}`),
        ),
        tokenRows,
        { table: { id: 'tokens' } },
      )}
      ${d.tokens.length ? '' : html`<p id="no-tokens">${t('manage.noTokens')}</p>`}
      <h3>${t('manage.screens')}</h3>
      ${table(
        (['screen', 'gate', 'lastSeen', 'status', 'actions'] as const).map((c) => t(`manage.col.${c}`)),
        d.devices.map(deviceRow),
        { table: { id: 'screens' } },
      )}
      ${d.devices.length ? '' : html`<p>${t('manage.noScreens')}</p>`}
      <dialog id="manage-confirm">
        <p id="manage-confirm-text"></p>
        <button type="button" id="manage-confirm-ok">${t('confirm.ok')}</button>
        <button type="button" id="manage-confirm-cancel">${t('confirm.cancel')}</button>
      </dialog>
    </main>`,
  );
}
