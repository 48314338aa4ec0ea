/** A small bundle for the player tests: two images, a video, an HTML package and text items. */
import { dirBundle, placeFixtures } from './dir-content.js';

export const SITE = 'test/gate';
const m = (f: string) => `${SITE}/media/${f}`;

const MEDIA = ['red.png', 'green.png', 'clip.webm', 'pkg/index.html', 'pkg/style.css', 'pkg/app.js'];

/** The fixture media under `site`'s target paths: `{ '<site>/media/red.png': 'red.png', … }`. */
export function playerFiles(site: string): Record<string, string> {
  return Object.fromEntries(MEDIA.map((f) => [`${site}/media/${f}`, f]));
}

export const PLAYER_FILES = playerFiles(SITE);

export const TEXTS = {
  vi: { title: 'Chào mừng', body: 'Chào mừng quý khách đến Cửa khẩu Quốc tế Hà Tiên' },
  km: { title: 'សូមស្វាគមន៍', body: 'សូមស្វាគមន៍មកកាន់ច្រកព្រំដែនអន្តរជាតិហាទៀង' },
  lo: { title: 'ຍິນດີຕ້ອນຮັບ', body: 'ກະລຸນາກຽມໜັງສືຜ່ານແດນ ແລະ ເອກະສານເດີນທາງ' },
  'zh-Hans': { title: '欢迎', body: '欢迎来到河仙国际口岸' },
  en: { title: 'Welcome', body: 'Welcome to Ha Tien International Border Gate' },
};

export function playerManifest() {
  return {
    schema: 1,
    siteGroup: SITE,
    createdAt: '2026-01-01T00:00:00Z',
    items: [
      { id: 'red', title: 'Red', kind: 'image', variants: { vi: { src: m('red.png') } } },
      { id: 'green', title: 'Green', kind: 'image', variants: { vi: { src: m('green.png') } } },
      { id: 'clip', title: 'Clip', kind: 'video', loop: true, variants: { vi: { src: m('clip.webm') } } },
      {
        id: 'pkg',
        title: 'Package',
        kind: 'html',
        variants: { vi: { entry: m('pkg/index.html'), assets: [m('pkg/style.css'), m('pkg/app.js')] } },
      },
      { id: 'welcome', title: 'Welcome', kind: 'text', style: 'notice', variants: TEXTS },
      { id: 'gone', title: 'Missing file', kind: 'image', variants: { vi: { src: m('gone.png') } } },
    ],
    playlists: [
      {
        id: 'main',
        name: 'Main',
        entries: [{ itemId: 'red' }, { itemId: 'clip' }, { itemId: 'pkg' }, { itemId: 'welcome' }],
        ticker: { text: { vi: 'Xin chào', km: 'សួស្តី', 'zh-Hans': '你好', en: 'Hello' }, speedPxPerS: 120 },
      },
    ],
    schedule: { defaultPlaylistId: 'main' },
  };
}

/** Places the fixture files in `dir` and returns the bundle over them. */
export function playerBundle(dir: string, version = 1) {
  placeFixtures(dir, PLAYER_FILES);
  return dirBundle(dir, playerManifest(), version);
}
