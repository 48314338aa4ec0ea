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
    'nav.releases': 'Bản phát hành',
    'nav.content': 'Soạn nội dung',
    'nav.drafts': 'Phê duyệt',
    'nav.emergency': 'Khẩn cấp',
    'nav.templates': 'Mẫu khẩn cấp',
    'nav.reports': 'Báo cáo',
    'nav.users': 'Tài khoản',
    'nav.audit': 'Nhật ký',
    'nav.api': 'API',
    'nav.waiting': 'Chờ bạn xử lý',
    'nav.account': 'Tài khoản của tôi',

    'role.admin': 'Quản trị',
    'role.operator': 'Vận hành',
    'role.author': 'Biên tập',
    'role.approver': 'Phê duyệt',
    'role.viewer': 'Xem',

    never: 'Chưa bao giờ',
    none: '—',

    'error.title.400': 'Yêu cầu không hợp lệ',
    'error.title.401': 'Cần đăng nhập',
    'error.title.403': 'Không có quyền',
    'error.title.404': 'Không tìm thấy trang',
    'error.title.500': 'Máy chủ gặp lỗi',
    'error.internal': 'Máy chủ gặp lỗi khi xử lý yêu cầu. Lỗi đã được ghi lại; hãy thử lại sau.',
    'error.notFound': 'Không có trang nào ở địa chỉ {path}.',
    'error.back': 'Về trang chính',
    'error.code': 'Mã lỗi:',
  },
  en: {
    'app.title': 'Border gate information screens',
    'lang.switch': 'Tiếng Việt',
    logout: 'Sign out',

    'nav.fleet': 'Screens',
    'nav.fleetManage': 'Manage screens',
    'nav.alerts': 'Alerts',
    'nav.releases': 'Releases',
    'nav.content': 'Content',
    'nav.drafts': 'Approval',
    'nav.emergency': 'Emergency',
    'nav.templates': 'Templates',
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

    'error.title.400': 'Request refused',
    'error.title.401': 'Sign-in needed',
    'error.title.403': 'Not allowed',
    'error.title.404': 'Page not found',
    'error.title.500': 'Server error',
    'error.internal':
      'The server failed to handle the request. The error was logged; please try again later.',
    'error.notFound': 'There is no page at {path}.',
    'error.back': 'Back to the dashboard',
    'error.code': 'Error code:',
  },
});

export type ShellKey = (typeof shellTexts.keys)[number];
