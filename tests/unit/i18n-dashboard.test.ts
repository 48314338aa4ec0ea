import { describe, expect, it } from 'vitest';
import { dashboardMessages, dashboardText } from '../../protocol/i18n/dashboard.js';
import { formatDateTime, formatNumber, formatPercent } from '../../sync-server/dashboard/language.js';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('dashboard message catalogues', () => {
  it('have the same keys in Vietnamese and English', () => {
    expect(Object.keys(dashboardMessages.en).sort()).toEqual(Object.keys(dashboardMessages.vi).sort());
  });

  it('use the same placeholders for each key in both languages, and no empty message', () => {
    for (const key of Object.keys(dashboardMessages.vi) as (keyof typeof dashboardMessages.vi)[]) {
      expect(placeholders(dashboardMessages.en[key]), key).toEqual(placeholders(dashboardMessages.vi[key]));
      expect(dashboardMessages.vi[key].length, key).toBeGreaterThan(0);
      expect(dashboardMessages.en[key].length, key).toBeGreaterThan(0);
    }
  });

  it('fills placeholders', () => {
    expect(dashboardText('vi', 'report.period.quarter', { quarter: 1, year: 2026 })).toBe('Quý 1 năm 2026');
    expect(dashboardText('en', 'report.period.quarter', { quarter: 1, year: 2026 })).toBe('Q1 2026');
    expect(dashboardText('en', 'report.period.custom', { from: '2026-01-01' })).toBe('2026-01-01 to {to}');
  });

  it('formats times in the gate time zone and numbers in the user locale', () => {
    const t = Date.UTC(2026, 2, 31, 17, 5); // 00:05 on 1 April in Hà Tiên (UTC+7)
    expect(formatDateTime(t, 'vi', 'Asia/Ho_Chi_Minh')).toBe('00:05 01/04/2026');
    expect(formatDateTime(t, 'en', 'Asia/Ho_Chi_Minh')).toBe('01/04/2026, 00:05');
    expect(formatNumber(1234567.5, 'vi', 1)).toBe('1.234.567,5');
    expect(formatNumber(1234567.5, 'en', 1)).toBe('1,234,567.5');
    expect(formatPercent(0.9876, 'vi')).toBe('98,76%');
    expect(formatPercent(0.9876, 'en')).toBe('98.76%');
  });
});
