/**
 * The dashboard shell's own words: the application's name, the navigation, the language switch,
 * sign-out, role names, and the words every page shares. Each feature's pages have their own
 * catalogue beside them (fleet/texts.ts, alerts/texts.ts, …); the shell imports none of them.
 */
import { defineCatalogue } from '../../protocol/i18n/catalogue.js';

export const shellTexts = defineCatalogue({
  vi: {
    'app.title': 'Quản lý màn hình thông tin cửa khẩu',
    'lang.switch': 'English',
    logout: 'Đăng xuất',

    'nav.fleet': 'Màn hình',
    'nav.fleetManage': 'Quản lý màn hình',
    'nav.alerts': 'Cảnh báo',
    'nav.content': 'Soạn nội dung',
    'nav.drafts': 'Phê duyệt',
    'nav.emergency': 'Khẩn cấp',
    'nav.reports': 'Báo cáo',
    'nav.users': 'Tài khoản',
    'nav.audit': 'Nhật ký',
    'nav.api': 'API',
    'nav.waiting': 'Chờ bạn ký',
    'nav.account': 'Tài khoản của tôi',

    'role.admin': 'Quản trị',
    'role.operator': 'Vận hành',
    'role.author': 'Biên tập',
    'role.approver': 'Phê duyệt',
    'role.viewer': 'Xem',

    never: 'Chưa bao giờ',
    none: '—',
  },
  en: {
    'app.title': 'Border gate information screens',
    'lang.switch': 'Tiếng Việt',
    logout: 'Sign out',

    'nav.fleet': 'Screens',
    'nav.fleetManage': 'Manage screens',
    'nav.alerts': 'Alerts',
    'nav.content': 'Content',
    'nav.drafts': 'Approval',
    'nav.emergency': 'Emergency',
    'nav.reports': 'Reports',
    'nav.users': 'Users',
    'nav.audit': 'Audit log',
    'nav.api': 'API',
    'nav.waiting': 'Waiting for you',
    'nav.account': 'My account',

    'role.admin': 'Administrator',
    'role.operator': 'Operator',
    'role.author': 'Author',
    'role.approver': 'Approver',
    'role.viewer': 'Viewer',

    never: 'Never',
    none: '—',
  },
});

export type ShellKey = (typeof shellTexts.keys)[number];
