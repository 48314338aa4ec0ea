/**
 * Message catalogue for the ops dashboard and the reports it prints. Vietnamese is the default,
 * English the switch. Keys are flat; `{name}` placeholders are filled by `dashboardText`.
 * Both catalogues must hold the same keys (tests/unit/i18n-dashboard.test.ts checks it).
 */

export type DashboardLanguage = 'vi' | 'en';
export const DASHBOARD_LANGUAGES: readonly DashboardLanguage[] = ['vi', 'en'];
export const DEFAULT_DASHBOARD_LANGUAGE: DashboardLanguage = 'vi';

const vi = {
  'app.title': 'Quản lý màn hình thông tin cửa khẩu',
  'lang.switch': 'English',

  'login.title': 'Đăng nhập',
  'login.username': 'Tên đăng nhập',
  'login.password': 'Mật khẩu',
  'login.submit': 'Đăng nhập',
  'login.failed': 'Sai tên đăng nhập hoặc mật khẩu',
  'login.rateLimited': 'Quá nhiều lần thử, vui lòng thử lại sau {seconds} giây',
  logout: 'Đăng xuất',

  'role.admin': 'Quản trị',
  'role.operator': 'Vận hành',
  'role.author': 'Biên tập',
  'role.approver': 'Phê duyệt',
  'role.viewer': 'Xem',

  'error.forbidden': 'Bạn không có quyền thực hiện thao tác này',
  'error.csrf': 'Phiên làm việc không hợp lệ, vui lòng tải lại trang',
  'error.unauthenticated': 'Vui lòng đăng nhập',

  'state.playing': 'Đang phát',
  'state.offline': 'Mất kết nối',
  'state.displayOff': 'Màn hình tắt',
  'state.error': 'Lỗi',

  'alert.offline': 'Mất kết nối quá {minutes} phút',
  'alert.displayOffInOpeningHours': 'Màn hình tắt trong giờ mở cửa',
  'alert.diskLow': 'Sắp hết dung lượng: còn {freePercent}%',
  'alert.temperatureHigh': 'Nhiệt độ cao: {celsius} °C',
  'alert.underVoltage': 'Điện áp thấp',
  'alert.playbackErrors': '{count} lỗi phát trong {minutes} phút',
  'alert.bundleLagging': 'Nội dung cũ: {installed}, mới nhất {latest}',
  'alert.clockSkew': 'Lệch đồng hồ {seconds} giây',
  'alert.missingLanguageVariants': 'Thiếu bản ngôn ngữ: {languages}',
  'alert.trustRootMissing': 'Mất khóa gốc tin cậy (TUF): không nhận được cập nhật, cần đăng ký lại thiết bị',
  'alert.diskFault': 'Ổ dữ liệu dừng việc tải nội dung ({code}): {message}',
  'alert.contentFileUnusable': '{count} tệp nội dung hỏng, không phát và đang tải lại: {files}',
  'alert.clockUnverified': 'Đồng hồ chưa được xác minh: lịch chạy theo mốc thời gian tin cậy gần nhất',
  'alert.severity.critical': 'Nghiêm trọng',
  'alert.severity.warning': 'Cảnh báo',
  'alert.acknowledge': 'Xác nhận',
  'alert.acknowledgedBy': 'Đã xác nhận bởi {user}',

  'audit.title': 'Nhật ký hoạt động',
  'audit.export': 'Xuất CSV',

  'report.title': 'Báo cáo hoạt động màn hình thông tin',
  'report.period': 'Kỳ báo cáo',
  'report.period.quarter': 'Quý {quarter} năm {year}',
  'report.period.year': 'Năm {year}',
  'report.period.custom': 'Từ {from} đến {to}',
  'report.generatedAt': 'Lập lúc {at}',
  'report.dueDate': 'Hạn nộp: {date}',
  'report.province': 'Tỉnh',
  'report.gate': 'Cửa khẩu',
  'report.device': 'Màn hình',
  'report.summary': 'Tổng hợp',
  'report.plays': 'Số lượt phát',
  'report.playsRejected': 'Lượt phát bị loại (không qua kiểm tra)',
  'report.error.periodTooLong': 'Kỳ báo cáo dài tối đa {maxDays} ngày; kỳ đã chọn có {days} ngày',
  'report.error.busy': 'Máy chủ đang bận in các báo cáo PDF khác, vui lòng thử lại sau {seconds} giây',
  'report.rejected': 'Bản ghi bị loại khỏi mọi số liệu',
  'report.rejected.reason': 'Lý do',
  'report.rejected.more': 'và {count} bản ghi bị loại khác (xem tổng số ở trên)',
  'report.onAirHours': 'Số giờ phát sóng',
  'report.uptime': 'Tỷ lệ hoạt động',
  'report.uptimeOpening': 'Tỷ lệ hoạt động trong giờ mở cửa',
  'report.item': 'Nội dung',
  'report.language': 'Ngôn ngữ',
  'report.playsByItem': 'Lượt phát theo nội dung và ngôn ngữ',
  'report.outages': 'Sự cố gián đoạn',
  'report.outage.from': 'Từ',
  'report.outage.to': 'Đến',
  'report.outage.duration': 'Thời lượng',
  'report.outage.kind': 'Loại',
  'report.outage.offline': 'Mất kết nối',
  'report.outage.displayOff': 'Màn hình tắt',
  'report.outage.power': 'Mất điện',
  'report.contentGaps': 'Khoảng trống nội dung',
  'report.chain': 'Kiểm tra chuỗi bằng chứng phát',
  'report.chain.ok': 'Toàn vẹn',
  'report.chain.broken': 'Có {count} chỗ đứt',
  'report.chain.gap': 'Thiếu bản ghi',
  'report.chain.edit': 'Bản ghi bị sửa',
  'report.chain.signature': 'Chữ ký không hợp lệ',
  'report.chain.device': 'Ghi cho màn hình khác',
  'report.chain.siteGroup': 'Ghi cho cửa khẩu khác',
  'report.chain.seq': 'Số thứ tự',
  'report.none': 'Không có',
  'report.hours': '{hours} giờ',
  'report.minutes': '{minutes} phút',
  'reports.link': 'Báo cáo',
  'fleet.link': 'Màn hình',
  'reports.title': 'Báo cáo theo kỳ',
  'reports.period': 'Kỳ báo cáo',
  'reports.periodHint': 'Quý (2026-Q1), năm (2026) hoặc khoảng ngày (2026-01-01..2026-03-31)',
  'reports.basis': 'Cách tính kỳ',
  'reports.basis.calendar': 'Theo lịch',
  'reports.basis.reporting': 'Theo kỳ số liệu (ngày 15 tháng trước đến ngày 14)',
  'reports.gate': 'Cửa khẩu',
  'reports.allGates': 'Tất cả cửa khẩu',
  'reports.language': 'Ngôn ngữ báo cáo',
  'reports.format': 'Định dạng',
  'reports.format.html': 'Xem trên trình duyệt (HTML)',
  'reports.format.pdf': 'PDF để in',
  'reports.format.csv': 'CSV lượt phát',
  'reports.format.devicesCsv': 'CSV theo màn hình',
  'reports.download': 'Tạo báo cáo',
} as const;

export type DashboardKey = keyof typeof vi;

const en: Record<DashboardKey, string> = {
  'app.title': 'Border gate information screens',
  'lang.switch': 'Tiếng Việt',

  'login.title': 'Sign in',
  'login.username': 'Username',
  'login.password': 'Password',
  'login.submit': 'Sign in',
  'login.failed': 'Wrong username or password',
  'login.rateLimited': 'Too many attempts, try again in {seconds} seconds',
  logout: 'Sign out',

  'role.admin': 'Administrator',
  'role.operator': 'Operator',
  'role.author': 'Author',
  'role.approver': 'Approver',
  'role.viewer': 'Viewer',

  'error.forbidden': 'You are not allowed to do this',
  'error.csrf': 'Your session token is missing or stale; reload the page',
  'error.unauthenticated': 'Please sign in',

  'state.playing': 'Playing',
  'state.offline': 'Offline',
  'state.displayOff': 'Display off',
  'state.error': 'Error',

  'alert.offline': 'Offline for more than {minutes} minutes',
  'alert.displayOffInOpeningHours': 'Display off during opening hours',
  'alert.diskLow': 'Disk low: {freePercent}% free',
  'alert.temperatureHigh': 'Temperature high: {celsius} °C',
  'alert.underVoltage': 'Under-voltage',
  'alert.playbackErrors': '{count} playback errors in {minutes} minutes',
  'alert.bundleLagging': 'Content out of date: {installed}, latest {latest}',
  'alert.clockSkew': 'Clock off by {seconds} seconds',
  'alert.missingLanguageVariants': 'Missing language variants: {languages}',
  'alert.trustRootMissing': 'TUF trust root missing: no updates until the screen is re-enrolled',
  'alert.diskFault': 'Data disk stopped a content download ({code}): {message}',
  'alert.contentFileUnusable': '{count} installed file(s) unusable, not shown and fetched again: {files}',
  'alert.clockUnverified': 'Clock unverified: the schedule runs from the last known good time',
  'alert.severity.critical': 'Critical',
  'alert.severity.warning': 'Warning',
  'alert.acknowledge': 'Acknowledge',
  'alert.acknowledgedBy': 'Acknowledged by {user}',

  'audit.title': 'Audit log',
  'audit.export': 'Export CSV',

  'report.title': 'Information screen operations report',
  'report.period': 'Period',
  'report.period.quarter': 'Q{quarter} {year}',
  'report.period.year': 'Year {year}',
  'report.period.custom': '{from} to {to}',
  'report.generatedAt': 'Generated {at}',
  'report.dueDate': 'Due: {date}',
  'report.province': 'Province',
  'report.gate': 'Border gate',
  'report.device': 'Screen',
  'report.summary': 'Summary',
  'report.plays': 'Plays',
  'report.playsRejected': 'Plays rejected (failed a check)',
  'report.error.periodTooLong': 'A report period is at most {maxDays} days; the one chosen has {days}',
  'report.error.busy': 'The server is busy printing other report PDFs, try again in {seconds} seconds',
  'report.rejected': 'Records left out of every total',
  'report.rejected.reason': 'Reason',
  'report.rejected.more': 'and {count} more rejected records (see the total above)',
  'report.onAirHours': 'On-air hours',
  'report.uptime': 'Uptime',
  'report.uptimeOpening': 'Uptime in opening hours',
  'report.item': 'Item',
  'report.language': 'Language',
  'report.playsByItem': 'Plays by item and language',
  'report.outages': 'Outages',
  'report.outage.from': 'From',
  'report.outage.to': 'To',
  'report.outage.duration': 'Duration',
  'report.outage.kind': 'Kind',
  'report.outage.offline': 'Offline',
  'report.outage.displayOff': 'Display off',
  'report.outage.power': 'Power cut',
  'report.contentGaps': 'Content gaps',
  'report.chain': 'Proof-of-play chain check',
  'report.chain.ok': 'Intact',
  'report.chain.broken': '{count} breaks',
  'report.chain.gap': 'Missing records',
  'report.chain.edit': 'Record altered',
  'report.chain.signature': 'Bad signature',
  'report.chain.device': 'Claims another screen',
  'report.chain.siteGroup': 'Claims another border gate',
  'report.chain.seq': 'Sequence',
  'report.none': 'None',
  'report.hours': '{hours} h',
  'report.minutes': '{minutes} min',
  'reports.link': 'Reports',
  'fleet.link': 'Screens',
  'reports.title': 'Period reports',
  'reports.period': 'Period',
  'reports.periodHint': 'A quarter (2026-Q1), a year (2026) or dates (2026-01-01..2026-03-31)',
  'reports.basis': 'Period basis',
  'reports.basis.calendar': 'Calendar',
  'reports.basis.reporting': 'Reporting cut-off (15th of the month before to the 14th)',
  'reports.gate': 'Border gate',
  'reports.allGates': 'All gates',
  'reports.language': 'Report language',
  'reports.format': 'Format',
  'reports.format.html': 'View in the browser (HTML)',
  'reports.format.pdf': 'PDF for printing',
  'reports.format.csv': 'Plays CSV',
  'reports.format.devicesCsv': 'Per-screen CSV',
  'reports.download': 'Make the report',
};

export const dashboardMessages: Record<DashboardLanguage, Record<DashboardKey, string>> = { vi, en };

export function isDashboardLanguage(v: unknown): v is DashboardLanguage {
  return v === 'vi' || v === 'en';
}

/** The message for `key` in `lang` with `{placeholders}` filled; an unknown placeholder stays as is. */
export function dashboardText(
  lang: DashboardLanguage,
  key: DashboardKey,
  params: Record<string, string | number> = {},
): string {
  return dashboardMessages[lang][key].replace(/\{(\w+)\}/g, (m, name: string) =>
    name in params ? String(params[name]) : m,
  );
}

/** BCP 47 locale used with Intl for each dashboard language. */
export const DASHBOARD_LOCALE: Record<DashboardLanguage, string> = { vi: 'vi-VN', en: 'en-GB' };

/** A date and time as the user reads it, in the gate's time zone (e.g. "14:05 31/03/2026"). */
export function formatDateTime(ms: number, lang: DashboardLanguage, timeZone: string): string {
  return new Intl.DateTimeFormat(DASHBOARD_LOCALE[lang], {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  }).format(ms);
}

/** A calendar date in the gate's time zone. */
export function formatDate(ms: number, lang: DashboardLanguage, timeZone: string): string {
  return new Intl.DateTimeFormat(DASHBOARD_LOCALE[lang], {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(ms);
}

/** A number with the locale's grouping and decimal marks (vi-VN: "1.234,5"; en-GB: "1,234.5"). */
export function formatNumber(n: number, lang: DashboardLanguage, maximumFractionDigits = 0): string {
  return new Intl.NumberFormat(DASHBOARD_LOCALE[lang], { maximumFractionDigits }).format(n);
}

/** A percentage from a 0..1 ratio. */
export function formatPercent(ratio: number, lang: DashboardLanguage, maximumFractionDigits = 2): string {
  return new Intl.NumberFormat(DASHBOARD_LOCALE[lang], { style: 'percent', maximumFractionDigits }).format(
    ratio,
  );
}
