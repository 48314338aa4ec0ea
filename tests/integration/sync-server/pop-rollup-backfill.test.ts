/**
 * A registry file created before the rollups (migrated up to registry-rollups-2, its records stored
 * without them) gets them computed once, in the background, resumably: stopped part way, the next
 * start goes on from its cursor, and the rollups then equal a recount and give the report the raw
 * rows give.
 */
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryLogger } from '../../../platform/log.js';
import { openAndMigrate } from '../../../platform/sqlite.js';
import { PopRollupBackfill } from '../../../sync-server/ingest/pop-rollup-backfill.js';
import { IngestStore } from '../../../sync-server/registry/ingest-store.js';
import { recountRollups } from '../../../sync-server/registry/pop-rollups.js';
import { Registry } from '../../../sync-server/registry/registry.js';
import { MIGRATIONS } from '../../../sync-server/registry/schema.js';
import { RegistryReportSource } from '../../../sync-server/reports/registry-source.js';
import { buildReportFrom } from '../../../sync-server/reports/service.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';
import { popEntry, signedPopChain } from '../../helpers/pop-entry.js';
import { tempDir } from '../../helpers/temp.js';

const cleanups = cleanupsAfterEach();
const T0 = Date.parse('2026-02-01T00:00:00Z');

describe('proof-of-play rollup backfill', () => {
  it('adds the rows of a registry from before the rollups once, resuming after a stop', async () => {
    const dir = tempDir('gc-rollup-backfill-');
    cleanups.push(dir.cleanup);
    const path = join(dir.path, 'registry.db');
    const keys = generateKeyPairSync('ed25519');
    // The file as a server before the rollups left it: its migrations only, records stored without rollups.
    const before = MIGRATIONS.slice(
      0,
      MIGRATIONS.findIndex((m) => m.name === 'registry-rollups-2'),
    );
    const old = openAndMigrate(path, {
      pragmas: { synchronous: 'FULL', foreignKeys: true, busyTimeoutMs: 1000 },
      migrations: before,
    });
    old
      .prepare(
        "INSERT INTO devices (id, site_group, screen_name, public_key, enrolled_at) VALUES ('d1', 'kien-giang/ha-tien', 's1', ?, 0)",
      )
      .run(keys.publicKey.export({ format: 'jwk' }).x!);
    const plays = Array.from({ length: 300 }, (_, i) =>
      popEntry('d1', T0 + 40_000 * i, {
        bundleVersion: 1,
        durationMs: 30_000,
        ...(i % 7 === 0 ? { partial: true as const } : {}),
      }),
    );
    const chain = signedPopChain(plays, keys.privateKey);
    const stored = chain.filter((r) => r.seq !== 51); // one lost on the way: a gap
    new IngestStore(old).storeBatches([
      {
        deviceId: 'd1',
        stream: 'pop',
        fromSeq: 1,
        records: stored.map((r) => ({ seq: r.seq, at: r.actualStartAt, payload: r })),
      },
    ]);
    old.close();

    // The server starts on it: the migration sets the backfill up; it is stopped after a chunk.
    let registry = new Registry(path);
    registry.open();
    registry.gates.upsert({
      siteGroup: 'kien-giang/ha-tien',
      name: 'Hà Tiên',
      timezone: 'Asia/Ho_Chi_Minh',
      languages: ['vi'],
      missingVariant: { mode: 'skip' },
    });
    expect(registry.rollups.backfillProgress()).toMatchObject({ doneRowid: 0, done: false });
    const source = () => new RegistryReportSource(registry);
    expect(source().rollupsReady()).toBe(false);
    const log = memoryLogger();
    let job = new PopRollupBackfill(registry.rollups, log, 100);
    registry.rollups.backfill(100);
    const partway = job.progress();
    expect(partway.done).toBe(false);
    expect(partway.doneRowid).toBeGreaterThan(0);
    await registry.close();

    // Started again: it goes on from the cursor, to the end, each row once.
    registry = new Registry(path);
    registry.open();
    cleanups.push(() => registry.close());
    expect(registry.rollups.backfillProgress().doneRowid).toBe(partway.doneRowid);
    job = new PopRollupBackfill(registry.rollups, log, 100);
    expect((await job.start()).done).toBe(true);
    // Done: another pass adds nothing.
    expect(registry.rollups.backfill(100).done).toBe(true);

    const place = registry.rollups.place('d1')!;
    const rows = stored.map((r) => ({ seq: r.seq, at: r.actualStartAt, payload: r, verdict: null }));
    const kept = registry.rollups.device('d1');
    expect(kept).toEqual(recountRollups(place, rows));
    expect(kept.days.reduce((n, d) => n + d.records, 0)).toBe(299);
    expect(kept.plays.filter((p) => p.partial).reduce((n, p) => n + p.plays, 0)).toBe(43);

    // And the report from them is the report from the raw rows.
    expect(source().rollupsReady()).toBe(true);
    const req = {
      period: { kind: 'custom' as const, from: '2026-02-01', to: '2026-02-02' },
      lang: 'en' as const,
      verifyChain: source().verifyChain,
      generatedAt: Date.parse('2026-03-01T00:00:00Z'),
    };
    const fromRollups = await buildReportFrom(source(), req);
    expect(fromRollups).toEqual(await buildReportFrom(source(), { ...req, from: 'records' }));
    expect(fromRollups.totals).toMatchObject({ plays: 256, playsPartial: 43, chainBreaks: 1 });
  });
});
