/**
 * The releases page (/dashboard/releases, releases.view): the published releases, the rollout under
 * way (its status, the halt's reason, each stage's progress) with pause, resume, abort and advance
 * for releases.manage, every screen's running release and update state, and the recent rollouts.
 * Abort, resuming after a halt and advancing carry their question (`data-confirm`); the script asks
 * it before sending. The page's script swaps in the server's fresh rendering of `#releases-live`
 * when the event stream says something changed.
 */
import type { Params } from '../../protocol/i18n/catalogue.js';
import type { PublicUser } from '../accounts/service.js';
import { browserUrl } from '../dashboard/browser-files.js';
import type { DashboardLanguage } from '../dashboard/language.js';
import { page } from '../dashboard/layout.js';
import { fmtTime } from '../fleet/pages.js';
import { html, type SafeHtml } from '../web/escape.js';
import { table } from '../web/table.js';
import type { PublishedRelease } from './catalog.js';
import type { RolloutStage } from './rollout-policy.js';
import type { FleetReleaseRow, RolloutView } from './service.js';
import { type ReleasesKey, releasesTexts } from './texts.js';

const ZONE = 'Asia/Ho_Chi_Minh';

export interface ReleasesPageData {
  published: readonly PublishedRelease[];
  current: RolloutView | null;
  fleet: readonly FleetReleaseRow[];
  history: readonly RolloutView[];
  gateNames: ReadonlyMap<string, string>;
  canManage: boolean;
}

/** The part of the page the live updates replace. */
export function renderReleasesLive(lang: DashboardLanguage, d: ReleasesPageData): SafeHtml {
  const t = (k: ReleasesKey, p: Params = {}) => releasesTexts.text(lang, k, p);
  const when = (ms: number | null) => fmtTime(ms, lang, ZONE);
  const gate = (sg: string) => d.gateNames.get(sg) ?? sg;
  const scope = (s: RolloutStage) => {
    const where = t(`scope.${s.scope}`, { area: s.scope === 'gate' ? gate(s.area ?? '') : (s.area ?? '') });
    const how =
      'percent' in s.select
        ? t('select.percent', { percent: s.select.percent })
        : t('select.screens', { count: s.select.screens.length });
    return `${where} · ${how}`;
  };
  const c = d.current;
  const byScreen = new Map((c?.screens ?? []).map((s) => [s.deviceId, s]));
  const currentSection = c
    ? html`<section id="rollout" data-id="${c.id}" data-status="${c.status}" data-version="${c.version}">
        <h3>${t('releases.rolloutOf', { version: c.version })}</h3>
        <p>
          <strong id="rollout-status">${t(`status.${c.status}`)}</strong> ·
          ${
            c.definition.advance === 'auto'
              ? t('releases.auto', { minutes: Math.round(c.definition.soakMs / 60_000) })
              : t('releases.manual')
          }
          · ${t('releases.startedBy', { who: c.createdBy, at: when(c.createdAtMs) })}
        </p>
        ${
          c.halt
            ? html`<p id="halt-reason" class="error" role="alert">
                ${t('releases.halted', {
                  screen: c.halt.screenName,
                  reason: t(`reason.${c.halt.reason}`),
                  detail: c.halt.detail || '—',
                })}
              </p>`
            : ''
        }
        ${
          c.published
            ? ''
            : html`<p id="not-published" class="error">
                ${t('releases.notPublished', { version: c.version })}
              </p>`
        }
        ${d.canManage ? actions(lang, c) : ''}
        <h4>${t('releases.stages')}</h4>
        ${table(
          (
            [
              'stage',
              'scope',
              'status',
              'targets',
              'offered',
              'committed',
              'failed',
              'waiting',
              'soakEnds',
            ] as const
          ).map((k) => t(`releases.col.${k}`)),
          c.stages.map(
            (s) =>
              html`<tr data-stage="${s.index}" data-status="${s.status}">
                <td>${s.index + 1}</td>
                <td>${scope(c.definition.stages[s.index]!)}</td>
                <td data-f="status">${t(`stage.${s.status}`)}</td>
                <td data-f="targets">${s.targets}</td>
                <td data-f="offered">${s.offered}</td>
                <td data-f="committed">${s.committed}</td>
                <td data-f="failed">${s.failed}</td>
                <td data-f="waiting">${s.waiting}</td>
                <td>${s.soakEndsAtMs === null ? '' : when(s.soakEndsAtMs)}</td>
              </tr>`,
          ),
          { table: { id: 'stages' } },
        )}
      </section>`
    : html`<p id="no-rollout">${t('releases.noCurrent')}</p>`;
  const screenRow = (r: FleetReleaseRow) => {
    const v = byScreen.get(r.deviceId);
    const phase = v ? (v.accepted ? 'accepted' : v.phase) : null;
    const rb = r.release?.lastRollback;
    return html`<tr
      data-device="${r.deviceId}"
      data-state="${r.release?.state ?? 'unknown'}"
      data-phase="${phase ?? ''}"
    >
      <td>${r.screenName}</td>
      <td>${gate(r.siteGroup)}</td>
      <td data-f="running">${r.release?.running ?? t('releases.unknown')}</td>
      <td data-f="state">${r.release ? t(`state.${r.release.state}`) : t('releases.unknown')}</td>
      <td>${r.release?.staging ?? ''}</td>
      <td data-f="rollback">
        ${rb ? t('releases.rollbackOf', { version: rb.version, reason: rb.reason }) : ''}
      </td>
      <td data-f="phase">${phase ? t(`phase.${phase}`) : ''}</td>
    </tr>`;
  };
  return html`<div id="releases-live">
    <h3>${t('releases.current')}</h3>
    ${currentSection}
    <h3>${t('releases.screens')}</h3>
    ${table(
      (['screen', 'gate', 'running', 'state', 'staging', 'lastRollback', 'rollout'] as const).map((k) =>
        t(`releases.col.${k}`),
      ),
      d.fleet.map(screenRow),
      { table: { id: 'release-screens' } },
    )}
    ${d.fleet.length ? '' : html`<p>${t('releases.noScreens')}</p>`}
    <h3>${t('releases.history')}</h3>
    ${table(
      (['id', 'version', 'status', 'createdBy', 'createdAt'] as const).map((k) => t(`releases.col.${k}`)),
      d.history.map(
        (r) =>
          html`<tr data-rollout="${r.id}" data-status="${r.status}">
            <td>${r.id}</td>
            <td>${r.version}</td>
            <td>${t(`status.${r.status}`)}</td>
            <td>${r.createdBy}</td>
            <td>${when(r.createdAtMs)}</td>
          </tr>`,
      ),
      { table: { id: 'rollouts' } },
    )}
  </div>`;
}

function actions(lang: DashboardLanguage, c: RolloutView): SafeHtml {
  const t = (k: ReleasesKey, p: Params = {}) => releasesTexts.text(lang, k, p);
  const button = (act: string, label: ReleasesKey, confirm?: string) =>
    html`<button type="button" data-act="${act}" ${confirm ? html`data-confirm="${confirm}"` : ''}>
      ${t(label)}
    </button>`;
  const s = c.status;
  const isLast = c.stage >= c.stages.length - 1;
  return html`<p id="rollout-actions">
    ${s === 'running' ? button('pause', 'releases.pause') : ''}
    ${s === 'paused' ? button('resume', 'releases.resume') : ''}
    ${
      s === 'halted'
        ? button(
            'resume',
            'releases.resume',
            t('confirm.resumeHalted', { version: c.version, screen: c.halt?.screenName ?? '' }),
          )
        : ''
    }
    ${
      (s === 'running' || s === 'paused') && !isLast
        ? button('advance', 'releases.advance', t('confirm.advance', { version: c.version }))
        : ''
    }
    ${button('abort', 'releases.abort', t('confirm.abort', { version: c.version }))}
  </p>`;
}

export function renderReleases(
  lang: DashboardLanguage,
  d: ReleasesPageData,
  user: PublicUser,
  csrfToken: string,
): string {
  const t = (k: ReleasesKey, p: Params = {}) => releasesTexts.text(lang, k, p);
  return page(
    {
      lang,
      title: t('releases.title'),
      user,
      csrfToken,
      script: browserUrl('releases', 'releases-page.js'),
      messages: releasesTexts.messages(lang),
      path: '/dashboard/releases',
    },
    html`<main id="releases">
      <h2>${t('releases.title')}</h2>
      <p id="releases-live-state" data-live="connecting"></p>
      <h3>${t('releases.published')}</h3>
      ${table(
        (['version', 'platforms', 'publishedAt'] as const).map((k) => t(`releases.col.${k}`)),
        d.published.map(
          (r) =>
            html`<tr data-version="${r.version}">
              <td>${r.version}</td>
              <td>${r.platforms.join(', ')}</td>
              <td>${fmtTime(r.publishedAtMs, lang, ZONE)}</td>
            </tr>`,
        ),
        { table: { id: 'published' } },
      )}
      ${d.published.length ? '' : html`<p>${t('releases.noPublished')}</p>`}
      <p id="releases-error" class="error" role="alert"></p>
      ${renderReleasesLive(lang, d)}
      <dialog id="releases-confirm">
        <p id="releases-confirm-text"></p>
        <button type="button" id="releases-confirm-ok">${t('confirm.ok')}</button>
        <button type="button" id="releases-confirm-cancel">${t('confirm.cancel')}</button>
      </dialog>
    </main>`,
  );
}
