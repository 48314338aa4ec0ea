/**
 * The alerts page (/dashboard/alerts): the active alerts with their kind in words, severity, screen,
 * gate, since when (in the gate's time zone) and details, an Acknowledge button for the roles allowed
 * `alerts.acknowledge`, and the recent history. `alertsView` (pure) localises the alerts once; the
 * server renders its rows into the page and the live stream sends the same view to the client
 * script, which rebuilds the rows with textContent only.
 */
import { ALERT_MESSAGE_KEY, alertText } from './messages.js';
import { type AlertsKey, alertsTexts } from './texts.js';
import type { AlertHistoryEntry } from './store.js';
import type { AlertEvent, AlertKind, AlertRecord, AlertSeverity } from './types.js';
import type { PublicUser } from '../accounts/service.js';
import { html, type SafeHtml } from '../web/escape.js';
import { type ColumnOf, table } from '../web/table.js';
import { browserUrl } from '../dashboard/browser-files.js';
import { jsonBlock, page } from '../dashboard/layout.js';
import { type DashboardLanguage, formatDateTime } from '../dashboard/language.js';

export const ALERT_KINDS = Object.keys(ALERT_MESSAGE_KEY) as AlertKind[];

/** What the page needs to know about screens and gates (the registry answers). */
export interface AlertsLookup {
  device(id: string): { screenName: string } | undefined;
  gate(siteGroup: string): { name: string; timezone: string } | undefined;
}

export interface AlertRowView {
  key: string;
  kind: AlertKind;
  kindText: string;
  severity: AlertSeverity;
  severityText: string;
  detail: string;
  /** Absent for a gate-wide alert. */
  deviceId: string | null;
  screenName: string | null;
  siteGroup: string;
  gateName: string;
  raisedAt: number;
  /** raisedAt in the gate's time zone, the user's locale. */
  since: string;
  acknowledged: boolean;
  /** "Acknowledged by op at 10:05 01/04/2026", or null. */
  acknowledgedText: string | null;
}

export interface AlertHistoryRowView {
  at: number;
  time: string;
  type: AlertEvent['type'];
  eventText: string;
  key: string;
  kind: AlertKind;
  kindText: string;
  detail: string;
  deviceId: string | null;
  screenName: string | null;
  siteGroup: string;
  gateName: string;
  by: string | null;
}

export interface AlertsView {
  summary: string;
  active: AlertRowView[];
  history: AlertHistoryRowView[];
}

/** History events the page lists: what ops did about alerts and what went away. */
const HISTORY_TYPES: ReadonlySet<AlertEvent['type']> = new Set(['acknowledged', 'resolved']);
export const HISTORY_ROWS = 50;

const DEFAULT_TZ = 'Asia/Ho_Chi_Minh';

function where(a: AlertRecord, lookup: AlertsLookup) {
  const gate = lookup.gate(a.siteGroup);
  const deviceId = a.deviceId ?? null;
  return {
    deviceId,
    screenName: deviceId === null ? null : (lookup.device(deviceId)?.screenName ?? deviceId),
    siteGroup: a.siteGroup,
    gateName: gate?.name ?? a.siteGroup,
    tz: gate?.timezone ?? DEFAULT_TZ,
  };
}

const kindText = (lang: DashboardLanguage, kind: AlertKind) =>
  alertsTexts.text(lang, `alerts.kind.${kind}` as AlertsKey);

/** Localises the active alerts (critical first, then newest first) and the recent history. */
export function alertsView(
  active: readonly AlertRecord[],
  history: readonly AlertHistoryEntry[],
  lookup: AlertsLookup,
  lang: DashboardLanguage,
): AlertsView {
  const rows = [...active]
    .filter((a) => a.resolvedAt === null)
    .sort(
      (a, b) =>
        (a.severity === b.severity ? 0 : a.severity === 'critical' ? -1 : 1) ||
        b.raisedAt - a.raisedAt ||
        (a.key < b.key ? -1 : 1),
    )
    .map((a): AlertRowView => {
      const w = where(a, lookup);
      const acked = a.acknowledgedAt !== null;
      return {
        key: a.key,
        kind: a.kind,
        kindText: kindText(lang, a.kind),
        severity: a.severity,
        severityText: alertsTexts.text(lang, `alert.severity.${a.severity}`),
        detail: alertText(a, lang),
        deviceId: w.deviceId,
        screenName: w.screenName,
        siteGroup: w.siteGroup,
        gateName: w.gateName,
        raisedAt: a.raisedAt,
        since: formatDateTime(a.raisedAt, lang, w.tz),
        acknowledged: acked,
        acknowledgedText: acked
          ? alertsTexts.text(lang, 'alerts.acknowledgedBy', {
              user: a.acknowledgedBy ?? '',
              at: formatDateTime(a.acknowledgedAt!, lang, w.tz),
            })
          : null,
      };
    });
  const past = history
    .filter((h) => HISTORY_TYPES.has(h.type))
    .slice(0, HISTORY_ROWS)
    .map((h): AlertHistoryRowView => {
      const w = where(h.alert, lookup);
      return {
        at: h.at,
        time: formatDateTime(h.at, lang, w.tz),
        type: h.type,
        eventText: alertsTexts.text(
          lang,
          h.type === 'resolved' && h.alert.resolvedReason
            ? `alerts.event.resolved.${h.alert.resolvedReason}`
            : `alerts.event.${h.type}`,
        ),
        key: h.alert.key,
        kind: h.alert.kind,
        kindText: kindText(lang, h.alert.kind),
        detail: alertText(h.alert, lang),
        deviceId: w.deviceId,
        screenName: w.screenName,
        siteGroup: w.siteGroup,
        gateName: w.gateName,
        by: h.type === 'acknowledged' ? h.alert.acknowledgedBy : null,
      };
    });
  const critical = rows.filter((r) => r.severity === 'critical').length;
  return {
    summary: alertsTexts.text(lang, 'alerts.summary', {
      total: rows.length,
      critical,
      warning: rows.length - critical,
      acknowledged: rows.filter((r) => r.acknowledged).length,
    }),
    active: rows,
    history: past,
  };
}

/** The strings the alerts script needs, in `lang`. */
export function alertsClientMessages(lang: DashboardLanguage): Record<string, string> {
  const keys: AlertsKey[] = [
    'alerts.acknowledge',
    'alerts.notAcknowledged',
    'alerts.wholeGate',
    'alerts.live',
    'alerts.liveLost',
    'alerts.ackFailed',
  ];
  return Object.fromEntries(keys.map((k) => [k, alertsTexts.text(lang, k)]));
}

export interface AlertsPageOptions {
  lang: DashboardLanguage;
  view: AlertsView;
  gates: readonly { siteGroup: string; name: string }[];
  canAcknowledge: boolean;
  filter: { gate: string; kind: string };
  user: PublicUser;
  csrfToken: string;
}

function activeRow(r: AlertRowView, lang: DashboardLanguage, canAck: boolean): SafeHtml {
  const t = (k: AlertsKey) => alertsTexts.text(lang, k);
  return html`<tr
    data-key="${r.key}"
    data-kind="${r.kind}"
    data-gate="${r.siteGroup}"
    data-severity="${r.severity}"
    data-acked="${r.acknowledged ? 'yes' : 'no'}"
    class="sev-${r.severity}"
  >
    <td data-f="kind">${r.kindText}</td>
    <td data-f="severity" class="${r.severity === 'critical' ? 'alerts-some' : ''}">${r.severityText}</td>
    <td data-f="screen">
      ${
        r.deviceId === null
          ? t('alerts.wholeGate')
          : html`<a href="/dashboard/screen/${encodeURIComponent(r.deviceId)}">${r.screenName}</a>`
      }
    </td>
    <td data-f="gate">${r.gateName}</td>
    <td data-f="since">${r.since}</td>
    <td data-f="details">${r.detail}</td>
    <td data-f="ack">
      ${
        r.acknowledgedText !== null
          ? r.acknowledgedText
          : canAck
            ? html`<button type="button" data-ack-key="${r.key}">${t('alerts.acknowledge')}</button>`
            : t('alerts.notAcknowledged')
      }
    </td>
  </tr>`;
}

function historyRow(r: AlertHistoryRowView): SafeHtml {
  return html`<tr data-key="${r.key}" data-type="${r.type}" data-gate="${r.siteGroup}" data-kind="${r.kind}">
    <td data-f="time">${r.time}</td>
    <td data-f="event">${r.eventText}</td>
    <td data-f="kind">${r.kindText}</td>
    <td data-f="screen">
      ${
        r.deviceId === null
          ? ''
          : html`<a href="/dashboard/screen/${encodeURIComponent(r.deviceId)}">${r.screenName}</a>`
      }
    </td>
    <td data-f="gate">${r.gateName}</td>
    <td data-f="details">${r.detail}</td>
    <td data-f="by">${r.by ?? ''}</td>
  </tr>`;
}

export function renderAlertsPage(o: AlertsPageOptions): string {
  const { lang, view } = o;
  const t = (k: AlertsKey) => alertsTexts.text(lang, k);
  const column = (c: ColumnOf<AlertsKey, 'alerts'>) => t(`alerts.col.${c}`);
  const gates = [...o.gates];
  for (const r of view.active)
    if (!gates.some((g) => g.siteGroup === r.siteGroup))
      gates.push({ siteGroup: r.siteGroup, name: r.gateName });
  return page(
    {
      lang,
      title: t('alerts.title'),
      user: o.user,
      csrfToken: o.csrfToken,
      script: browserUrl('alerts', 'alerts-page.js'),
      path: '/dashboard/alerts',
    },
    html`<main id="alerts-page" data-can-ack="${o.canAcknowledge ? 'yes' : 'no'}">
      <h2>${t('alerts.title')}</h2>
      <p><span id="alerts-summary">${view.summary}</span> · <span id="live"></span></p>
      <form id="alert-filters">
        <label for="filter-gate">${t('alerts.filter.gate')}</label>
        <select id="filter-gate" name="gate">
          <option value="">${t('alerts.filter.allGates')}</option>
          ${gates.map(
            (g) =>
              html`<option value="${g.siteGroup}" ${g.siteGroup === o.filter.gate ? 'selected' : ''}>
                ${g.name}
              </option>`,
          )}
        </select>
        <label for="filter-kind">${t('alerts.filter.kind')}</label>
        <select id="filter-kind" name="kind">
          <option value="">${t('alerts.filter.allKinds')}</option>
          ${ALERT_KINDS.map(
            (k) =>
              html`<option value="${k}" ${k === o.filter.kind ? 'selected' : ''}>
                ${alertsTexts.text(lang, `alerts.kind.${k}` as AlertsKey)}
              </option>`,
          )}
        </select>
      </form>
      <p id="ack-error" class="error" role="alert"></p>
      ${table(
        (['kind', 'severity', 'screen', 'gate', 'since', 'details', 'acknowledged'] as const).map(column),
        view.active.map((r) => activeRow(r, lang, o.canAcknowledge)),
        { table: { id: 'alerts' }, body: { id: 'alerts-body' } },
      )}
      <p id="alerts-none" ${view.active.length ? 'hidden' : ''}>${t('alerts.none')}</p>
      <h3>${t('alerts.history')}</h3>
      ${table(
        (['time', 'event', 'kind', 'screen', 'gate', 'details', 'by'] as const).map(column),
        view.history.map(historyRow),
        { table: { id: 'alerts-history' }, body: { id: 'history-body' } },
      )}
      <p id="history-none" ${view.history.length ? 'hidden' : ''}>${t('alerts.historyNone')}</p>
      <script type="application/json" id="alerts-msgs">
        ${jsonBlock(alertsClientMessages(lang))}
      </script>
    </main>`,
  );
}
