import { describe, expect, it } from 'vitest';
import { formatDateTime, formatNumber, formatPercent } from '../../../sync-server/dashboard/language.js';
import { reportsTexts } from '../../../sync-server/reports/texts.js';

describe('reports texts', () => {
  it('fill placeholders', () => {
    expect(reportsTexts.text('vi', 'report.period.quarter', { quarter: 1, year: 2026 })).toBe(
      'Quý 1 năm 2026',
    );
    expect(reportsTexts.text('en', 'report.period.quarter', { quarter: 1, year: 2026 })).toBe('Q1 2026');
    expect(reportsTexts.text('en', 'report.period.custom', { from: '2026-01-01' })).toBe(
      '2026-01-01 to {to}',
    );
  });

  it('count in the right form: "1 break", "1 more rejected record", "1 second"', () => {
    expect(reportsTexts.text('en', 'report.chain.broken', { count: 1 })).toBe('1 break');
    expect(reportsTexts.text('en', 'report.chain.broken', { count: 3 })).toBe('3 breaks');
    expect(reportsTexts.text('vi', 'report.chain.broken', { count: 1 })).toBe('Có 1 chỗ đứt');
    expect(reportsTexts.text('en', 'report.rejected.more', { count: 1 })).toBe(
      'and 1 more rejected record (see the total above)',
    );
    expect(reportsTexts.text('en', 'report.error.busy', { seconds: 1 })).toBe(
      'The server is busy printing other report PDFs, try again in 1 second',
    );
  });
});

describe('dashboard formats', () => {
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
