/**
 * Server-rendered dashboard pages. Every string from devices, gates or users passes through the
 * `html` template's escaping; every word shown comes from the catalogues; the client scripts get
 * the messages they need as a JSON data block (not executed, so the CSP needs no inline script).
 */
import type { Params } from '../../protocol/i18n/catalogue.js';
import type { CommandName } from '../../protocol/messages.js';
import type { CommandRow } from '../registry/command-store.js';
import type { HealthPoint } from '../registry/health-store.js';
import { html, raw, type SafeHtml } from '../web/escape.js';
import { table, tableRow } from '../web/table.js';
import type { PublicUser } from '../accounts/service.js';
import { browserUrl } from '../dashboard/browser-files.js';
import { type FleetKey, fleetTexts } from './texts.js';
import { countStates, type FleetRow, groupFleet } from './fleet-state.js';
import type { SchedulePreview } from '../content/schedule-preview.js';
import { lineChart } from '../fleet/svg-chart.js';
import { page } from '../dashboard/layout.js';
import { shellTexts } from '../dashboard/texts.js';
import { DASHBOARD_LOCALE, type DashboardLanguage, formatDateTime } from '../dashboard/language.js';

/** The commands the screen page offers. */
export const DASHBOARD_COMMANDS: readonly CommandName[] = [
  'reload-player',
  'restart-player',
  'reboot',
  'sync-now',
  'display-on',
  'display-off',
  'identify',
  'screenshot',
];

export function fmtTime(ms: number | null, lang: DashboardLanguage, tz: string): string {
  if (!ms) return shellTexts.text(lang, 'never');
  return formatDateTime(ms, lang, tz, { seconds: true });
}

function bundleText(r: FleetRow, lang: DashboardLanguage): { text: string; behind: boolean } {
  if (r.installedVersion === null) return { text: shellTexts.text(lang, 'none'), behind: false };
  if (r.latestVersion === null) return { text: r.installedVersion, behind: false };
  const behind = r.installedVersion !== r.latestVersion;
  return {
    text: fleetTexts.text(lang, behind ? 'bundle.behind' : 'bundle.current', {
      installed: r.installedVersion,
      latest: r.latestVersion,
    }),
    behind,
  };
}

function fleetRow(r: FleetRow, lang: DashboardLanguage): SafeHtml {
  const b = bundleText(r, lang);
  const none = shellTexts.text(lang, 'none');
  return html`<tr data-id="${r.id}" data-state="${r.state}" class="s-${r.state}">
    <td data-f="screen"><a href="/dashboard/screen/${encodeURIComponent(r.id)}">${r.screenName}</a></td>
    <td data-f="state"><span class="state">${fleetTexts.text(lang, `state.${r.state}`)}</span></td>
    <td data-f="lastSeen">${fmtTime(r.lastSeenMs, lang, r.timezone)}</td>
    <td data-f="item">${r.currentItem ?? none}</td>
    <td data-f="language">${r.currentLanguage ?? none}</td>
    <td data-f="bundle" class="${b.behind ? 'behind' : ''}">${b.text}</td>
    <td data-f="alerts" class="${r.alerts ? 'alerts-some' : ''}">
      ${
        r.alerts === null
          ? none
          : html`<a href="/dashboard/alerts?gate=${encodeURIComponent(r.siteGroup)}">${r.alerts}</a>`
      }
    </td>
  </tr>`;
}

export function renderFleet(
  lang: DashboardLanguage,
  rows: readonly FleetRow[],
  user: PublicUser,
  csrfToken: string,
): string {
  const t = (k: FleetKey) => fleetTexts.text(lang, k);
  const n = countStates(rows);
  const columns = (
    [
      'col.screen',
      'col.state',
      'col.lastSeen',
      'col.item',
      'col.language',
      'col.bundle',
      'col.alerts',
    ] as const
  ).map(t);
  const groups = groupFleet(rows).map(
    (p) =>
      html`<section data-province="${p.province}">
        <h2>${t('fleet.province')}: ${p.province}</h2>
        ${p.gates.map(
          (g) =>
            html`<h3>${t('fleet.gate')}: ${g.gateName}</h3>
              ${table(
                columns,
                g.rows.map((r) => fleetRow(r, lang)),
                { body: { 'data-gate': g.siteGroup } },
              )}`,
        )}
      </section>`,
  );
  return page(
    {
      lang,
      title: t('fleet.title'),
      user,
      csrfToken,
      script: browserUrl('fleet', 'fleet-page.js'),
      messages: fleetTexts.messages(lang),
      path: '/dashboard',
    },
    html`<main>
      <h2>${t('fleet.title')}</h2>
      <p>
        <span id="summary">${fleetTexts.text(lang, 'fleet.summary', { total: rows.length, ...n })}</span> ·
        <span id="live"></span>
      </p>
      <div id="fleet">${groups}</div>
    </main>`,
  );
}

export interface ScreenPageData {
  row: FleetRow;
  appVersion: string | null;
  now: number;
  day: HealthPoint[];
  week: HealthPoint[];
  commands: CommandRow[];
  events: { seq: number; at: number; kind: string; level: string; message: string }[];
  schedule: SchedulePreview | undefined | { error: string };
  canCommand: boolean;
  /** Where the screen's time comes from (its latest health clockSource; null: not reported). */
  clockSource: string | null;
  /** Its stored proof of play recorded on an unverified clock. */
  popClockUnverified: { count: number; lastAt: number | null };
}

/** Commands that darken the screen: the page asks before sending them. */
export const CONFIRMED_COMMANDS: readonly CommandName[] = ['reboot', 'display-off'];

const CLOCK_SOURCES = ['ntp', 'server', 'last-known-good', 'unverified', 'unknown'] as const;

/** Where the screen's time comes from; an unverified clock and the proof of play it dated are flagged. */
function clockLine(d: ScreenPageData, lang: DashboardLanguage, tz: string): SafeHtml {
  const source = CLOCK_SOURCES.find((c) => c === d.clockSource);
  const unverified = source === 'unverified';
  const pop = d.popClockUnverified;
  return html`<p id="clock" data-clock="${source ?? 'none'}" class="${unverified ? 'error' : ''}">
    ${fleetTexts.text(lang, 'screen.clock')}:
    ${source ? fleetTexts.text(lang, `clock.${source}`) : shellTexts.text(lang, 'none')}
    ${
      pop.count > 0
        ? html`·
            <span id="pop-clock-unverified" class="error"
              >${fleetTexts.text(lang, 'screen.popClockUnverified', { count: pop.count })}${
                pop.lastAt ? ` (${fmtTime(pop.lastAt, lang, tz)})` : ''
              }</span
            >`
        : ''
    }
  </p>`;
}

const METRICS = ['cpuTempC', 'memUsedPct', 'diskUsedPct', 'load1'] as const;

export function renderScreen(
  lang: DashboardLanguage,
  d: ScreenPageData,
  user: PublicUser,
  csrfToken: string,
): string {
  const t = (k: FleetKey, p: Params = {}) => fleetTexts.text(lang, k, p);
  const tz = d.row.timezone;
  const num = new Intl.NumberFormat(DASHBOARD_LOCALE[lang], { maximumFractionDigits: 1 });
  const dateOnly = (ms: number) =>
    new Intl.DateTimeFormat(DASHBOARD_LOCALE[lang], {
      timeZone: tz,
      day: '2-digit',
      month: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hour12: false,
    }).format(ms);
  const charts = (points: HealthPoint[], spanMs: number, gapMs: number, id: string) =>
    html`<div class="grid" id="${id}">
      ${METRICS.map((m) =>
        lineChart(
          points.map((p) => ({ at: p.at, value: p[m] })),
          {
            title: t(`metric.${m}`),
            fromMs: d.now - spanMs,
            toMs: d.now,
            gapMs,
            fromLabel: dateOnly(d.now - spanMs),
            toLabel: dateOnly(d.now),
            noDataLabel: t('screen.noData'),
            formatValue: (v) => num.format(v),
          },
        ),
      )}
    </div>`;
  const shot = d.commands.find((c) => c.hasScreenshot);
  const commandRows = d.commands.map((c) =>
    tableRow(
      [
        t(`cmd.${c.name}`),
        fmtTime(c.issuedAtMs, lang, tz),
        `${t(`cmdstate.${c.state}`)}${c.message ? `: ${c.message}` : ''}`,
      ],
      { 'data-cmd': c.id, 'data-state': c.state },
    ),
  );
  let schedule: SafeHtml;
  if (!d.schedule) schedule = html`<p>${t('screen.noSchedule')}</p>`;
  else if ('error' in d.schedule)
    schedule = html`<p class="error">${t('screen.scheduleError', { message: d.schedule.error })}</p>`;
  else
    schedule = table(
      [t('col.from'), t('col.to'), t('col.playlist'), t('col.source')],
      d.schedule.segments.map((s) =>
        tableRow([
          fmtTime(s.startAt, lang, tz),
          Number.isFinite(s.endAt) ? fmtTime(s.endAt, lang, tz) : shellTexts.text(lang, 'none'),
          s.playlistId,
          s.source,
        ]),
      ),
      { table: { id: 'schedule', 'data-version': d.schedule.version } },
    );
  const r = d.row;
  return page(
    {
      lang,
      title: r.screenName,
      user,
      csrfToken,
      script: browserUrl('fleet', 'screen-page.js'),
      messages: fleetTexts.messages(lang),
      path: `/dashboard/screen/${encodeURIComponent(r.id)}`,
    },
    html`<main data-device="${r.id}" data-tz="${tz}">
      <p><a href="/dashboard">${t('screen.back')}</a></p>
      <h2>${r.screenName} · ${r.gateName}</h2>
      <p class="s-${r.state}">
        <span id="state" class="state" data-state="${r.state}">${t(`state.${r.state}`)}</span> ·
        ${t('col.lastSeen')}: ${fmtTime(r.lastSeenMs, lang, tz)} · ${t('col.item')}:
        ${r.currentItem ?? shellTexts.text(lang, 'none')}
        (${r.currentLanguage ?? shellTexts.text(lang, 'none')}) · ${t('col.bundle')}:
        ${bundleText(r, lang).text} · ${t('screen.device')}: <code>${r.id}</code> · ${t('screen.appVersion')}:
        ${d.appVersion ?? shellTexts.text(lang, 'none')}
      </p>
      ${clockLine(d, lang, tz)}
      <h3>${t('screen.health')} — ${t('screen.chart24h')}</h3>
      ${charts(d.day, 24 * 3600_000, 10 * 60_000, 'chart-24h')}
      <h3>${t('screen.health')} — ${t('screen.chart7d')}</h3>
      ${charts(d.week, 7 * 24 * 3600_000, 2 * 3600_000, 'chart-7d')}
      <h3>${t('screen.commands')}</h3>
      <div class="commands">
        ${
          d.canCommand
            ? DASHBOARD_COMMANDS.map(
                (c) =>
                  html`<button
                    type="button"
                    data-command="${c}"
                    ${
                      CONFIRMED_COMMANDS.includes(c)
                        ? html`data-confirm="${t(`confirm.${c as 'reboot' | 'display-off'}`, { screen: r.screenName })}"`
                        : ''
                    }
                  >
                    ${t(`cmd.${c}`)}
                  </button>`,
              )
            : html`<p>${t('screen.commandsReadOnly')}</p>`
        }
        <dialog id="command-confirm">
          <p id="command-confirm-text"></p>
          <button type="button" id="command-confirm-ok">${t('confirm.ok')}</button>
          <button type="button" id="command-confirm-cancel">${t('confirm.cancel')}</button>
        </dialog>
        <p id="command-error" class="error" role="alert"></p>
      </div>
      ${table([t('col.command'), t('col.issued'), t('col.result')], commandRows, { body: { id: 'commands' } })}
      <h3>${t('screen.screenshot')}</h3>
      <div class="screenshot">
        <img
          id="screenshot-img"
          alt="${t('screen.screenshot')}"
          ${shot ? html`src="/api/dashboard/commands/${encodeURIComponent(shot.id)}/screenshot"` : raw('hidden')}
        />
        ${shot ? '' : html`<p id="no-screenshot">${t('screen.noScreenshot')}</p>`}
      </div>
      <h3>${t('screen.schedule')}</h3>
      ${schedule}
      <h3>${t('screen.events')}</h3>
      ${table(
        [t('col.time'), t('col.level'), t('col.kind'), t('col.message')],
        d.events.map((e) => tableRow([fmtTime(e.at, lang, tz), e.level, e.kind, e.message])),
        { table: { id: 'events' } },
      )}
    </main>`,
  );
}
