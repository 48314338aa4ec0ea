/**
 * The emergency page's early end (docs/drafts.md §7): an **End now** button on each emergency on air
 * that may be ended early (with a confirmation naming it), and, once ended, who ended it and which
 * screens confirmed. The script (browser/emergency-end.js) follows the screens' answers.
 */
import type { PublicUser } from '../accounts/service.js';
import { browserUrl } from '../dashboard/browser-files.js';
import type { DashboardLanguage } from '../dashboard/language.js';
import { jsonBlock } from '../dashboard/layout.js';
import { html, type SafeHtml } from '../web/escape.js';
import { isAllowed } from '../web/roles.js';
import type { ActiveEmergency } from './approval-service.js';

const TEXTS = {
  vi: {
    'end.now': 'Kết thúc ngay',
    'end.confirm':
      'Kết thúc sớm thông báo khẩn cấp {id} ở {siteGroup}? Các màn hình sẽ gỡ thông báo trong vài giây và quay lại nội dung đã được phê duyệt bên dưới. Không thể hoàn tác.',
    'end.ok': 'Kết thúc ngay',
    'end.cancel': 'Huỷ',
    'end.working': 'Đang gửi lệnh kết thúc…',
    'end.ended': 'Đã kết thúc sớm bởi {by} lúc {at}.',
    'end.screens': 'Màn hình đã xác nhận: {confirmed}/{total}.',
    'end.waiting': 'Chưa xác nhận: {names}.',
    'end.refused': 'Từ chối: {names}.',
    'end.allConfirmed': 'Mọi màn hình đã gỡ thông báo.',
    'end.noScreens': 'Cửa khẩu này chưa có màn hình nào.',
    'end.failed': 'Không kết thúc được: {message}',
    'end.offline': 'ngoại tuyến',
    'end.notEndable': 'Chỉ kết thúc được bằng bản nháp (không có cam kết kết thúc)',
  },
  en: {
    'end.now': 'End now',
    'end.confirm':
      'End emergency {id} at {siteGroup} early? The screens take it off within seconds and return to the approved content underneath. This cannot be undone.',
    'end.ok': 'End now',
    'end.cancel': 'Cancel',
    'end.working': 'Sending the end…',
    'end.ended': 'Ended early by {by} at {at}.',
    'end.screens': 'Screens confirmed: {confirmed} of {total}.',
    'end.waiting': 'Not confirmed yet: {names}.',
    'end.refused': 'Refused: {names}.',
    'end.allConfirmed': 'Every screen has taken it off.',
    'end.noScreens': 'This gate has no screens yet.',
    'end.failed': 'Could not end it: {message}',
    'end.offline': 'offline',
    'end.notEndable': 'Ends only by a draft (signed without an end commitment)',
  },
} as const satisfies Record<DashboardLanguage, Record<string, string>>;

type EndKey = keyof (typeof TEXTS)['en'];

const fill = (s: string, p: Record<string, string>) => s.replace(/\{(\w+)\}/g, (m, k: string) => p[k] ?? m);

/** The cell content for one emergency on air: the End now button, or its end's status. */
export function endEarlyCell(a: ActiveEmergency, lang: DashboardLanguage, user: PublicUser): SafeHtml {
  const t = (k: EndKey, p: Record<string, string> = {}) => fill(TEXTS[lang][k], p);
  if (a.endedEarly)
    return html`<div
      class="em-end-status"
      data-site-group="${a.siteGroup}"
      data-id="${a.emergency.id}"
      role="status"
    >
      ${t('end.ended', { by: a.endedEarly.by, at: a.endedEarly.at })}
    </div>`;
  if (!a.endable) return html`<p class="note em-not-endable">${t('end.notEndable')}</p>`;
  if (!isAllowed(user.roles, 'emergency.end')) return html``;
  return html`<button
      type="button"
      class="em-end-now"
      data-site-group="${a.siteGroup}"
      data-id="${a.emergency.id}"
      data-confirm="${t('end.confirm', { id: a.emergency.id, siteGroup: a.siteGroup })}"
    >
      ${t('end.now')}
    </button>
    <div
      class="em-end-status"
      data-site-group="${a.siteGroup}"
      data-id="${a.emergency.id}"
      role="status"
    ></div>`;
}

/** Once per page: the confirmation dialog, the texts and the script. */
export function endEarlyAssets(lang: DashboardLanguage): SafeHtml {
  const t = (k: EndKey) => TEXTS[lang][k];
  return html`<dialog id="em-end-confirm">
      <p id="em-end-confirm-text"></p>
      <button type="button" id="em-end-confirm-ok">${t('end.ok')}</button>
      <button type="button" id="em-end-confirm-cancel">${t('end.cancel')}</button>
    </dialog>
    <script type="application/json" id="em-end-msgs">
      ${jsonBlock(TEXTS[lang])}
    </script>
    <script type="module" src="${browserUrl('content', 'emergency-end.js')}"></script>`;
}
