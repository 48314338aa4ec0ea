import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Daemon } from '../../device/daemon.js';
import { configPathFrom, displayFrom, parseDaemonArgs } from '../../device/main.js';
import type { PlayEvent, StartEvent } from '../../device/playback/player-loop.js';
import { ChromiumSupervisor } from '../../player/browser/chromium-supervisor.js';
import type { PageReport } from '../../player/slide.js';
import { systemClock } from '../../protocol/clock.js';
import { parseDeviceConfig } from '../../protocol/config.js';
import { memoryLogger } from '../../platform/log.js';
import { chromiumPath } from '../helpers/chromium.js';
import { MutableContentSource } from '../helpers/dir-content.js';
import { playerBundle, SITE } from '../helpers/player-bundle.js';
import { decodePng, distinctColours } from '../helpers/png.js';
import { tempDir } from '../helpers/temp.js';

function config(dataDir: string) {
  return parseDeviceConfig({
    deviceId: 'ht-screen-07',
    gate: { siteGroup: SITE, name: 'Cửa khẩu Quốc tế Hà Tiên', languages: ['vi', 'km', 'en', 'zh-Hans'] },
    dataDir,
    // Nothing listens there: the daemon must not care.
    server: { url: 'https://127.0.0.1:9/' },
  });
}

describe('daemon', () => {
  let dir: ReturnType<typeof tempDir> | undefined;
  let daemon: Daemon | undefined;
  afterEach(async () => {
    await daemon?.stop();
    dir?.cleanup();
    daemon = undefined;
  });

  function build(content: MutableContentSource) {
    dir ??= tempDir('gatecast-daemon-');
    const cfg = config(dir.path);
    const reports: PageReport[] = [];
    const log = memoryLogger('daemon');
    const surfaces: ChromiumSupervisor[] = [];
    daemon = new Daemon({
      config: cfg,
      content,
      clock: systemClock,
      log,
      createSurface: (server) => {
        const s = new ChromiumSupervisor({
          executablePath: chromiumPath(),
          pageUrl: server.pageUrl,
          display: 'none',
          headless: true,
          userDataDir: join(dir!.path, 'chromium'),
          isRoot: process.getuid?.() === 0,
          width: 640,
          height: 360,
          pageStallMs: cfg.player.pageStallMs,
          browserMemoryLimitBytes: cfg.player.browserMemoryLimitBytes,
          log: log.child('browser'),
        });
        s.onReport((r) => reports.push(r));
        surfaces.push(s);
        return s;
      },
    });
    return { daemon, reports, surfaces };
  }

  it('plays installed content from the first second, with the server unreachable', async () => {
    dir = tempDir('gatecast-daemon-');
    const { daemon: d, surfaces } = build(new MutableContentSource(playerBundle(dir.path)));
    const first = new Promise<StartEvent>((resolve) => d.onStarted(resolve));
    const recorded: PlayEvent[] = [];
    d.onPlayed((p) => recorded.push(p));
    await d.start();
    const e = await first;
    expect(e.siteGroup).toBe(SITE);
    expect(['red', 'clip', 'pkg', 'welcome']).toContain(e.item.itemId);
    expect(d.status()).toMatchObject({
      planner: 'default-playlist',
      lastPlayed: { itemId: e.item.itemId, actualStart: e.actualStart },
    });
    const shot = decodePng(await d.screenshot());
    expect(distinctColours(shot, 0, 0, shot.width, shot.height)).toBeGreaterThan(2);

    // Stopping is clean: Chromium is gone and the page server no longer listens.
    const pid = surfaces[0]!.pid!;
    const origin = d.status().pageOrigin;
    await d.stop();
    daemon = undefined;
    // The first item is recorded once it left the air (at the latest when the daemon stopped).
    expect(recorded[0]).toMatchObject({ slideId: e.slideId, actualStart: e.actualStart });
    expect(recorded[0]!.durationMs).toBeGreaterThan(0);
    expect(() => process.kill(pid, 0)).toThrow();
    await expect(fetch(`${origin}/`)).rejects.toThrow();
  });

  it('shows the waiting card with the gate name and device id when nothing is installed', async () => {
    const { daemon: d, reports } = build(new MutableContentSource(undefined));
    await d.start();
    const deadline = Date.now() + 15_000;
    while (!reports.some((r) => r.type === 'started' && r.slideId.startsWith('waiting@'))) {
      if (Date.now() > deadline) throw new Error('card never shown');
      await new Promise((r) => setTimeout(r, 50));
    }
    const shot = decodePng(await d.screenshot());
    expect(distinctColours(shot, 0, 0, shot.width, shot.height)).toBeGreaterThan(2);
  });

  it('reads the config path and the display kind from argv and the environment', () => {
    expect(configPathFrom(['--config', '/x.json'])).toBe('/x.json');
    expect(configPathFrom(['--config=/y.json'])).toBe('/y.json');
    expect(configPathFrom(['/z.json'])).toBe('/z.json');
    expect(configPathFrom([])).toBe('/etc/gatecast/device.json');
    expect(parseDaemonArgs(['--allow-insecure', '--config', '/x.json'])).toEqual({
      configPath: '/x.json',
      allowInsecure: true,
    });
    expect(parseDaemonArgs([])).toEqual({ configPath: '/etc/gatecast/device.json', allowInsecure: false });
    expect(displayFrom({ WAYLAND_DISPLAY: 'wayland-0', DISPLAY: ':0' })).toBe('wayland');
    expect(displayFrom({ DISPLAY: ':0' })).toBe('x11');
    expect(displayFrom({})).toBe('none');
  });
});
