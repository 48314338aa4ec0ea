/**
 * The gate-hours and calendar words in each gate language. `{d}` is a duration (`durationText`), `{n}` a number,
 * `{hours}` the day's windows (`07:00–22:00`). Reviewed wording for vi and en; km, lo and zh-Hans are
 * plain translations to be reviewed by native readers at the gates.
 */
export interface GateHoursTexts {
  opensIn: string;
  closesIn: string;
  always: string;
  closed: string;
  today: string;
  closedToday: string;
  days: string;
  hours: string;
  minutes: string;
  /** Between duration parts (none in Chinese). */
  joiner: string;
  /**
   * The header's date: `{weekday}`, `{day}`, `{month}`, `{year}`. Our own words rather than Intl's:
   * the ICU data Chromium ships has no Khmer or Lao dates (it falls back to English).
   */
  date: string;
  /** Monday first. */
  weekdays: readonly string[];
  months: readonly string[];
}

const NUMBERED_MONTHS = Array.from({ length: 12 }, (_, i) => String(i + 1));

export const GATE_HOURS_TEXTS: Readonly<Record<string, GateHoursTexts>> = Object.freeze({
  vi: {
    opensIn: 'Mở cửa sau {d}',
    closesIn: 'Đóng cửa sau {d}',
    always: 'Mở cửa 24 giờ',
    closed: 'Tạm đóng cửa',
    today: 'Giờ mở cửa hôm nay: {hours}',
    closedToday: 'Hôm nay không mở cửa',
    days: '{n} ngày',
    hours: '{n} giờ',
    minutes: '{n} phút',
    joiner: ' ',
    date: '{weekday}, ngày {day} tháng {month} năm {year}',
    weekdays: ['Thứ Hai', 'Thứ Ba', 'Thứ Tư', 'Thứ Năm', 'Thứ Sáu', 'Thứ Bảy', 'Chủ Nhật'],
    months: NUMBERED_MONTHS,
  },
  km: {
    opensIn: 'បើកក្នុងរយៈពេល {d}ទៀត',
    closesIn: 'បិទក្នុងរយៈពេល {d}ទៀត',
    always: 'បើក 24 ម៉ោង',
    closed: 'បិទជាបណ្ដោះអាសន្ន',
    today: 'ម៉ោងបើកថ្ងៃនេះ៖ {hours}',
    closedToday: 'ថ្ងៃនេះបិទ',
    days: '{n} ថ្ងៃ',
    hours: '{n} ម៉ោង',
    minutes: '{n} នាទី',
    joiner: ' ',
    date: '{weekday} ទី{day} ខែ{month} ឆ្នាំ{year}',
    weekdays: ['ថ្ងៃច័ន្ទ', 'ថ្ងៃអង្គារ', 'ថ្ងៃពុធ', 'ថ្ងៃព្រហស្បតិ៍', 'ថ្ងៃសុក្រ', 'ថ្ងៃសៅរ៍', 'ថ្ងៃអាទិត្យ'],
    months: ['មករា', 'កុម្ភៈ', 'មីនា', 'មេសា', 'ឧសភា', 'មិថុនា', 'កក្កដា', 'សីហា', 'កញ្ញា', 'តុលា', 'វិច្ឆិកា', 'ធ្នូ'],
  },
  lo: {
    opensIn: 'ເປີດໃນອີກ {d}',
    closesIn: 'ປິດໃນອີກ {d}',
    always: 'ເປີດ 24 ຊົ່ວໂມງ',
    closed: 'ປິດຊົ່ວຄາວ',
    today: 'ເວລາເປີດມື້ນີ້: {hours}',
    closedToday: 'ມື້ນີ້ປິດ',
    days: '{n} ມື້',
    hours: '{n} ຊົ່ວໂມງ',
    minutes: '{n} ນາທີ',
    joiner: ' ',
    date: '{weekday} ທີ {day} {month} {year}',
    weekdays: ['ວັນຈັນ', 'ວັນອັງຄານ', 'ວັນພຸດ', 'ວັນພະຫັດ', 'ວັນສຸກ', 'ວັນເສົາ', 'ວັນອາທິດ'],
    months: [
      'ມັງກອນ',
      'ກຸມພາ',
      'ມີນາ',
      'ເມສາ',
      'ພຶດສະພາ',
      'ມິຖຸນາ',
      'ກໍລະກົດ',
      'ສິງຫາ',
      'ກັນຍາ',
      'ຕຸລາ',
      'ພະຈິກ',
      'ທັນວາ',
    ],
  },
  'zh-Hans': {
    opensIn: '{d}后开放',
    closesIn: '{d}后关闭',
    always: '24小时开放',
    closed: '暂停开放',
    today: '今日开放时间：{hours}',
    closedToday: '今日不开放',
    days: '{n}天',
    hours: '{n}小时',
    minutes: '{n}分钟',
    joiner: '',
    date: '{year}年{month}月{day}日 {weekday}',
    weekdays: ['星期一', '星期二', '星期三', '星期四', '星期五', '星期六', '星期日'],
    months: NUMBERED_MONTHS,
  },
  en: {
    opensIn: 'Opens in {d}',
    closesIn: 'Closes in {d}',
    always: 'Open 24 hours',
    closed: 'Closed until further notice',
    today: 'Open today {hours}',
    closedToday: 'Closed today',
    days: '{n} d',
    hours: '{n} h',
    minutes: '{n} min',
    joiner: ' ',
    date: '{weekday} {day} {month} {year}',
    weekdays: ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'],
    months: [
      'January',
      'February',
      'March',
      'April',
      'May',
      'June',
      'July',
      'August',
      'September',
      'October',
      'November',
      'December',
    ],
  },
});
