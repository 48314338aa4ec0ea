import { describe, expect, it } from 'vitest';
import { parseDeviceConfig } from '../../protocol/config.js';
import { ConfigError, isConfigError } from '../../protocol/errors.js';
import { FRAME_MAX_BYTES, PRE_AUTH_FRAME_MAX_BYTES } from '../../protocol/messages.js';
import { parseServerConfig } from '../../sync-server/config/config.js';

const gate = { siteGroup: 'kien-giang/ha-tien', name: 'Hà Tiên', languages: ['vi', 'km', 'en', 'zh-Hans'] };

describe('device config', () => {
  it('fills defaults beside their fields and freezes the result', () => {
    const c = parseDeviceConfig({ gate });
    expect(c.gate.timezone).toBe('Asia/Ho_Chi_Minh');
    expect(c.health.intervalMs).toBe(30_000);
    expect(c.player.headless).toBe('auto');
    expect(c.player.protocolTimeoutMs).toBe(15_000);
    expect(Object.isFrozen(c.gate)).toBe(true);
  });

  it('collects every problem into one ConfigError', () => {
    let err: unknown;
    try {
      parseDeviceConfig({
        gate: { ...gate, timezone: 'Mars/Olympus', languages: ['vi', 'vi'] },
        health: { intervalMs: 5 },
        player: { protocolTimeoutMs: 10 },
        bogus: 1,
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const text = (err as ConfigError).message;
    expect(text).toContain('gate.timezone: "Mars/Olympus" is not a time zone of the IANA database');
    expect(text).toContain('gate.languages: languages must not repeat');
    expect(text).toContain('health.intervalMs');
    expect(text).toContain('player.protocolTimeoutMs');
    expect(text).toContain('bogus');
    expect((err as ConfigError).code).toBe('CONFIG_INVALID');
  });
});

describe('device config: gpio and display', () => {
  it('leaves GPIO off and display power on auto by default', () => {
    const c = parseDeviceConfig({ gate });
    expect(c.gpio.enabled).toBe(false);
    expect(c.gpio.statusLedPin).toBeUndefined();
    expect(c.gpio.longPressMs).toBe(3000);
    expect(c.display.powerAdapter).toBe('auto');
  });

  it('rejects a pin used twice and a pin off the header', () => {
    expect(() =>
      parseDeviceConfig({ gate, gpio: { enabled: true, statusLedPin: 17, buttonPin: 17, relayPin: 40 } }),
    ).toThrow(/gpio\.relayPin: Too big[\s\S]*gpio\.buttonPin: GPIO17 is already statusLedPin/);
  });
});

describe('device config: update budgets', () => {
  it('gives every refresh a time budget and a throughput floor by default', () => {
    const u = parseDeviceConfig({ gate }).update;
    expect(u).toMatchObject({
      metadataBudgetMs: 60_000,
      targetBudgetMs: 20 * 60_000,
      refreshBudgetMs: 30 * 60_000,
      minBytesPerSecond: 1024,
      throughputWindowMs: 30_000,
    });
  });

  it('rejects a missing floor, a zero budget and per-file budgets larger than the refresh budget', () => {
    let err: unknown;
    try {
      parseDeviceConfig({
        gate,
        update: {
          minBytesPerSecond: 0,
          metadataBudgetMs: 0,
          targetBudgetMs: 3_600_000,
          refreshBudgetMs: 600_000,
        },
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('CONFIG_INVALID');
    const text = (err as ConfigError).message;
    expect(text).toContain('update.minBytesPerSecond');
    expect(text).toContain('update.metadataBudgetMs');
    expect(text).toContain('update.targetBudgetMs: must not exceed refreshBudgetMs (600000)');
  });

  it('rejects a throughput window longer than the metadata budget', () => {
    expect(() =>
      parseDeviceConfig({ gate, update: { metadataBudgetMs: 10_000, throughputWindowMs: 20_000 } }),
    ).toThrow(/update\.throughputWindowMs: must not exceed metadataBudgetMs \(10000\)/);
  });
});

describe('server config: device socket limits', () => {
  const base = { dataDir: '/var/lib/gatecast', opsToken: 'x'.repeat(24), trustedRootFile: '/etc/root.json' };

  it('defaults to a small frame limit before authentication and caps on unauthenticated connections', () => {
    const c = parseServerConfig(base);
    expect(c.ws).toMatchObject({
      preAuthFrameMaxBytes: PRE_AUTH_FRAME_MAX_BYTES,
      frameMaxBytes: FRAME_MAX_BYTES,
      maxUnauthenticatedPerAddress: 64,
      maxUnauthenticated: 2048,
    });
  });

  it('refuses limits that contradict each other or cannot carry a batch', () => {
    let err: unknown;
    try {
      parseServerConfig({
        ...base,
        ws: {
          preAuthFrameMaxBytes: 1024 * 1024,
          frameMaxBytes: 300 * 1024,
          maxUnauthenticatedPerAddress: 10,
          maxUnauthenticated: 5,
        },
      });
    } catch (e) {
      err = e;
    }
    expect(isConfigError(err)).toBe(true);
    expect((err as ConfigError).problems.map((p) => p.path).sort()).toEqual([
      'ws.maxUnauthenticatedPerAddress',
      'ws.preAuthFrameMaxBytes',
    ]);
    expect(() => parseServerConfig({ ...base, ws: { frameMaxBytes: 1024 } })).toThrow(/ws\.frameMaxBytes/);
  });
});

describe('device config: the screen', () => {
  it('defaults to 1920×1080 landscape and takes 4K and portrait', () => {
    expect(parseDeviceConfig({ gate }).screen).toEqual({
      width: 1920,
      height: 1080,
      orientation: 'landscape',
    });
    expect(parseDeviceConfig({ gate, screen: { width: 3840, height: 2160 } }).screen).toEqual({
      width: 3840,
      height: 2160,
      orientation: 'landscape',
    });
    expect(
      parseDeviceConfig({ gate, screen: { width: 1080, height: 1920, orientation: 'portrait' } }).screen,
    ).toEqual({ width: 1080, height: 1920, orientation: 'portrait' });
  });

  it('refuses an unsupported size and an orientation that contradicts the size, by name', () => {
    const problems = (screen: unknown) => {
      try {
        parseDeviceConfig({ gate, screen });
      } catch (e) {
        expect(isConfigError(e)).toBe(true);
        return (e as ConfigError).message;
      }
      throw new Error('accepted');
    };
    expect(problems({ width: 1000, height: 700 })).toContain('screen.width: unsupported screen 1000×700');
    expect(problems({ width: 1920, height: 1080, orientation: 'portrait' })).toContain(
      'screen.orientation: orientation "portrait" does not match 1920×1080 (landscape)',
    );
    expect(problems({ width: '1920', height: 1080 })).toContain('screen.width');
    expect(problems({ width: 1920, height: 1080, dpi: 96 })).toContain('dpi');
  });
});
