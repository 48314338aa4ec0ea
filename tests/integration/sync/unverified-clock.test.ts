/**
 * Proof of play recorded on an unverified clock (the device's system clock ran far ahead of its
 * last-known-good time with nothing to back it) is flagged when it is stored, not re-dated: the
 * record is signed over its times, and the server's receipt time says nothing of when an item
 * played (records wait in the outbox while the link is down). The screen page says so.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { apiLogin, startServerWithUsers } from '../../helpers/dashboard.js';
import { enrolTestDevice, healthAt } from '../../helpers/sync.js';
import { tempFolder } from '../../helpers/temp.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups.length = 0;
});

const popPayload = (seq: number, at: number, clockStatus: string) => ({
  v: 1,
  seq,
  at,
  itemId: `item-${seq}`,
  hash: String(seq).padStart(64, '0'),
  prevHash: String(seq - 1).padStart(64, '0'),
  clockStatus,
});

describe('proof of play on an unverified clock', () => {
  it('is flagged when stored, keeps its device times, and the screen page says the clock is unverified', async () => {
    const dir = tempFolder(cleanups, 'gc-unverified-');
    const s = await startServerWithUsers(cleanups, dir, { viewer: 'viewer' });
    const e = await enrolTestDevice(s.api, s.server.url, join(dir, 'd'));
    const t = Date.parse('2026-03-10T03:00:00Z');
    const reg = s.server.registry;
    reg.ingest.storeBatches([
      {
        deviceId: e.deviceId,
        stream: 'pop',
        fromSeq: 1,
        records: [
          { seq: 1, at: t, payload: popPayload(1, t, 'ntp') },
          { seq: 2, at: t + 10_000, payload: popPayload(2, t + 10_000, 'unverified') },
          { seq: 3, at: t + 20_000, payload: popPayload(3, t + 20_000, 'unverified') },
        ],
      },
      {
        deviceId: e.deviceId,
        stream: 'health',
        fromSeq: 1,
        records: [{ seq: 1, at: Date.now(), payload: healthAt(Date.now(), { clockSource: 'unverified' }) }],
      },
    ]);
    expect(reg.pop.clockUnverified(e.deviceId)).toEqual({ count: 2, lastAt: t + 20_000 });
    // Not re-dated: the stored time is the device's.
    expect(reg.pop.list(e.deviceId).map((r) => r.at)).toEqual([t, t + 10_000, t + 20_000]);

    const viewer = await apiLogin(s.server.url, 'viewer');
    const res = await fetch(`${s.server.url}/dashboard/lang/en?next=/dashboard/screen/${e.deviceId}`, {
      headers: { cookie: viewer.cookie },
      redirect: 'manual',
    });
    const lang = res.headers.get('set-cookie')?.split(';')[0];
    const page = await fetch(`${s.server.url}/dashboard/screen/${encodeURIComponent(e.deviceId)}`, {
      headers: { cookie: [viewer.cookie, lang].filter(Boolean).join('; ') },
    });
    const body = await page.text();
    expect(page.status).toBe(200);
    expect(body).toMatch(/id="clock"[^>]*data-clock="unverified"/);
    expect(body).toContain('Clock unverified');
    expect(body).toContain('2 proof-of-play records on an unverified clock');
  });
});
