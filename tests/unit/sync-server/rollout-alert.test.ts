import { describe, expect, it } from 'vitest';
import { alertText } from '../../../sync-server/alerts/messages.js';
import { evaluateAlerts } from '../../../sync-server/alerts/rules.js';
import type { AlertInput, HaltedRollout } from '../../../sync-server/alerts/types.js';

const halted: HaltedRollout = {
  rolloutId: 'ro-1',
  version: '1.1.0',
  deviceId: 'dev-1',
  screenName: 'Sảnh xuất cảnh 1',
  siteGroup: 'kien-giang/ha-tien',
  reason: 'rolled-back',
  detail: 'player did not start',
};

const input = (haltedRollouts?: HaltedRollout[]): AlertInput => ({
  now: Date.parse('2026-12-06T03:00:00Z'),
  devices: [],
  latestHealth: new Map(),
  recentHealth: new Map(),
  latestBundles: new Map(),
  contentGaps: new Map(),
  ...(haltedRollouts ? { haltedRollouts } : {}),
});

describe('release rollout halted alert', () => {
  it('raises one critical alert per halted rollout, on the screen that failed', () => {
    expect(evaluateAlerts(input([halted]))).toEqual([
      {
        key: 'release-rollout-halted:ro-1',
        kind: 'release-rollout-halted',
        severity: 'critical',
        siteGroup: 'kien-giang/ha-tien',
        deviceId: 'dev-1',
        params: {
          version: '1.1.0',
          screen: 'Sảnh xuất cảnh 1',
          reason: 'rolled-back',
          detail: 'player did not start',
        },
      },
    ]);
  });

  it('raises nothing when no rollout is halted (or the source says nothing of rollouts)', () => {
    expect(evaluateAlerts(input([]))).toEqual([]);
    expect(evaluateAlerts(input())).toEqual([]);
  });

  it('says the reason in words, in Vietnamese and English', () => {
    const [a] = evaluateAlerts(input([{ ...halted, reason: 'pending-too-long', detail: '' }]));
    expect(alertText(a!, 'en')).toBe(
      'Rollout of gatecast 1.1.0 halted: screen Sảnh xuất cảnh 1 did not commit it in time (—); no other screen is offered it',
    );
    expect(alertText(a!, 'vi')).toBe(
      'Đã dừng triển khai bản gatecast 1.1.0: màn hình Sảnh xuất cảnh 1 chưa xác nhận bản mới trong thời hạn (—); không màn hình nào khác được mời cài',
    );
  });
});
