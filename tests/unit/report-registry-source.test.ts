import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  POP_GENESIS_HASH,
  type PopBody,
  type PopRecord,
  popHash,
  popSigningBytes,
} from '../../protocol/proof-of-play.js';
import {
  deviceChainVerifier,
  devicePublicKey,
  offlineOutages,
  reportRecordOf,
  storedChainVerifier,
} from '../../sync-server/reports/registry-source.js';
import type { ChainBreak, ProofOfPlayRecord } from '../../sync-server/reports/types.js';
import { buildReport } from '../../sync-server/reports/build.js';
import { reportDevicesDataCsv } from '../../sync-server/reports/report-csv.js';
import { popEntry, signedPopChain } from '../helpers/pop-entry.js';

const keys = generateKeyPairSync('ed25519');
const x = keys.publicKey.export({ format: 'jwk' }).x!;

/** `n` plays of d1, one a second, started 5 ms late, alternating two items, in bundle 3. */
function chain(n: number): PopRecord[] {
  const plays = Array.from({ length: n }, (_, i) =>
    popEntry('d1', 1000 * i, {
      bundleVersion: 3,
      itemId: `item-${i % 2}`,
      actualStartAt: 1000 * i + 5,
      durationMs: 1000,
    }),
  );
  return signedPopChain(plays, keys.privateKey);
}

const asReport = (records: unknown[]) =>
  records.map((r, i) => reportRecordOf('d1', { seq: i + 1, at: 1000 * i + 5 }, r));

describe('report records from the registry', () => {
  it('maps a PopRecord to the report shape', () => {
    const r = asReport(chain(1))[0]!;
    expect(r).toMatchObject({
      seq: 1,
      itemId: 'item-0',
      bundleVersion: '3',
      variantSha256: '',
      scheduledStart: 0,
      actualStart: 5,
      screenOn: true,
    });
  });

  it('a payload that is not a record counts as no play and is marked by the verifier', () => {
    const records = asReport([...chain(2), { junk: true }]);
    expect(records[2]!.screenOn).toBe(false);
    const v = deviceChainVerifier(() => devicePublicKey(x))(records);
    expect(v.breaks).toEqual([{ seq: 3, kind: 'edit' }]);
  });

  it('maps protocol problems: gap with its count, edits, signatures', () => {
    const c = chain(6);
    const verify = deviceChainVerifier(() => devicePublicKey(x));
    expect(verify(asReport(c))).toEqual({ ok: true, breaks: [] });

    const withGap = [c[0], c[1], c[4], c[5]].map((r) =>
      reportRecordOf('d1', { seq: r!.seq, at: r!.actualStartAt }, r),
    );
    expect(verify(withGap).breaks).toEqual([{ seq: 3, kind: 'gap', missing: 2 }]);

    const edited = [...c];
    edited[1] = { ...c[1]!, itemId: 'other' };
    expect(verify(asReport(edited)).breaks).toEqual([{ seq: 2, kind: 'edit' }]);

    const other = generateKeyPairSync('ed25519');
    const forged = [...c];
    forged[3] = {
      ...c[3]!,
      signature: sign(null, popSigningBytes(c[3]!.hash), other.privateKey).toString('base64'),
    };
    expect(verify(asReport(forged)).breaks).toEqual([{ seq: 4, kind: 'signature' }]);

    expect(deviceChainVerifier(() => undefined)(asReport(c.slice(0, 2))).breaks).toEqual([
      { seq: 1, kind: 'signature' },
      { seq: 2, kind: 'signature' },
    ]);
  });
});

describe('the report check of stored records', () => {
  type Verdict = 'ok' | 'bad-signature' | 'malformed' | null;
  const stored = (records: unknown[], verdicts: Verdict[], linkOk: (boolean | null)[] = []) =>
    records.map((r, i) =>
      reportRecordOf(
        'd1',
        { seq: i + 1, at: 1000 * i + 5, verdict: verdicts[i]!, linkOk: linkOk[i] ?? true },
        r,
      ),
    );
  const run = (records: ProofOfPlayRecord[], verify = storedChainVerifier(() => devicePublicKey(x))) => {
    const check = verify.begin!();
    const breaks: ChainBreak[] = [];
    const counted = records.map((r) => check.add(r, breaks));
    return { breaks, counted };
  };

  it('trusts the signature verdict stored at ingest and does not need the key for it', () => {
    const c = chain(3);
    let keyLookups = 0;
    const verify = storedChainVerifier(() => {
      keyLookups++;
      return devicePublicKey(x);
    });
    // Record 2 was judged unsigned at ingest: marked and not counted, whatever its signature says now.
    expect(run(stored(c, ['ok', 'bad-signature', 'ok']), verify)).toEqual({
      breaks: [{ seq: 2, kind: 'signature' }],
      counted: [true, false, true],
    });
    expect(keyLookups).toBe(0);
  });

  it('catches a payload edited after ingest by its recomputed hash, and a moved record', () => {
    const c = chain(3);
    const edited = [c[0], { ...c[1]!, durationMs: 999_000 }, c[2]];
    expect(run(stored(edited, ['ok', 'ok', 'ok'])).breaks).toEqual([{ seq: 2, kind: 'edit' }]);
    // Edited into another shape: mapped as no play, marked.
    const reshaped = stored([c[0], { ...c[1]!, screenOn: 'yes' }, c[2]], ['ok', 'ok', 'ok']);
    expect(reshaped[1]!.screenOn).toBe(false);
    expect(run(reshaped).breaks).toEqual([{ seq: 2, kind: 'edit' }]);
    // Stored under another seq than the one it claims.
    const moved = [c[0], c[1], c[2]].map((r, i) =>
      reportRecordOf('d1', { seq: i === 2 ? 4 : i + 1, at: 0, verdict: 'ok', linkOk: true }, r),
    );
    expect(run(moved).breaks).toEqual([
      { seq: 3, kind: 'gap', missing: 1 },
      { seq: 4, kind: 'edit' },
    ]);
  });

  it('marks the first record when its link to the record stored before it failed at ingest', () => {
    const c = chain(4).slice(2); // the period starts at record 3
    const rows = c.map((r) =>
      reportRecordOf('d1', { seq: r.seq, at: 0, verdict: 'ok', linkOk: r.seq === 3 ? false : true }, r),
    );
    expect(run(rows).breaks).toEqual([{ seq: 3, kind: 'link' }]); // counted: its own checks pass
    // A malformed record at ingest is an edit, counted as no play.
    const bad = stored([{ junk: true }, ...chain(2).slice(1)], ['malformed', 'ok']);
    expect(run(bad)).toEqual({ breaks: [{ seq: 1, kind: 'edit' }], counted: [true, true] });
  });

  it('verifies records stored without a verdict and reports what it found', () => {
    const c = chain(3);
    const other = generateKeyPairSync('ed25519');
    c[1] = {
      ...c[1]!,
      signature: sign(null, popSigningBytes(c[1]!.hash), other.privateKey).toString('base64'),
    };
    const found: [string, number, string][] = [];
    const verify = storedChainVerifier(
      () => devicePublicKey(x),
      (d, seq, v) => found.push([d, seq, v]),
    );
    expect(run(stored([...c, { junk: 1 }], [null, null, 'ok', null]), verify)).toEqual({
      breaks: [
        { seq: 2, kind: 'signature' },
        { seq: 4, kind: 'edit' },
      ],
      counted: [true, false, true, true],
    });
    expect(found).toEqual([
      ['d1', 1, 'ok'],
      ['d1', 2, 'bad-signature'],
      ['d1', 4, 'malformed'],
    ]);
  });
});

describe('offline outages from link sessions', () => {
  it('is the time not covered by a session, from enrolment to revocation', () => {
    const sessions = [
      { from: 100, to: 200 },
      { from: 150, to: 300 },
      { from: 400, to: null },
    ];
    expect(offlineOutages('d1', sessions, 0, 1000, 50, null)).toEqual([
      { deviceId: 'd1', from: 50, to: 100, kind: 'offline' },
      { deviceId: 'd1', from: 300, to: 400, kind: 'offline' },
    ]);
    expect(offlineOutages('d1', [{ from: 100, to: 200 }], 0, 1000, 0, 500)).toEqual([
      { deviceId: 'd1', from: 0, to: 100, kind: 'offline' },
      { deviceId: 'd1', from: 200, to: 500, kind: 'offline' },
    ]);
    expect(offlineOutages('d1', [], 0, 1000, 2000, null)).toEqual([]);
  });
});

describe('gaps the device declared in its chain', () => {
  const H = 3_600_000;
  const t0 = Date.parse('2026-03-10T00:00:00Z');
  /** Two plays, a declared gap (5 plays lost over 2 h, disk full), then a play after it. */
  function chainWithGap(): unknown[] {
    const plays = chain(2).map((r, i) => {
      const body = {
        ...r,
        actualStartAt: t0 + i * 60_000,
        scheduledStartAt: t0 + i * 60_000,
        durationMs: 60_000,
      };
      return body;
    });
    // Re-link with the new times and sign each record, plays and the gap alike.
    const out: unknown[] = [];
    let prevHash = POP_GENESIS_HASH;
    const seal = (body: Record<string, unknown>) => {
      const linked = { ...body, prevHash };
      const hash = popHash(linked as unknown as PopBody);
      prevHash = hash;
      return {
        ...linked,
        hash,
        signature: sign(null, popSigningBytes(hash), keys.privateKey).toString('base64'),
      };
    };
    for (const p of plays) {
      const { hash: _h, signature: _s, ...body } = p;
      out.push(seal(body));
    }
    out.push(
      seal({
        v: 1,
        seq: 3,
        prevHash,
        kind: 'gap',
        deviceId: 'd1',
        count: 5,
        fromAt: t0 + 2 * 60_000,
        toAt: t0 + 2 * 60_000 + 2 * H,
        reason: 'buffer-full',
        error: 'SQLITE_FULL: database or disk is full',
      }),
    );
    const last = plays[1]!;
    const { hash: _h, signature: _s, ...lastBody } = last;
    out.push(
      seal({
        ...lastBody,
        seq: 4,
        actualStartAt: t0 + 2 * 60_000 + 2 * H,
        scheduledStartAt: t0 + 2 * 60_000 + 2 * H,
      }),
    );
    return out;
  }

  it('checks a declared gap like any record and shows it as a gap, counted apart from plays and content gaps', () => {
    const raw = chainWithGap();
    const records = raw.map((r, i) =>
      reportRecordOf('d1', { seq: i + 1, at: t0, verdict: 'ok', linkOk: true }, r),
    );
    expect(records[2]!.gap).toEqual({
      records: 5,
      from: t0 + 2 * 60_000,
      to: t0 + 2 * 60_000 + 2 * H,
      reason: 'buffer-full',
    });
    // Signatures re-verified from the raw payloads, and the check of stored rows: no break either way.
    expect(deviceChainVerifier(() => devicePublicKey(x))(records)).toEqual({ ok: true, breaks: [] });
    expect(storedChainVerifier(() => devicePublicKey(x))(records)).toEqual({ ok: true, breaks: [] });

    const gate = {
      siteGroup: 'kien-giang/ha-tien',
      name: 'Hà Tiên',
      provinceId: 'kien-giang',
      provinceName: 'Kiên Giang',
      timezone: 'UTC',
    };
    const report = buildReport(
      {
        period: { kind: 'custom', from: '2026-03-10', to: '2026-03-10' },
        gates: [gate],
        devices: [{ deviceId: 'd1', name: 'Sảnh', siteGroup: gate.siteGroup }],
        verifyChain: storedChainVerifier(() => devicePublicKey(x)),
        generatedAt: t0 + 3 * H,
      },
      records,
      [],
    );
    const d = report.provinces[0]!.gates[0]!.devices[0]!;
    expect(d.plays).toBe(3);
    expect(d.playsRejected).toBe(0);
    expect(d.chain).toMatchObject({ ok: true, records: 4 });
    expect(d.declaredGaps).toEqual([
      {
        seq: 3,
        records: 5,
        from: t0 + 2 * 60_000,
        to: t0 + 2 * 60_000 + 2 * H,
        reason: 'buffer-full',
        durationMs: 2 * H,
      },
    ]);
    // The declared span is no content gap; the rest of the span after the last play is.
    expect(d.contentGaps).toEqual([
      {
        from: t0 + 2 * 60_000 + 2 * H + 60_000,
        to: t0 + 3 * H,
        durationMs: 3 * H - (2 * 60_000 + 2 * H + 60_000),
      },
    ]);
    expect(d.timeline.declaredGapMs).toBe(2 * H);
    expect(d.timeline.onAirMs + d.timeline.gapMs + d.timeline.declaredGapMs + d.timeline.outageMs).toBe(
      d.timeline.openingMs,
    );
    expect(report.totals).toMatchObject({
      declaredGaps: 1,
      declaredGapRecords: 5,
      declaredGapMs: 2 * H,
      contentGaps: 1,
    });
    const csv = reportDevicesDataCsv(report).trim().split('\r\n');
    const header = csv[0]!.split(',');
    const row = csv[1]!.split(',');
    expect(row[header.indexOf('declared_gaps')]).toBe('1');
    expect(row[header.indexOf('declared_gap_records')]).toBe('5');
    expect(row[header.indexOf('declared_gap_ms')]).toBe(String(2 * H));
  });
});
