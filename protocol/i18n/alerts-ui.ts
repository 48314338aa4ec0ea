/**
 * Message catalogue for the dashboard's alerts page (/dashboard/alerts). Vietnamese is the default,
 * English the switch; both hold the same keys with the same placeholders
 * (tests/unit/i18n-alerts-ui.test.ts). The alert details themselves come from dashboard.ts
 * ("alert.*"), shared with the webhook and the fleet view.
 */
import type { Lang as DashboardLanguage } from './catalogue.js';

const vi = {
  'alerts.title': 'Cảnh báo đang có',
  'alerts.summary':
    '{total} cảnh báo: {critical} nghiêm trọng, {warning} cảnh báo, {acknowledged} đã xác nhận',
  'alerts.none': 'Không có cảnh báo nào',
  'alerts.live': 'Cập nhật trực tiếp',
  'alerts.liveLost': 'Mất cập nhật trực tiếp, đang kết nối lại…',
  'alerts.filter.gate': 'Cửa khẩu',
  'alerts.filter.kind': 'Loại cảnh báo',
  'alerts.filter.allGates': 'Tất cả cửa khẩu',
  'alerts.filter.allKinds': 'Tất cả loại',
  'alerts.col.kind': 'Loại',
  'alerts.col.severity': 'Mức độ',
  'alerts.col.screen': 'Màn hình',
  'alerts.col.gate': 'Cửa khẩu',
  'alerts.col.since': 'Từ lúc',
  'alerts.col.details': 'Chi tiết',
  'alerts.col.acknowledged': 'Xác nhận',
  'alerts.col.time': 'Thời gian',
  'alerts.col.event': 'Sự kiện',
  'alerts.col.by': 'Người xác nhận',
  'alerts.wholeGate': 'Cả cửa khẩu',
  'alerts.acknowledge': 'Xác nhận',
  'alerts.acknowledgedBy': 'Đã xác nhận bởi {user} lúc {at}',
  'alerts.notAcknowledged': 'Chưa xác nhận',
  'alerts.ackFailed': 'Không xác nhận được: {message}',
  'alerts.history': 'Lịch sử gần đây (đã xử lý, đã xác nhận)',
  'alerts.historyNone': 'Chưa có sự kiện nào',
  'alerts.event.raised': 'Phát sinh',
  'alerts.event.escalated': 'Tăng mức nghiêm trọng',
  'alerts.event.acknowledged': 'Đã xác nhận',
  'alerts.event.resolved': 'Đã hết',
  'alerts.kind.offline': 'Mất kết nối',
  'alerts.kind.display-off-in-opening-hours': 'Màn hình tắt trong giờ mở cửa',
  'alerts.kind.disk-low': 'Sắp hết dung lượng ổ đĩa',
  'alerts.kind.temperature-high': 'Nhiệt độ cao',
  'alerts.kind.under-voltage': 'Điện áp thấp',
  'alerts.kind.playback-errors': 'Lỗi phát nội dung',
  'alerts.kind.bundle-lagging': 'Nội dung chưa cập nhật',
  'alerts.kind.clock-skew': 'Lệch đồng hồ',
  'alerts.kind.missing-language-variants': 'Thiếu bản ngôn ngữ',
} as const;

export type AlertsUiKey = keyof typeof vi;

const en: Record<AlertsUiKey, string> = {
  'alerts.title': 'Active alerts',
  'alerts.summary': '{total} alerts: {critical} critical, {warning} warning, {acknowledged} acknowledged',
  'alerts.none': 'No alerts',
  'alerts.live': 'Live updates',
  'alerts.liveLost': 'Live updates lost, reconnecting…',
  'alerts.filter.gate': 'Border gate',
  'alerts.filter.kind': 'Alert kind',
  'alerts.filter.allGates': 'All gates',
  'alerts.filter.allKinds': 'All kinds',
  'alerts.col.kind': 'Kind',
  'alerts.col.severity': 'Severity',
  'alerts.col.screen': 'Screen',
  'alerts.col.gate': 'Border gate',
  'alerts.col.since': 'Since',
  'alerts.col.details': 'Details',
  'alerts.col.acknowledged': 'Acknowledgement',
  'alerts.col.time': 'Time',
  'alerts.col.event': 'Event',
  'alerts.col.by': 'Acknowledged by',
  'alerts.wholeGate': 'Whole gate',
  'alerts.acknowledge': 'Acknowledge',
  'alerts.acknowledgedBy': 'Acknowledged by {user} at {at}',
  'alerts.notAcknowledged': 'Not acknowledged',
  'alerts.ackFailed': 'Could not acknowledge: {message}',
  'alerts.history': 'Recent history (resolved, acknowledged)',
  'alerts.historyNone': 'No events yet',
  'alerts.event.raised': 'Raised',
  'alerts.event.escalated': 'Escalated',
  'alerts.event.acknowledged': 'Acknowledged',
  'alerts.event.resolved': 'Resolved',
  'alerts.kind.offline': 'Offline',
  'alerts.kind.display-off-in-opening-hours': 'Display off in opening hours',
  'alerts.kind.disk-low': 'Disk low',
  'alerts.kind.temperature-high': 'Temperature high',
  'alerts.kind.under-voltage': 'Under-voltage',
  'alerts.kind.playback-errors': 'Playback errors',
  'alerts.kind.bundle-lagging': 'Content out of date',
  'alerts.kind.clock-skew': 'Clock skew',
  'alerts.kind.missing-language-variants': 'Missing language variants',
};

export const alertsUiMessages: Record<DashboardLanguage, Record<AlertsUiKey, string>> = { vi, en };

/** The message for `key` in `lang` with `{placeholders}` filled; an unknown placeholder stays as is. */
export function alertsText(
  lang: DashboardLanguage,
  key: AlertsUiKey,
  params: Record<string, string | number> = {},
): string {
  return alertsUiMessages[lang][key].replace(/\{(\w+)\}/g, (m, name: string) =>
    name in params ? String(params[name]) : m,
  );
}
