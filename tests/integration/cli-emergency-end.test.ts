/**
 * `gatecast emergency end` and `gatecast emergency status`: the built CLI (dist/cli/gatecast.js) as
 * its own process against a real sync server on 127.0.0.1:0 with a real TUF repository, SQLite
 * registry and accounts, and screens over the real device link. The end goes through
 * EmergencyEndService, so it is recorded and audited with the account that ended it and followed
 * in its end-status; an emergency that is unknown, not on air yet, expired or already ended is
 * refused by name and nothing is sent.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EndedEmergencyContent, EndedEmergencyFile } from '../../device/emergency/ended-emergencies.js';
import { memoryLogger } from '../../platform/log.js';
import { fakeClock, systemClock, type Clock } from '../../protocol/clock.js';
import { parseBundleManifest } from '../../protocol/content.js';
import { approvalRig, SG } from '../helpers/approval.js';
import { cleanupsAfterEach } from '../helpers/cleanups.js';
import { runGatecastAsync } from '../helpers/cli-process.js';
import { PASSWORD } from '../helpers/dashboard.js';
import { MutableContentSource } from '../helpers/dir-content.js';
import { memoryBundle } from '../helpers/memory-bundle.js';
import { enrolTestDevice, makeDevice, until } from '../helpers/sync.js';

const cleanups = cleanupsAfterEach();

const TEXT = {
  vi: { title: 'Tạm dừng thông quan', body: 'Tạm dừng thông quan do sự cố hệ thống' },
  km: { body: 'ផ្អាកការឆ្លងដែន' },
  en: { body: 'Border crossing suspended' },
};

async function rig(clock?: Clock) {
  const r = await approvalRig(clock);
  cleanups.push(r.close);
  const state = mkdtempSync(join(tmpdir(), 'gc-cli-em-end-state-'));
  cleanups.push(() => rmSync(state, { recursive: true, force: true }));
  const env = { GATECAST_PASSWORD: PASSWORD, XDG_STATE_HOME: state };
  /** Runs the built CLI as `user` against the rig's server. */
  const cli = (user: string, ...args: string[]) =>
    runGatecastAsync([...args, '--server', r.base, '--user', user], { env });
  const [op, ap1, ap2] = await r.logins('op', 'ap1', 'ap2');
  /** An emergency draft requested by the operator: its draft id, emergency id and signable review. */
  const request = async (durationMinutes = 60) => {
    const created = await r.call(op, 'POST', '/api/content/emergencies', {
      siteGroup: SG,
      text: TEXT,
      durationMinutes,
    });
    expect(created.status).toBe(201);
    return { draftId: created.body.draft.id as string, id: created.body.emergency.id as string };
  };
  /** Both approvers sign the draft: it goes on air. */
  const approve = async (draftId: string) => {
    const review = (await r.call(ap1, 'GET', `/api/content/drafts/${draftId}`)).body;
    let last: { body: { published?: { version: number } } } | undefined;
    for (const [who, k] of [
      [ap1, r.tuf.keys.approvers[0]!],
      [ap2, r.tuf.keys.approvers[1]!],
    ] as const)
      last = await r.call(who, 'POST', `/api/content/drafts/${draftId}/signatures`, {
        sig: k.signer(Buffer.from(review.canonical, 'base64')).sig,
      });
    expect(last!.body.published).toBeDefined();
    return parseBundleManifest(JSON.parse(Buffer.from(review.manifest, 'base64').toString()));
  };
  const endStatus = (id: string) => r.call(op, 'GET', `/api/content/emergencies/end-status?id=${id}`);
  const audit = async () =>
    (
      (await r.call(await r.login('admin'), 'GET', '/api/audit?action=emergency.end-early')).body.entries as {
        action: string;
        actor: string;
        outcome: string;
        target: string;
        details: Record<string, unknown>;
      }[]
    ).filter((e) => e.action === 'emergency.end-early');
  return { ...r, cli, op, request, approve, endStatus, audit };
}

describe('gatecast emergency end / status', () => {
  it('ends an emergency named by its draft, audited with the operator, and shows which screens confirmed and which not yet', async () => {
    const r = await rig();
    const dirs = mkdtempSync(join(tmpdir(), 'gc-cli-em-end-screens-'));
    cleanups.push(() => rmSync(dirs, { recursive: true, force: true }));
    const { draftId, id } = await r.request();

    // Not on air yet: refused by name, by the draft's id or the emergency's, saying where its draft stands.
    for (const name of [draftId, id]) {
      const early = await r.cli('op', 'emergency', 'end', name, '--yes');
      expect(early.status).toBe(1);
      expect(early.stderr).toContain('[EMERGENCY_NOT_ON_AIR]');
      expect(early.stderr).toContain(`its draft ${draftId} still waits for signatures (0 of 2)`);
    }
    const unknown = await r.cli('op', 'emergency', 'end', 'em-no-such', '--yes');
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain(
      'no emergency message or emergency draft "em-no-such" [EMERGENCY_NOT_FOUND]',
    );

    const signed = await r.approve(draftId);
    // Screen 1 is connected and plays the signed bundle; screen 2 is enrolled but offline.
    const one = await enrolTestDevice(r.s.api, r.base, join(dirs, 'one'), 'arrivals-1');
    await enrolTestDevice(r.s.api, r.base, join(dirs, 'two'), 'arrivals-2');
    const content = new EndedEmergencyContent(
      new MutableContentSource(memoryBundle(signed, { version: 2 })),
      new EndedEmergencyFile(join(dirs, 'one')),
      systemClock,
      memoryLogger(),
    );
    content.start();
    const dev = makeDevice(join(dirs, 'one'), one.deviceId, r.base, {
      handlers: { endEmergency: async (emergencyId, secret) => content.end(emergencyId, secret).message },
    });
    cleanups.push(() => dev.close());
    dev.client.start();
    await until(
      async () => (await r.s.api('GET', `/api/devices/${one.deviceId}`)).body.online === true,
      10_000,
      'screen 1 online',
    );

    // A viewer may not end it; without --yes and nobody to answer, nothing is ended.
    const viewer = await r.cli('viewer', 'emergency', 'end', id, '--yes');
    expect(viewer.status).toBe(1);
    expect(viewer.stderr).toContain('may not end emergencies early');
    const unanswered = await r.cli('op', 'emergency', 'end', draftId);
    expect(unanswered.status).toBe(1);
    expect(unanswered.stdout).toContain(`emergency ${id} at ${SG}`);
    expect(unanswered.stderr).toContain('give --yes to end without asking');
    const notEnded = await r.cli('op', 'emergency', 'status', id);
    expect(notEnded.status).toBe(1);
    expect(notEnded.stderr).toContain('[EMERGENCY_NOT_ENDED]');
    expect(content.current()!.manifest.emergencies.map((e) => e.id)).toEqual([id]);

    const ended = await r.cli('op', 'emergency', 'end', draftId, '--yes');
    expect(ended.status, ended.stderr).toBe(0);
    expect(ended.stdout).toContain('Tạm dừng thông quan');
    expect(ended.stdout).toContain('screens: 2 (offline: arrivals-2; they get the end when they connect)');
    expect(ended.stdout).toContain(`emergency ${id} at ${SG}: ended early by op at`);

    // The connected screen checks the secret and takes it off; the status names the one not yet.
    await until(async () => (await r.endStatus(id)).body.confirmed === 1, 15_000, 'screen 1 confirmed');
    expect(content.current()!.manifest.emergencies).toEqual([]);
    const status = await r.cli('op', 'emergency', 'status', id);
    expect(status.status, status.stderr).toBe(0);
    expect(status.stdout).toContain('screens confirmed: 1 of 2');
    expect(status.stdout).toMatch(
      new RegExp(`confirmed +arrivals-1 \\(${one.deviceId}, online\\): .*taken off air`),
    );
    expect(status.stdout).toMatch(/not yet +arrivals-2 \([^,]+, offline\)/);
    const json = await r.cli('viewer', 'emergency', 'status', draftId, '--json');
    expect(json.status, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      emergencyId: id,
      endedBy: 'op',
      confirmed: 1,
      waiting: 1,
    });

    // A second end is refused by name, naming who ended it.
    const again = await r.cli('op', 'emergency', 'end', id, '--yes');
    expect(again.status).toBe(1);
    expect(again.stderr).toContain(`was already ended by op at`);
    expect(again.stderr).toContain('[EMERGENCY_ALREADY_ENDED]');

    // One end, audited with the operator; the refusals before it (checked first) ended nothing.
    expect((await r.audit()).map((e) => [e.actor, e.outcome, e.target])).toEqual([
      ['op', 'ok', `${SG}/${id}`],
    ]);
  }, 300_000);

  it('refuses an emergency that has expired, by name, and sends nothing', async () => {
    const clock = fakeClock(Date.now());
    const r = await rig(clock);
    const { draftId, id } = await r.request(5);
    await r.approve(draftId);
    clock.advance(5 * 60_000 + 1);
    const res = await r.cli('op', 'emergency', 'end', id, '--yes');
    expect(res.status).toBe(1);
    expect(res.stderr).toContain(`emergency "${id}" of "${SG}" expired at`);
    expect(res.stderr).toContain('[EMERGENCY_EXPIRED]');
    expect((await r.endStatus(id)).body.error.code).toBe('EMERGENCY_NOT_ENDED');
  }, 120_000);
});
