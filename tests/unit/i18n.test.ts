import { describe, expect, it } from 'vitest';
import { pickUiLang, t } from '../../protocol/i18n/index.js';

describe('technician messages', () => {
  it('fills placeholders and leaves unknown ones visible', () => {
    expect(t('en', 'st.summary.fail', { count: 2 })).toBe('2 checks failed.');
    expect(t('vi', 'st.summary.fail', { count: 2 })).toBe('2 hạng mục bị lỗi.');
    expect(t('en', 'prov.step.timezone')).toBe('Setting the time zone to {tz}');
  });

  it('counts in the right form: one check, two checks; one character, many characters', () => {
    expect(t('en', 'st.summary.fail', { count: 1 })).toBe('1 check failed.');
    expect(t('vi', 'st.summary.fail', { count: 1 })).toBe('1 hạng mục bị lỗi.');
    expect(t('en', 'st.fonts.missing', { count: 1, sample: 'ກ', pkg: 'fonts-lao' })).toBe(
      '1 character shows as an empty box (ກ): sudo apt install fonts-lao',
    );
    expect(t('en', 'st.fonts.ok', { count: 30 })).toBe('all 30 characters have a font');
  });

  it('picks the language from --lang, then LC_ALL, LC_MESSAGES, LANG', () => {
    expect(pickUiLang('vi', { LANG: 'en_GB.UTF-8' })).toBe('vi');
    expect(pickUiLang(undefined, { LC_ALL: 'vi_VN.UTF-8', LANG: 'en_GB.UTF-8' })).toBe('vi');
    expect(pickUiLang(undefined, { LC_ALL: '', LC_MESSAGES: 'en_US.UTF-8', LANG: 'vi_VN.UTF-8' })).toBe('en');
    expect(pickUiLang(undefined, { LANG: 'vi_VN' })).toBe('vi');
    expect(pickUiLang(undefined, { LANG: 'C.UTF-8' })).toBe('en');
    expect(pickUiLang(undefined, { LANG: 'km_KH.UTF-8' })).toBe('en');
    expect(pickUiLang(undefined, {})).toBe('en');
  });
});
