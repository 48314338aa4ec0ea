import { describe, expect, it } from 'vitest';
import { contentLanguageProblem } from '../../protocol/language-tags.js';
import { timeZoneProblem } from '../../protocol/time-zones.js';

describe('time zone names', () => {
  it.each([
    'Asia/Ho_Chi_Minh',
    'Asia/Saigon',
    'Asia/Phnom_Penh',
    'Asia/Vientiane',
    'UTC',
    'Etc/GMT-7',
    'US/Pacific',
  ])('accepts %s', (zone) => expect(timeZoneProblem(zone)).toBeUndefined());

  it('refuses unknown zones with the likely one, and a wrong spelling with the right one', () => {
    expect(timeZoneProblem('Asia/Hanoi')).toContain('did you mean "Asia/Ho_Chi_Minh"?');
    expect(timeZoneProblem('Asia/Ho_Chi_Mihn')).toContain('did you mean "Asia/Ho_Chi_Minh"?');
    expect(timeZoneProblem('asia/ho_chi_minh')).toBe(
      'time zone "asia/ho_chi_minh" must be written "Asia/Ho_Chi_Minh"',
    );
    expect(timeZoneProblem('+07:00')).toContain('is not a time zone of the IANA database');
  });
});

describe('content language tags', () => {
  it.each(['vi', 'km', 'lo', 'zh-Hans', 'en', 'zh-Hant', 'fr', 'tyz', 'hnj', 'zxx'])('accepts %s', (tag) =>
    expect(contentLanguageProblem(tag)).toBeUndefined(),
  );

  it.each([
    ['kh', 'km'],
    ['cn', 'zh-Hans'],
    ['zh', 'zh-Hans'],
    ['zh-CN', 'zh-Hans'],
    ['vn', 'vi'],
    ['la', 'lo'],
    ['en-US', 'en'],
  ])('refuses %s: did you mean %s?', (tag, meant) =>
    expect(contentLanguageProblem(tag)).toContain(`did you mean "${meant}"?`),
  );

  it('refuses tags that are not BCP-47 or not canonical', () => {
    expect(contentLanguageProblem('en_US')).toBe('"en_US" is not a BCP-47 language tag');
    expect(contentLanguageProblem('xx')).toBe('"xx" is not a registered language');
    expect(contentLanguageProblem('zh-hans')).toBe('language tag "zh-hans" must be written "zh-Hans"');
  });
});
