import { describe, expect, it } from 'vitest';
import { ALERT_MESSAGE_KEY, alertText } from '../../../sync-server/alerts/messages.js';
import { alertsTexts } from '../../../sync-server/alerts/texts.js';

describe('alerts texts', () => {
  it('name every alert kind in words in both languages', () => {
    for (const kind of Object.keys(ALERT_MESSAGE_KEY))
      expect(alertsTexts.has(`alerts.kind.${kind}`), kind).toBe(true);
  });

  it('fill placeholders and leave unknown ones', () => {
    expect(alertsTexts.text('vi', 'alerts.acknowledgedBy', { user: 'op', at: '10:00 01/04/2026' })).toBe(
      'Đã xác nhận bởi op lúc 10:00 01/04/2026',
    );
    expect(alertsTexts.text('en', 'alerts.acknowledgedBy', { user: 'op' })).toBe(
      'Acknowledged by op at {at}',
    );
  });

  it('count in the right form: "1 playback error in 1 minute", "2 alerts"', () => {
    expect(alertText({ kind: 'playback-errors', params: { count: 1, minutes: 1 } }, 'en')).toBe(
      '1 playback error in 1 minute',
    );
    expect(alertText({ kind: 'playback-errors', params: { count: 12, minutes: 10 } }, 'en')).toBe(
      '12 playback errors in 10 minutes',
    );
    expect(alertText({ kind: 'playback-errors', params: { count: 1, minutes: 1 } }, 'vi')).toBe(
      '1 lỗi phát trong 1 phút',
    );
    expect(alertText({ kind: 'offline', params: { minutes: 1 } }, 'en')).toBe(
      'Offline for more than 1 minute',
    );
    expect(alertText({ kind: 'clock-skew', params: { seconds: 1 } }, 'en')).toBe('Clock off by 1 second');
    // a number written with a separator is never "one"
    expect(alertText({ kind: 'clock-skew', params: { seconds: 1500 } }, 'en')).toBe(
      'Clock off by 1,500 seconds',
    );
    const summary = { critical: 1, warning: 0, acknowledged: 0 };
    expect(alertsTexts.text('en', 'alerts.summary', { total: 1, ...summary })).toBe(
      '1 alert: 1 critical, 0 warning, 0 acknowledged',
    );
    expect(alertsTexts.text('en', 'alerts.summary', { total: 2, ...summary })).toMatch(/^2 alerts: /);
  });
});
