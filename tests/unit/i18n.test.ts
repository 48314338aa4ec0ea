import { describe, expect, it } from 'vitest';
import { catalogue, pickUiLang, placeholders, t } from '../../protocol/i18n/index.js';

describe('message catalogues', () => {
  it('vi and en have the same keys and the same placeholders', () => {
    const en = catalogue('en');
    const vi = catalogue('vi');
    expect(Object.keys(vi).sort()).toEqual(Object.keys(en).sort());
    const mismatched = Object.keys(en).filter(
      (k) =>
        JSON.stringify(placeholders(en[k as keyof typeof en])) !==
        JSON.stringify(placeholders(vi[k as keyof typeof vi])),
    );
    expect(mismatched).toEqual([]);
    expect(Object.values(vi).every((s) => s.trim().length > 0)).toBe(true);
  });

  it('fills placeholders and leaves unknown ones visible', () => {
    expect(t('en', 'st.summary.fail', { count: 2 })).toBe('2 check(s) failed.');
    expect(t('vi', 'st.summary.fail', { count: 2 })).toBe('2 hạng mục bị lỗi.');
    expect(t('en', 'prov.step.timezone')).toBe('Setting the time zone to {tz}');
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
