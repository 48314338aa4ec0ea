import { describe, expect, it } from 'vitest';
import { alertsText, alertsUiMessages, type AlertsUiKey } from '../../protocol/i18n/alerts-ui.js';
import { ALERT_MESSAGE_KEY } from '../../sync-server/alerts/messages.js';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('alerts page message catalogue', () => {
  it('has the same keys in Vietnamese and English', () => {
    expect(Object.keys(alertsUiMessages.en).sort()).toEqual(Object.keys(alertsUiMessages.vi).sort());
  });

  it('uses the same placeholders in both languages, and no empty message', () => {
    for (const key of Object.keys(alertsUiMessages.vi) as AlertsUiKey[]) {
      expect(placeholders(alertsUiMessages.en[key]), key).toEqual(placeholders(alertsUiMessages.vi[key]));
      expect(alertsUiMessages.vi[key].trim().length, key).toBeGreaterThan(0);
      expect(alertsUiMessages.en[key].trim().length, key).toBeGreaterThan(0);
    }
  });

  it('names every alert kind in words in both languages', () => {
    for (const kind of Object.keys(ALERT_MESSAGE_KEY)) {
      const key = `alerts.kind.${kind}` as AlertsUiKey;
      expect(alertsUiMessages.vi[key], kind).toBeTruthy();
      expect(alertsUiMessages.en[key], kind).toBeTruthy();
    }
  });

  it('fills placeholders and leaves unknown ones', () => {
    expect(alertsText('vi', 'alerts.acknowledgedBy', { user: 'op', at: '10:00 01/04/2026' })).toBe(
      'Đã xác nhận bởi op lúc 10:00 01/04/2026',
    );
    expect(alertsText('en', 'alerts.acknowledgedBy', { user: 'op' })).toBe('Acknowledged by op at {at}');
  });
});
