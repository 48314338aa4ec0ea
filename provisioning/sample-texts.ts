/**
 * Text the self-test renders per language: letters a screen at the gate will show. Vietnamese lists
 * every toned vowel (the font must have precomposed forms or good mark positioning); the others are
 * sample sentences from samples/gate-texts.json (unreviewed translations, fine for glyphs).
 */
export const SAMPLE_TEXTS: Readonly<Record<string, string>> = {
  vi:
    'Chào mừng quý khách đến Cửa khẩu Quốc tế Hà Tiên. ' +
    'ăâđêôơư ĂÂĐÊÔƠƯ áàảãạ ắằẳẵặ ấầẩẫậ éèẻẽẹ ếềểễệ íìỉĩị óòỏõọ ốồổỗộ ớờởỡợ úùủũụ ứừửữự ýỳỷỹỵ',
  en: 'Welcome to Ha Tien International Border Gate. Please have your passport ready.',
  km: 'សូមស្វាគមន៍មកកាន់ច្រកព្រំដែនអន្តរជាតិហាទៀង សូមរៀបចំលិខិតឆ្លងដែន និងឯកសារធ្វើដំណើររបស់អ្នក',
  lo: 'ຍິນດີຕ້ອນຮັບສູ່ດ່ານສາກົນ ກະລຸນາກຽມໜັງສືຜ່ານແດນ',
  'zh-Hans': '欢迎来到河仙国际口岸 请准备好护照和出入境证件',
  th: 'ยินดีต้อนรับสู่ด่านพรมแดนระหว่างประเทศ',
};

/** Letters and digits worth checking: combining marks are skipped (alone they draw a dotted circle). */
export function glyphsToCheck(text: string, max = 160): string[] {
  const seen = new Set<string>();
  for (const ch of text) if (/[\p{L}\p{N}]/u.test(ch) && seen.size < max) seen.add(ch);
  return [...seen];
}
