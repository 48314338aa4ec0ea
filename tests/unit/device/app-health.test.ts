import { describe, expect, it } from 'vitest';
import { appHealthFrom, displayState, isScreenOn } from '../../../device/health/app-health.js';
import type { HardwareHealth } from '../../../device/hardware.js';
import { buildHealthReport } from '../../../device/health/health-report.js';
import { EMPTY_READINGS } from '../../../device/health/sensors.js';
import { HealthReport } from '../../../protocol/messages.js';

function controlled(actual: 'on' | 'off' | 'unknown'): HardwareHealth['display'] {
  return {
    adapter: 'cec',
    desired: actual === 'off' ? 'off' : 'on',
    reason: 'always-open',
    actual,
    lastError: undefined,
    nextCheckAt: undefined,
  };
}
const NONE: HardwareHealth['display'] = { adapter: 'none', why: 'no tool found' };

describe('app health', () => {
  it('reports the display as the controller last read it, unknown without power control', () => {
    expect(displayState(controlled('on'))).toBe('on');
    expect(displayState(controlled('off'))).toBe('off');
    expect(displayState(controlled('unknown'))).toBe('unknown');
    expect(displayState(NONE)).toBe('unknown');
  });

  it('takes a screen to be lit for proof of play unless it is known to be off', () => {
    expect(isScreenOn(controlled('off'))).toBe(false);
    expect(isScreenOn(controlled('on'))).toBe(true);
    expect(isScreenOn(controlled('unknown'))).toBe(true);
    expect(isScreenOn(NONE)).toBe(true);
  });

  it('says what is on air, which bundle is installed and seen, the clock and the browser memory', () => {
    const h = appHealthFrom({
      daemon: { lastPlayed: { itemId: 'a', language: 'km', actualStart: 1 } },
      update: { latestSeenVersion: 8, lastSuccessAt: '2026-03-01T07:00:00.000Z' },
      hardware: { display: controlled('off') },
      installedBundleVersion: 7,
      clock: { health: { systemSkewMs: -1200 }, status: 'ntp' },
      browserMemoryBytes: 300e6,
    });
    expect(h).toEqual({
      display: 'off',
      currentItem: 'a',
      currentLanguage: 'km',
      installedBundleVersion: '7',
      latestBundleVersion: '8',
      lastSuccessfulUpdateAt: Date.parse('2026-03-01T07:00:00.000Z'),
      clockOffsetMs: -1200,
      clockSource: 'ntp',
      browserMemoryBytes: 300e6,
    });
  });

  it('leaves unknown what it does not know yet (nothing played, not enrolled, browser not measured)', () => {
    const h = appHealthFrom({
      daemon: {},
      update: undefined,
      hardware: { display: NONE },
      installedBundleVersion: undefined,
      clock: { health: { systemSkewMs: 0 }, status: 'unknown' },
      browserMemoryBytes: 0,
    });
    expect(h).toMatchObject({
      display: 'unknown',
      currentItem: null,
      installedBundleVersion: null,
      latestBundleVersion: null,
      lastSuccessfulUpdateAt: null,
      browserMemoryBytes: null,
    });
  });
});

describe('app health: the data disk', () => {
  it('carries a standing disk fault into the health sample, and nothing when all is well', () => {
    const base = {
      daemon: {},
      hardware: { display: NONE },
      installedBundleVersion: 3,
      clock: { health: { systemSkewMs: 0 }, status: 'ntp' as const },
      browserMemoryBytes: undefined,
    };
    const fault = appHealthFrom({
      ...base,
      update: {
        diskFault: {
          code: 'DISK_FULL',
          message: 'film.webm: the data disk is full',
          at: '2026-03-01T07:00:00.000Z',
        },
      },
    });
    const report = buildHealthReport(1, '1.0.0', EMPTY_READINGS, fault);
    expect(report.storage).toEqual({
      ext4ErrorsCount: null,
      rootReadOnly: null,
      diskFault: {
        code: 'DISK_FULL',
        at: Date.parse('2026-03-01T07:00:00.000Z'),
        message: 'film.webm: the data disk is full',
      },
    });
    expect(HealthReport.parse(report)).toEqual(report);
    const fine = buildHealthReport(1, '1.0.0', EMPTY_READINGS, appHealthFrom({ ...base, update: {} }));
    expect(fine.storage).toEqual({ ext4ErrorsCount: null, rootReadOnly: null });
  });
});

describe('app health: the screen', () => {
  it('reports the screen device.json declares, through to a valid health report', () => {
    const h = appHealthFrom({
      daemon: {},
      update: undefined,
      hardware: { display: NONE },
      installedBundleVersion: undefined,
      clock: { health: { systemSkewMs: 0 }, status: 'unknown' },
      browserMemoryBytes: undefined,
      screen: { width: 1080, height: 1920, orientation: 'portrait' },
    });
    const report = buildHealthReport(1, '1.0.0', EMPTY_READINGS, h);
    expect(HealthReport.parse(report).screen).toEqual({ width: 1080, height: 1920, orientation: 'portrait' });
  });
});
