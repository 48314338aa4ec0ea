/**
 * An emergency message from the dashboard API to a real screen: a real server and TUF repository,
 * a device enrolled and playing the sample bundle in headless Chromium; an operator sends the
 * message, two approvers sign, the draft publishes at the threshold, and the device installs the
 * new version and plays the emergency.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DeviceHandle } from '../../../device/main.js';
import { PASSWORD } from '../../helpers/dashboard.js';
import { startServer, until } from '../../helpers/sync.js';
import { startScreen } from '../../helpers/screen.js';
import { tempDir } from '../../helpers/temp.js';
import { startDemoServer } from '../../helpers/demo-server.js';

const SG = 'kien-giang/ha-tien';

describe('emergency message to a screen', () => {
  let dir: ReturnType<typeof tempDir>;
  let device: DeviceHandle | undefined;
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  afterEach(async () => {
    await device?.stop();
    await server?.server.stop();
    device = undefined;
    server = undefined;
    dir.cleanup();
  });

  it('is approved by two people, published at the threshold, and taken over by the device', async () => {
    dir = tempDir();
    const started = await startDemoServer(dir.path, {
      users: [
        { username: 'admin', role: 'admin' },
        { username: 'op', role: 'operator' },
        { username: 'ap1', role: 'approver' },
        { username: 'ap2', role: 'approver' },
      ],
    });
    const demo = started.demo;
    server = started.server;
    const base = server.server.url;
    const screen = await startScreen(server, join(dir.path, 'device'), { siteGroup: SG });
    device = screen.device;
    const d = device;
    await until(() => d.content.current()?.version === 1, 30_000, 'first bundle');
    await until(() => d.daemon.status().played > 0, 30_000, 'first slide');

    const session = async (username: string) => {
      const res = await fetch(`${base}/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password: PASSWORD }),
      });
      const { csrfToken } = (await res.json()) as { csrfToken: string };
      const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
      return async (method: string, path: string, body?: unknown) => {
        const r = await fetch(`${base}${path}`, {
          method,
          headers: { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
        // eslint-disable-next-line @typescript-eslint/no-explicit-any -- read field by field
        return { status: r.status, body: (await r.json()) as any };
      };
    };
    const op = await session('op');
    const ap1 = await session('ap1');
    const ap2 = await session('ap2');
    const created = await op('POST', '/api/content/emergencies', {
      siteGroup: SG,
      text: {
        vi: { title: 'Tạm đóng cửa khẩu', body: 'Cửa khẩu tạm đóng do mưa bão' },
        km: { body: 'ច្រកទ្វារបិទជាបណ្ដោះអាសន្ន' },
        en: { body: 'The gate is closed because of the storm' },
        'zh-Hans': { body: '口岸因暴风雨暂时关闭' },
      },
      durationMinutes: 30,
      perLanguageMs: 2000,
    });
    expect(created.status).toBe(201);
    const id = created.body.draft.id as string;
    const review = (await ap1('GET', `/api/content/drafts/${id}`)).body;
    const canonical = Buffer.from(review.canonical, 'base64');
    const [k1, k2] = demo.keys.approvers as [
      (typeof demo.keys.approvers)[0],
      (typeof demo.keys.approvers)[0],
    ];
    expect(
      (await ap1('POST', `/api/content/drafts/${id}/signatures`, { sig: k1.signer(canonical).sig })).status,
    ).toBe(200);
    const out = await ap2('POST', `/api/content/drafts/${id}/signatures`, { sig: k2.signer(canonical).sig });
    expect(out.body.published).toMatchObject({ siteGroup: SG, version: 2 });

    // The server tells the device; it installs version 2 and the emergency takes over the screen.
    await until(() => d.content.current()?.version === 2, 20_000, 'emergency bundle installed');
    await until(
      () => d.daemon.status().lastPlayed?.itemId === created.body.emergency.id,
      20_000,
      'emergency on screen',
    );
  }, 60_000);
});
