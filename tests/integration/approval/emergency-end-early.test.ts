/**
 * Ending an emergency early (docs/drafts.md §7) from the dashboard API to real screens: a real server
 * and TUF repository, a device enrolled and playing the sample bundle in headless Chromium. Two
 * approvers sign an emergency (its bundle carries the end commitment); an operator ends it early and
 * the screen goes back to the signed content underneath within seconds, without a new draft. A wrong
 * secret changes nothing and is refused by name; a screen offline during the end learns it when it
 * connects; an emergency ended early never comes back, after a restart or in a later emergency draft.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type DeviceHandle, loadConfig, startDevice } from '../../../device/main.js';
import { memoryLogger } from '../../../platform/log.js';
import { systemClock } from '../../../protocol/clock.js';
import { endCommitmentOf } from '../../../protocol/emergency-end.js';
import { queueEmergencyEnd } from '../../../sync-server/fleet/commands.js';
import { PASSWORD } from '../../helpers/dashboard.js';
import { startDemoServer } from '../../helpers/demo-server.js';
import { startScreen } from '../../helpers/screen.js';
import { startServer, until } from '../../helpers/sync.js';
import { tempDir } from '../../helpers/temp.js';

const SG = 'kien-giang/ha-tien';
const TEXT = {
  vi: { title: 'Tạm dừng thông quan', body: 'Tạm dừng thông quan do sự cố hệ thống' },
  km: { body: 'ការឆ្លងកាត់ត្រូវបានផ្អាក' },
  en: { body: 'Border crossing suspended' },
  'zh-Hans': { body: '暂停通关' },
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- API answers read field by field
type Api = (method: string, path: string, body?: unknown) => Promise<{ status: number; body: any }>;

describe('ending an emergency early', () => {
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

  async function setUp() {
    dir = tempDir();
    const started = await startDemoServer(dir.path, {
      users: [
        { username: 'admin', role: 'admin' },
        { username: 'op', role: 'operator' },
        { username: 'ap1', role: 'approver' },
        { username: 'ap2', role: 'approver' },
        { username: 'viewer', role: 'viewer' },
      ],
    });
    server = started.server;
    const base = server.server.url;
    const session = async (username: string): Promise<Api> => {
      const res = await fetch(`${base}/api/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password: PASSWORD }),
      });
      const { csrfToken } = (await res.json()) as { csrfToken: string };
      const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
      return async (method, path, body) => {
        const r = await fetch(`${base}${path}`, {
          method,
          headers: { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
        return { status: r.status, body: r.status === 204 ? null : await r.json() };
      };
    };
    const op = await session('op');
    const ap1 = await session('ap1');
    const ap2 = await session('ap2');
    const [k1, k2] = started.demo.keys.approvers as [
      (typeof started.demo.keys.approvers)[0],
      (typeof started.demo.keys.approvers)[0],
    ];
    /** An emergency through the whole two-signature flow; its id and the version it went out in. */
    const publishEmergency = async (): Promise<{ id: string; version: number }> => {
      const created = await op('POST', '/api/content/emergencies', {
        siteGroup: SG,
        text: TEXT,
        durationMinutes: 60,
        perLanguageMs: 1000,
      });
      expect(created.status).toBe(201);
      const draftId = created.body.draft.id as string;
      const canonical = Buffer.from(
        (await ap1('GET', `/api/content/drafts/${draftId}`)).body.canonical,
        'base64',
      );
      await ap1('POST', `/api/content/drafts/${draftId}/signatures`, { sig: k1.signer(canonical).sig });
      const out = await ap2('POST', `/api/content/drafts/${draftId}/signatures`, {
        sig: k2.signer(canonical).sig,
      });
      expect(out.body.published?.siteGroup).toBe(SG);
      return { id: created.body.emergency.id as string, version: out.body.published.version as number };
    };
    const screenDir = join(dir.path, 'device');
    const screen = await startScreen(server, screenDir, { siteGroup: SG });
    device = screen.device;
    const d = device;
    await until(() => d.content.current()?.version === 1, 30_000, 'first bundle');
    await until(() => d.daemon.status().played > 0, 30_000, 'first slide');
    const restart = async (): Promise<DeviceHandle> => {
      await device?.stop();
      device = await startDevice(loadConfig(join(screenDir, 'device.json')), {
        log: memoryLogger('device'),
        env: {},
      });
      return device;
    };
    return { op, ap1, ap2, session, publishEmergency, deviceId: screen.deviceId, restart, base };
  }

  const onAir = (d: DeviceHandle) => d.daemon.status().lastPlayed?.itemId;

  it('takes it off the screen within seconds, back to the signed content, and records who did', async () => {
    const { op, session, publishEmergency } = await setUp();
    const d = device!;
    const em = await publishEmergency();
    await until(() => d.content.current()?.version === em.version, 20_000, 'emergency bundle installed');
    await until(() => onAir(d) === em.id, 20_000, 'emergency on screen');
    // The signed bundle carries only the commitment, never the secret.
    const signed = d.content.current()!.manifest.emergencies.find((e) => e.id === em.id)!;
    expect(signed.endCommitment).toMatch(/^[0-9a-f]{64}$/);

    // A viewer may not end it; nothing is sent.
    const viewer = await session('viewer');
    expect(
      (await viewer('POST', '/api/content/emergencies/end-early', { siteGroup: SG, id: em.id })).status,
    ).toBe(403);

    const asked = Date.now();
    const ended = await op('POST', '/api/content/emergencies/end-early', { siteGroup: SG, id: em.id });
    expect(ended.status).toBe(200);
    expect(ended.body).toMatchObject({ siteGroup: SG, emergencyId: em.id, endedBy: 'op' });
    expect(ended.body.screens).toHaveLength(1);

    // The screen leaves the emergency for the schedule's own item, with no new version installed.
    await until(
      () => onAir(d) !== undefined && onAir(d) !== em.id && d.daemon.status().lastPlayed!.actualStart > asked,
      10_000,
      'signed content back on screen',
    );
    expect(Date.now() - asked).toBeLessThan(10_000);
    expect(d.content.current()!.version).toBe(em.version);
    expect(d.content.current()!.manifest.emergencies.map((e) => e.id)).not.toContain(em.id);

    // The screen's answer: confirmed, having checked the secret against its signed commitment.
    let status: {
      body: { confirmed: number; waiting: number; screens: { state: string; message: string }[] };
    };
    await until(
      async () => {
        status = await op('GET', `/api/content/emergencies/end-status?siteGroup=${SG}&id=${em.id}`);
        return status.body.confirmed === 1;
      },
      10_000,
      'screen confirmed',
    );
    expect(status!.body.waiting).toBe(0);
    expect(status!.body.screens[0]!.message).toMatch(/taken off air/);
    // The revealed secret opens exactly the commitment the approvers signed.
    const cmd = await op('GET', `/api/dashboard/commands/${ended.body.screens[0].commandId}`);
    expect(endCommitmentOf(cmd.body.args.secret)).toBe(signed.endCommitment);

    // The emergency list says it was ended early and by whom; a second end is refused by name.
    const list = await op('GET', `/api/content/emergencies?siteGroup=${SG}`);
    expect(
      list.body.emergencies.find((x: { emergency: { id: string } }) => x.emergency.id === em.id),
    ).toMatchObject({
      endable: true,
      endedEarly: { by: 'op' },
    });
    const again = await op('POST', '/api/content/emergencies/end-early', { siteGroup: SG, id: em.id });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('EMERGENCY_ALREADY_ENDED');

    const admin = await session('admin');
    const audit = await admin('GET', '/api/audit?action=emergency.end-early');
    const entries = (
      audit.body.entries as { action: string; actor: string; outcome: string; target: string }[]
    ).filter((e) => e.action === 'emergency.end-early');
    expect(entries.map((e) => [e.actor, e.outcome, e.target])).toEqual(
      expect.arrayContaining([
        ['op', 'ok', `${SG}/${em.id}`],
        ['op', 'failed', `${SG}/${em.id}`],
      ]),
    );
  }, 90_000);

  it('refuses a wrong secret by name and changes nothing', async () => {
    const { op, publishEmergency, deviceId } = await setUp();
    const d = device!;
    const em = await publishEmergency();
    await until(() => onAir(d) === em.id, 30_000, 'emergency on screen');
    // The generic command route may not send an end at all (only the end service does)…
    const viaRoute = await op('POST', `/api/dashboard/devices/${deviceId}/commands`, {
      name: 'end-emergency',
      args: { emergencyId: em.id, secret: 'ab'.repeat(32) },
    });
    expect([viaRoute.status, viaRoute.body.error.code]).toEqual([403, 'COMMAND_RESERVED']);
    // …and an end with a wrong secret that reaches the screen anyway is refused there.
    const s = server!.server;
    const forged = queueEmergencyEnd(
      { registry: s.registry, clock: systemClock },
      { deviceId, emergencyId: em.id, secret: 'ab'.repeat(32), ttlMs: 60_000 },
    );
    s.hub.deliverCommands(deviceId);
    let result: { body: { state: string; message: string } } | undefined;
    await until(
      async () => {
        result = await op('GET', `/api/dashboard/commands/${forged.id}`);
        return result.body.state === 'failed';
      },
      10_000,
      'forged end refused',
    );
    expect(result!.body.message).toMatch(/^EMERGENCY_END_SECRET_MISMATCH: /);
    expect(d.content.current()!.manifest.emergencies.map((e) => e.id)).toContain(em.id);
    const playedAfter = d.daemon.status().played;
    await until(() => d.daemon.status().played > playedAfter + 1, 10_000, 'two more slides');
    expect(onAir(d)).toBe(em.id);
    // The server did not record an end.
    const list = await op('GET', `/api/content/emergencies?siteGroup=${SG}`);
    expect(list.body.emergencies[0].endedEarly).toBeUndefined();
  }, 90_000);

  it('reaches a screen offline during the end when it connects, and never comes back', async () => {
    const { op, publishEmergency, restart } = await setUp();
    let d = device!;
    const em = await publishEmergency();
    await until(() => onAir(d) === em.id, 30_000, 'emergency on screen');
    await d.stop();
    device = undefined;

    const ended = await op('POST', '/api/content/emergencies/end-early', { siteGroup: SG, id: em.id });
    expect(ended.status).toBe(200);
    expect(ended.body.screens.map((s: { state: string; online: boolean }) => [s.state, s.online])).toEqual([
      ['waiting', false],
    ]);

    d = await restart();
    await until(
      async () =>
        (await op('GET', `/api/content/emergencies/end-status?siteGroup=${SG}&id=${em.id}`)).body
          .confirmed === 1,
      30_000,
      'reconnected screen confirmed',
    );
    await until(() => onAir(d) !== undefined && onAir(d) !== em.id, 20_000, 'signed content on screen');

    // After a restart the installed bundle still carries it; the screen never shows it again.
    d = await restart();
    const shown: string[] = [];
    d.daemon.onStarted((e) => shown.push(e.item.itemId));
    expect(d.content.current()!.manifest.emergencies.map((e) => e.id)).not.toContain(em.id);
    await until(() => shown.length >= 3, 30_000, 'three slides after the restart');
    expect(shown).not.toContain(em.id);

    // A later emergency draft is made without it: the server never brings it back either.
    const next = await op('POST', '/api/content/emergencies', {
      siteGroup: SG,
      text: TEXT,
      durationMinutes: 30,
    });
    expect(next.status).toBe(201);
    const manifest = JSON.parse(
      Buffer.from(
        (await op('GET', `/api/content/drafts/${next.body.draft.id}`)).body.manifest,
        'base64',
      ).toString(),
    ) as { emergencies: { id: string }[] };
    expect(manifest.emergencies.map((e) => e.id)).toEqual([next.body.emergency.id]);
  }, 240_000);
});
