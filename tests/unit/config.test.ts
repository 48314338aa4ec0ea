import { describe, expect, it } from 'vitest';
import { parseDeviceConfig } from '../../protocol/config.js';
import { ConfigError } from '../../protocol/errors.js';

const gate = { siteGroup: 'kien-giang/ha-tien', name: 'Hà Tiên', languages: ['vi', 'km', 'en', 'zh-Hans'] };

describe('device config', () => {
  it('fills defaults beside their fields and freezes the result', () => {
    const c = parseDeviceConfig({ gate });
    expect(c.gate.timezone).toBe('Asia/Ho_Chi_Minh');
    expect(c.health.intervalMs).toBe(30_000);
    expect(c.player.headless).toBe('auto');
    expect(Object.isFrozen(c.gate)).toBe(true);
  });

  it('collects every problem into one ConfigError', () => {
    let err: unknown;
    try {
      parseDeviceConfig({
        gate: { ...gate, timezone: 'Mars/Olympus', languages: ['vi', 'vi'] },
        health: { intervalMs: 5 },
        bogus: 1,
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const text = (err as ConfigError).message;
    expect(text).toContain('gate.timezone: not a known IANA time zone');
    expect(text).toContain('gate.languages: languages must not repeat');
    expect(text).toContain('health.intervalMs');
    expect(text).toContain('bogus');
    expect((err as ConfigError).code).toBe('CONFIG_INVALID');
  });
});
