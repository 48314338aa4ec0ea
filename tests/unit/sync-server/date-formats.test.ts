import { describe, expect, it } from 'vitest';
import { timeFormat } from '../../../sync-server/dashboard/browser/client.js';
import {
  DASHBOARD_LANGUAGES,
  DASHBOARD_LOCALE,
  formatDateTime,
} from '../../../sync-server/dashboard/language.js';

const AT = Date.UTC(2026, 11, 5, 17, 30, 5);
const ZONES = ['Asia/Ho_Chi_Minh', 'UTC'];
const STYLES = [{}, { seconds: true }, { zoneName: true }, { seconds: true, zoneName: true }];

describe('dates and times on the dashboard', () => {
  it('are written the same by the server and by the pages’ scripts, in every style', () => {
    for (const lang of DASHBOARD_LANGUAGES)
      for (const tz of ZONES)
        for (const style of STYLES)
          expect(timeFormat(DASHBOARD_LOCALE[lang], tz, style).format(AT)).toBe(
            formatDateTime(AT, lang, tz, style),
          );
  });

  it('to the minute unless asked for seconds, with the zone’s name when asked', () => {
    expect(formatDateTime(AT, 'en', 'Asia/Ho_Chi_Minh')).toBe('06/12/2026, 00:30');
    expect(formatDateTime(AT, 'en', 'Asia/Ho_Chi_Minh', { seconds: true })).toBe('06/12/2026, 00:30:05');
    expect(formatDateTime(AT, 'en', 'UTC', { zoneName: true })).toBe('05/12/2026, 17:30 UTC');
    expect(timeFormat('en-GB', 'UTC').format(AT)).toBe('05/12/2026, 17:30:05');
  });
});
