import { describe, expect, it } from 'vitest';
import { approvalMessages, approvalText } from '../../protocol/i18n/approval-ui.js';

describe('approval page catalogue', () => {
  it('has the same keys, each non-empty, in Vietnamese and English', () => {
    const vi = Object.keys(approvalMessages.vi).sort();
    expect(Object.keys(approvalMessages.en).sort()).toEqual(vi);
    for (const lang of ['vi', 'en'] as const)
      for (const k of vi) expect(approvalMessages[lang][k as keyof typeof approvalMessages.vi]).not.toBe('');
  });

  it('uses the same placeholders in both languages', () => {
    const names = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const k of Object.keys(approvalMessages.vi) as (keyof typeof approvalMessages.vi)[])
      expect(names(approvalMessages.en[k]), k).toEqual(names(approvalMessages.vi[k]));
  });

  it('fills placeholders', () => {
    expect(approvalText('vi', 'sign.done', { have: 1, need: 2 })).toBe('Đã ký: 1/2 chữ ký');
    expect(approvalText('en', 'sign.published', { version: 7 })).toBe('Threshold met: version 7 published');
  });
});
