/**
 * The demo's emergency templates: the messages ops at a border gate keep ready (crossing
 * suspended, gate closing early, severe weather), each in the five gate languages. Seeded through
 * the same TemplateService the dashboard uses, so they obey its rules.
 */
import type { TemplateInput, TemplateService } from '../sync-server/templates/service.js';

export const DEMO_TEMPLATES: readonly TemplateInput[] = [
  {
    name: 'Tạm dừng thông quan',
    durationMinutes: 60,
    text: {
      vi: {
        title: 'Tạm dừng thông quan',
        body: 'Cửa khẩu tạm dừng thông quan. Xin vui lòng chờ thông báo tiếp theo.',
      },
      km: {
        title: 'ផ្អាកការឆ្លងដែន',
        body: 'ច្រកព្រំដែនផ្អាកការឆ្លងដែនជាបណ្តោះអាសន្ន។ សូមរង់ចាំការជូនដំណឹងបន្ថែម។',
      },
      lo: {
        title: 'ໂຈະການຂ້າມແດນ',
        body: 'ດ່ານຊາຍແດນໂຈະການຂ້າມແດນຊົ່ວຄາວ. ກະລຸນາລໍຖ້າແຈ້ງການຕໍ່ໄປ.',
      },
      'zh-Hans': { title: '暂停通关', body: '口岸暂停通关，请等候进一步通知。' },
      en: {
        title: 'Border crossing suspended',
        body: 'Crossing is temporarily suspended. Please wait for further notice.',
      },
    },
  },
  {
    name: 'Đóng cửa khẩu sớm',
    durationMinutes: 240,
    text: {
      vi: {
        title: 'Đóng cửa khẩu sớm',
        body: 'Hôm nay cửa khẩu đóng cửa sớm hơn thường lệ. Xin quý khách hoàn tất thủ tục trước giờ đóng cửa.',
      },
      km: {
        title: 'ច្រកព្រំដែនបិទមុនម៉ោង',
        body: 'ថ្ងៃនេះ ច្រកព្រំដែនបិទមុនម៉ោងធម្មតា។ សូមបំពេញនីតិវិធីមុនម៉ោងបិទ។',
      },
      lo: {
        title: 'ດ່ານປິດກ່ອນເວລາ',
        body: 'ມື້ນີ້ດ່ານປິດກ່ອນເວລາປົກກະຕິ. ກະລຸນາເຮັດເອກະສານໃຫ້ແລ້ວກ່ອນເວລາປິດ.',
      },
      'zh-Hans': { title: '口岸提前关闭', body: '今天口岸比平时提前关闭，请在关闭前办理完手续。' },
      en: {
        title: 'Gate closes early',
        body: 'The border gate closes earlier than usual today. Please complete your formalities before closing time.',
      },
    },
  },
  {
    name: 'Thời tiết xấu',
    durationMinutes: 180,
    text: {
      vi: {
        title: 'Cảnh báo thời tiết xấu',
        body: 'Mưa bão lớn trong khu vực cửa khẩu. Xin quý khách cẩn thận khi đi lại và làm theo hướng dẫn của cán bộ.',
      },
      km: {
        title: 'ការព្រមានអំពីអាកាសធាតុអាក្រក់',
        body: 'មានព្យុះភ្លៀងខ្លាំងនៅតំបន់ច្រកព្រំដែន។ សូមប្រុងប្រយ័ត្ន និងធ្វើតាមការណែនាំរបស់មន្ត្រី។',
      },
      lo: {
        title: 'ແຈ້ງເຕືອນສະພາບອາກາດບໍ່ດີ',
        body: 'ມີພາຍຸຝົນແຮງຢູ່ເຂດດ່ານ. ກະລຸນາລະມັດລະວັງ ແລະ ປະຕິບັດຕາມຄຳແນະນຳຂອງເຈົ້າໜ້າທີ່.',
      },
      'zh-Hans': { title: '恶劣天气警告', body: '口岸地区有强风暴雨，出行请注意安全，并听从工作人员指挥。' },
      en: {
        title: 'Severe weather warning',
        body: "Heavy storm in the gate area. Please take care when travelling and follow the officers' instructions.",
      },
    },
  },
];

/** Writes the demo's templates as `by` (the demo's author account); returns their ids. */
export function seedDemoTemplates(service: TemplateService, by: string): string[] {
  return DEMO_TEMPLATES.map((t) => service.create(t, { username: by }).id);
}
