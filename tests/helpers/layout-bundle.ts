/** The player bundle with a gate, a layout (header, main, ticker) and an emergency in five scripts. */
import { dirBundle, placeFixtures } from './dir-content.js';
import { PLAYER_FILES, playerManifest, SITE, TEXTS } from './player-bundle.js';

export const LANGS = ['vi', 'km', 'lo', 'zh-Hans', 'en'] as const;
export const ZONE = 'Asia/Ho_Chi_Minh';

export const GATE_NAMES = {
  vi: 'Cửa khẩu Quốc tế Hà Tiên',
  km: 'ច្រកព្រំដែនអន្តរជាតិហាទៀង',
  lo: 'ດ່ານສາກົນຮ່າທຽນ',
  'zh-Hans': '河仙国际口岸',
  en: 'Ha Tien International Border Gate',
};

export const EMERGENCY = {
  vi: { title: 'Tạm dừng làm thủ tục', body: 'Vui lòng ở lại khu vực chờ và làm theo hướng dẫn của cán bộ.' },
  km: { title: 'ផ្អាកការត្រួតពិនិត្យបណ្ដោះអាសន្ន', body: 'សូមស្នាក់នៅកន្លែងរង់ចាំ ហើយធ្វើតាមការណែនាំរបស់មន្ត្រី។' },
  lo: { title: 'ຢຸດການກວດຊົ່ວຄາວ', body: 'ກະລຸນາຢູ່ໃນບໍລິເວນລໍຖ້າ ແລະ ປະຕິບັດຕາມຄຳແນະນຳຂອງເຈົ້າໜ້າທີ່.' },
  'zh-Hans': { title: '暂停办理通关手续', body: '请留在候检区，并听从工作人员的指示。' },
  en: {
    title: 'Checks paused',
    body: 'Please stay in the waiting area and follow the officers’ instructions.',
  },
};

export function layoutManifest() {
  const m = playerManifest();
  const src = `${SITE}/media/red.png`;
  return {
    ...m,
    items: [
      ...m.items,
      {
        id: 'photo',
        title: 'Photo',
        kind: 'image',
        variants: Object.fromEntries(LANGS.map((l) => [l, { src }])),
      },
      { id: 'hello', title: 'Hello', kind: 'text', variants: TEXTS },
    ],
    playlists: [
      ...m.playlists,
      { id: 'day', name: 'Day', layoutId: 'gate-day', entries: [{ itemId: 'photo' }, { itemId: 'hello' }] },
    ],
    gate: { name: GATE_NAMES, hours: [{ start: '07:00', end: '22:00' }] },
    layouts: [
      {
        id: 'gate-day',
        regions: {
          header: {},
          ticker: {
            text: {
              vi: 'Chúc quý khách thượng lộ bình an',
              km: 'សូមធ្វើដំណើរដោយសុវត្ថិភាព',
              lo: 'ຂໍໃຫ້ເດີນທາງປອດໄພ',
              'zh-Hans': '祝您一路平安',
              en: 'Have a safe journey',
            },
          },
        },
      },
    ],
    emergencies: [
      {
        id: 'pause',
        text: EMERGENCY,
        startsAt: '2026-01-01T00:00:00Z',
        expiresAt: '2036-01-01T00:00:00Z',
      },
    ],
  };
}

export function layoutBundle(
  dir: string,
  version = 1,
  tweak?: (m: ReturnType<typeof layoutManifest>) => void,
) {
  placeFixtures(dir, PLAYER_FILES);
  const m = layoutManifest();
  tweak?.(m);
  return dirBundle(dir, m, version);
}
