import { describe, expect, it } from 'vitest';
import {
  acknowledgeAlert,
  isAlertNotFoundError,
  reduceAlerts,
} from '../../../sync-server/alerts/lifecycle.js';
import { alertText } from '../../../sync-server/alerts/messages.js';
import { evaluateAlerts } from '../../../sync-server/alerts/rules.js';
import type {
  AlertInput,
  DeviceSnapshot,
  HealthSample,
  RaisedAlert,
} from '../../../sync-server/alerts/types.js';

const T0 = Date.parse('2026-03-10T03:00:00Z'); // 10:00 in Hà Tiên
const MIN = 60_000;
const H = 3_600_000;

function device(over: Partial<DeviceSnapshot> = {}): DeviceSnapshot {
  return {
    deviceId: 'dev-1',
    name: 'Sảnh xuất cảnh 1',
    siteGroup: 'kien-giang/ha-tien',
    timezone: 'Asia/Ho_Chi_Minh',
    openingHours: [{ start: '07:00', end: '17:00' }],
    online: true,
    lastSeenAt: T0 - 5_000,
    enrolledAt: T0 - 100 * H,
    installedBundleVersion: '12',
    ...over,
  };
}

function sample(over: Partial<HealthSample> = {}): HealthSample {
  return {
    deviceId: 'dev-1',
    at: T0 - 10_000,
    cpuTempC: 55,
    diskFreeBytes: 20e9,
    diskTotalBytes: 32e9,
    underVoltageNow: false,
    underVoltageSinceBoot: false,
    display: 'on',
    playbackErrors: 0,
    clockOffsetMs: 120,
    ...over,
  };
}

function input(over: Partial<AlertInput> = {}, health: Partial<HealthSample> = {}): AlertInput {
  const h = sample(health);
  return {
    now: T0,
    devices: [device()],
    latestHealth: new Map([[h.deviceId, h]]),
    recentHealth: new Map([[h.deviceId, [h]]]),
    latestBundles: new Map([
      ['kien-giang/ha-tien', { siteGroup: 'kien-giang/ha-tien', version: '12', publishedAt: T0 - 48 * H }],
    ]),
    contentGaps: new Map(),
    ...over,
  };
}

const kinds = (a: RaisedAlert[]) => a.map((x) => `${x.kind}/${x.severity}`);

describe('alert rules', () => {
  it('raise nothing for a healthy, up-to-date, online screen', () => {
    expect(evaluateAlerts(input())).toEqual([]);
  });

  it('raise offline only after N minutes without contact', () => {
    const at = (lastSeenAt: number) =>
      evaluateAlerts(input({ devices: [device({ online: false, lastSeenAt })] }), {
        offlineAfterMs: 10 * MIN,
      });
    expect(at(T0 - 9 * MIN)).toEqual([]);
    const a = at(T0 - 11 * MIN);
    expect(kinds(a)).toEqual(['offline/critical']);
    expect(a[0]).toMatchObject({
      key: 'offline:dev-1',
      deviceId: 'dev-1',
      params: { minutes: 10, offlineMinutes: 11 },
    });
    // Never connected: counted from enrolment.
    expect(
      kinds(evaluateAlerts(input({ devices: [device({ online: false, lastSeenAt: null })] }))),
    ).toContain('offline/critical');
  });

  it('judge no health of an offline device (the offline alert covers it)', () => {
    const a = evaluateAlerts(
      input({ devices: [device({ online: false, lastSeenAt: T0 - H })] }, { cpuTempC: 90, display: 'off' }),
    );
    expect(kinds(a)).toEqual(['offline/critical']);
  });

  it('raise display off only in opening hours and not when ops turned it off', () => {
    expect(kinds(evaluateAlerts(input({}, { display: 'off' })))).toEqual([
      'display-off-in-opening-hours/critical',
    ]);
    const evening = T0 + 9 * H; // 19:00 local
    const late = input({ now: evening }, { display: 'off', at: evening - 1000 });
    late.devices = [device({ lastSeenAt: evening - 1000 })];
    expect(evaluateAlerts(late)).toEqual([]);
    expect(
      evaluateAlerts(input({ devices: [device({ displayOffByOps: true })] }, { display: 'off' })),
    ).toEqual([]);
    // No opening hours: always open.
    expect(
      kinds(evaluateAlerts(input({ devices: [device({ openingHours: undefined })] }, { display: 'off' }))),
    ).toEqual(['display-off-in-opening-hours/critical']);
  });

  it('grade disk low and temperature high by threshold', () => {
    expect(kinds(evaluateAlerts(input({}, { diskFreeBytes: 2e9 })))).toEqual(['disk-low/warning']);
    const crit = evaluateAlerts(input({}, { diskFreeBytes: 0.5e9 }));
    expect(kinds(crit)).toEqual(['disk-low/critical']);
    expect(crit[0]!.params).toEqual({ freePercent: 1.6 });
    expect(kinds(evaluateAlerts(input({}, { cpuTempC: 76 })))).toEqual(['temperature-high/warning']);
    expect(kinds(evaluateAlerts(input({}, { cpuTempC: 82.34 })))).toEqual(['temperature-high/critical']);
    expect(evaluateAlerts(input({}, { cpuTempC: 82.34 }))[0]!.params).toEqual({ celsius: 82.3 });
  });

  it('ignore a stale health sample', () => {
    expect(evaluateAlerts(input({}, { cpuTempC: 90, at: T0 - 10 * MIN }))).toEqual([]);
  });

  it('raise under-voltage: critical now, warning if only since boot', () => {
    expect(kinds(evaluateAlerts(input({}, { underVoltageNow: true })))).toEqual(['under-voltage/critical']);
    expect(kinds(evaluateAlerts(input({}, { underVoltageSinceBoot: true })))).toEqual([
      'under-voltage/warning',
    ]);
  });

  it('count playback errors within the window only', () => {
    const h = [
      sample({ at: T0 - 20 * MIN, playbackErrors: 10 }),
      sample({ at: T0 - 10 * MIN, playbackErrors: 2 }),
      sample({ at: T0 - 1 * MIN, playbackErrors: 2 }),
    ];
    const base = input();
    expect(evaluateAlerts({ ...base, recentHealth: new Map([['dev-1', h]]) })).toEqual([]);
    h.push(sample({ at: T0 - 30_000, playbackErrors: 1 }));
    const a = evaluateAlerts({ ...base, recentHealth: new Map([['dev-1', h]]) });
    expect(kinds(a)).toEqual(['playback-errors/warning']);
    expect(a[0]!.params).toEqual({ count: 5, minutes: 15 });
  });

  it('raise a lagging bundle only after N hours', () => {
    const lag = (publishedAt: number) =>
      evaluateAlerts(
        input({
          latestBundles: new Map([
            ['kien-giang/ha-tien', { siteGroup: 'kien-giang/ha-tien', version: '13', publishedAt }],
          ]),
        }),
        { bundleLagAfterMs: 6 * H },
      );
    expect(lag(T0 - 5 * H)).toEqual([]);
    const a = lag(T0 - 7 * H);
    expect(kinds(a)).toEqual(['bundle-lagging/warning']);
    expect(a[0]!.params).toEqual({ installed: '12', latest: '13', hours: 7 });
  });

  it('raise clock skew beyond the threshold either way', () => {
    expect(kinds(evaluateAlerts(input({}, { clockOffsetMs: -45_000 })))).toEqual(['clock-skew/warning']);
    expect(evaluateAlerts(input({}, { clockOffsetMs: 29_000 }))).toEqual([]);
  });

  it('raise one gate-wide alert for missing language variants', () => {
    const a = evaluateAlerts(
      input({
        devices: [device(), device({ deviceId: 'dev-2' })],
        contentGaps: new Map([
          [
            'kien-giang/ha-tien',
            [
              { itemId: 'visa', language: 'km', resolution: 'skipped' as const },
              { itemId: 'customs', language: 'km', resolution: 'substituted:en' as const },
              { itemId: 'customs', language: 'zh-Hans', resolution: 'skipped' as const },
            ],
          ],
        ]),
      }),
    );
    expect(a).toEqual([
      {
        key: 'missing-language-variants:kien-giang/ha-tien',
        kind: 'missing-language-variants',
        severity: 'warning',
        siteGroup: 'kien-giang/ha-tien',
        params: { languages: 'km, zh-Hans', items: 'customs, visa', count: 3 },
      },
    ]);
  });

  it('raise a missing trust root from the health field, or at once from the event before the next sample', () => {
    expect(kinds(evaluateAlerts(input({}, { trustRoot: 'missing' })))).toEqual([
      'trust-root-missing/critical',
    ]);
    expect(evaluateAlerts(input({}, { trustRoot: 'present' }))).toEqual([]);
    // The event came after the last sample: raised now, not at the next sample.
    const event = { at: T0 - 2_000, kind: 'trust-root-missing' };
    expect(kinds(evaluateAlerts(input({ faultEvents: new Map([['dev-1', [event]]]) })))).toEqual([
      'trust-root-missing/critical',
    ]);
    // A sample after the event that says the root is present again (re-enrolled): resolved.
    expect(
      evaluateAlerts(
        input(
          { faultEvents: new Map([['dev-1', [{ ...event, at: T0 - 20_000 }]]]) },
          { trustRoot: 'present' },
        ),
      ),
    ).toEqual([]);
    // It cannot come back by itself: an older sample of a screen now offline still holds it.
    const offline = evaluateAlerts(
      input(
        { devices: [device({ online: false, lastSeenAt: T0 - H })] },
        { at: T0 - H, trustRoot: 'missing' },
      ),
    );
    expect(kinds(offline)).toEqual(['offline/critical', 'trust-root-missing/critical']);
  });

  it('raise a disk fault from the health field, or at once from the disk-full event', () => {
    const full = { code: 'DISK_FULL' as const, message: 'ENOSPC while writing a.webm' };
    const a = evaluateAlerts(input({}, { diskFault: full }));
    expect(kinds(a)).toEqual(['disk-fault/critical']);
    expect(a[0]!.params).toEqual({ code: 'DISK_FULL', message: 'ENOSPC while writing a.webm' });
    expect(kinds(evaluateAlerts(input({}, { diskFault: { ...full, code: 'DISK_SPACE_LOW' } })))).toEqual([
      'disk-fault/warning',
    ]);
    const event = { at: T0 - 2_000, kind: 'disk-full', code: 'DISK_FULL', message: 'ENOSPC' };
    expect(kinds(evaluateAlerts(input({ faultEvents: new Map([['dev-1', [event]]]) })))).toEqual([
      'disk-fault/critical',
    ]);
    // A sample taken after the event without the fault (an update succeeded): resolved.
    expect(
      evaluateAlerts(input({ faultEvents: new Map([['dev-1', [{ ...event, at: T0 - 20_000 }]]]) })),
    ).toEqual([]);
  });

  it('raise an unusable content file naming the files, within the window only', () => {
    const ev = (at: number, targetPath: string) => ({ at, kind: 'content-file-unusable', targetPath });
    const a = evaluateAlerts(
      input({
        faultEvents: new Map([
          [
            'dev-1',
            [
              ev(T0 - 50 * MIN, 'media/visa.webm'),
              ev(T0 - 5 * MIN, 'media/ab.png'),
              ev(T0 - 4 * MIN, 'media/ab.png'),
            ],
          ],
        ]),
      }),
      { fileUnusableWindowMs: 60 * MIN },
    );
    expect(kinds(a)).toEqual(['content-file-unusable/warning']);
    expect(a[0]!.params).toEqual({ files: 'media/ab.png, media/visa.webm', count: 2 });
    expect(
      evaluateAlerts(input({ faultEvents: new Map([['dev-1', [ev(T0 - 2 * H, 'media/visa.webm')]]]) }), {
        fileUnusableWindowMs: 60 * MIN,
      }),
    ).toEqual([]);
  });

  it('raise a screen running on an unverified clock', () => {
    expect(kinds(evaluateAlerts(input({}, { clockSource: 'unverified' })))).toEqual([
      'clock-unverified/warning',
    ]);
    expect(evaluateAlerts(input({}, { clockSource: 'last-known-good' }))).toEqual([]);
  });
});

describe('alert lifecycle', () => {
  const hot = (severity: 'warning' | 'critical', celsius: number): RaisedAlert => ({
    key: 'temperature-high:dev-1',
    kind: 'temperature-high',
    severity,
    siteGroup: 'g',
    deviceId: 'dev-1',
    params: { celsius },
  });

  it('raises, keeps, and resolves', () => {
    const s1 = reduceAlerts([], [hot('warning', 76)], T0);
    expect(s1.events.map((e) => e.type)).toEqual(['raised']);
    expect(s1.active[0]).toMatchObject({ raisedAt: T0, lastHeldAt: T0, resolvedAt: null });
    const s2 = reduceAlerts(s1.active, [hot('warning', 77)], T0 + MIN);
    expect(s2.events).toEqual([]);
    expect(s2.active[0]).toMatchObject({ raisedAt: T0, lastHeldAt: T0 + MIN, params: { celsius: 77 } });
    const s3 = reduceAlerts(s2.active, [], T0 + 2 * MIN);
    expect(s3.active).toEqual([]);
    expect(s3.events).toHaveLength(1);
    expect(s3.events[0]).toMatchObject({
      type: 'resolved',
      alert: { resolvedAt: T0 + 2 * MIN, raisedAt: T0 },
    });
    // Raised again later: a new alert with a new raisedAt.
    const s4 = reduceAlerts(s3.active, [hot('warning', 76)], T0 + 3 * MIN);
    expect(s4.active[0]!.raisedAt).toBe(T0 + 3 * MIN);
  });

  it('keeps an acknowledgement until the alert escalates', () => {
    const s1 = reduceAlerts([], [hot('warning', 76)], T0);
    const ack = acknowledgeAlert(s1.active, 'temperature-high:dev-1', 'op-lan', T0 + 10_000);
    expect(ack.events).toEqual([
      {
        type: 'acknowledged',
        alert: expect.objectContaining({ acknowledgedBy: 'op-lan', acknowledgedAt: T0 + 10_000 }),
      },
    ]);
    const again = acknowledgeAlert(ack.active, 'temperature-high:dev-1', 'op-minh', T0 + 20_000);
    expect(again.events).toEqual([]);
    expect(again.active[0]!.acknowledgedBy).toBe('op-lan');
    const s2 = reduceAlerts(ack.active, [hot('warning', 77)], T0 + MIN);
    expect(s2.active[0]!.acknowledgedBy).toBe('op-lan');
    const s3 = reduceAlerts(s2.active, [hot('critical', 85)], T0 + 2 * MIN);
    expect(s3.events).toEqual([
      { type: 'escalated', from: 'warning', alert: expect.objectContaining({ severity: 'critical' }) },
    ]);
    expect(s3.active[0]).toMatchObject({ acknowledgedBy: null, acknowledgedAt: null, raisedAt: T0 });
  });

  it('refuses to acknowledge an unknown alert and changes nothing', () => {
    const s1 = reduceAlerts([], [hot('warning', 76)], T0);
    const before = structuredClone(s1.active);
    let err: unknown;
    try {
      acknowledgeAlert(s1.active, 'offline:dev-9', 'op', T0);
    } catch (e) {
      err = e;
    }
    expect(isAlertNotFoundError(err)).toBe(true);
    expect((err as { code: string }).code).toBe('ALERT_NOT_FOUND');
    expect(s1.active).toEqual(before);
  });
});

describe('alert messages', () => {
  it('fill every placeholder of each alert kind in both languages', () => {
    const raised = [
      ...evaluateAlerts(input({ devices: [device({ online: false, lastSeenAt: T0 - H })] })),
      ...evaluateAlerts(
        input(
          {
            latestBundles: new Map([
              [
                'kien-giang/ha-tien',
                { siteGroup: 'kien-giang/ha-tien', version: '13', publishedAt: T0 - 9 * H },
              ],
            ]),
            contentGaps: new Map([
              ['kien-giang/ha-tien', [{ itemId: 'visa', language: 'km', resolution: 'skipped' as const }]],
            ]),
            recentHealth: new Map([['dev-1', [sample({ playbackErrors: 9 })]]]),
            faultEvents: new Map([
              ['dev-1', [{ at: T0 - MIN, kind: 'content-file-unusable', targetPath: 'media/visa.webm' }]],
            ]),
          },
          {
            display: 'off',
            diskFreeBytes: 1e9,
            cpuTempC: 81,
            underVoltageNow: true,
            clockOffsetMs: 90_000,
            trustRoot: 'missing',
            diskFault: { code: 'DISK_FULL', message: 'ENOSPC' },
            clockSource: 'unverified',
          },
        ),
      ),
    ];
    expect(new Set(raised.map((a) => a.kind)).size).toBe(13);
    for (const a of raised)
      for (const lang of ['vi', 'en'] as const)
        expect(alertText(a, lang), `${a.kind} ${lang}`).not.toMatch(/\{\w+\}/);
    expect(
      alertText(
        raised.find((a) => a.kind === 'disk-low')!,
        'vi',
      ),
    ).toBe('Sắp hết dung lượng: còn 3,1%');
    expect(
      alertText(
        raised.find((a) => a.kind === 'disk-low')!,
        'en',
      ),
    ).toBe('Disk low: 3.1% free');
  });
});
