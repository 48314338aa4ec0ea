/**
 * The reports' admin routes in the running sync server: PUT /api/reports/form (the printed form)
 * and PUT /api/reports/gate-names (a gate's names from a date on). Only a role with settings.manage
 * changes them; bad input is refused with a named error and changes nothing; every attempt is in
 * the audit log; the form is written atomically (no partial file, read back by a new store).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ReportFormStore } from '../../../sync-server/reports/form-settings.js';
import { apiLogin, createUsers } from '../../helpers/dashboard.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';
import { GATE, startServer } from '../../helpers/sync.js';
import { tempDir } from '../../helpers/temp.js';

const cleanups = cleanupsAfterEach();

const FORM = {
  parentUnit: 'Ủy ban nhân dân tỉnh An Giang',
  issuingUnit: 'Sở Văn hóa, Thể thao và Du lịch',
  numberPattern: '{n}/BC-SVHTTDL',
  place: 'An Giang',
  signerTitle: 'GIÁM ĐỐC',
  signerName: 'Nguyễn Văn An',
  recipients: ['Bộ Văn hóa, Thể thao và Du lịch'],
  archive: 'VT',
};

type Who = { cookie: string; csrfToken: string };
type AuditEntry = { actor: string; action: string; target: string | null; outcome: string; details: unknown };

async function setUp() {
  const dir = tempDir('gc-report-admin-');
  cleanups.push(dir.cleanup);
  await createUsers(join(dir.path, 'server'), [
    { username: 'admin', role: 'admin' },
    { username: 'op', role: 'operator' },
  ]);
  const s = await startServer(dir.path);
  cleanups.push(() => s.server.stop());
  const base = s.server.url;
  const put = async (who: Who, path: string, body: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', cookie: who.cookie, 'x-csrf-token': who.csrfToken },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, never> };
  };
  const admin = await apiLogin(base, 'admin');
  const op = await apiLogin(base, 'op');
  const audit = async (action: string): Promise<AuditEntry[]> =>
    (
      (await (
        await fetch(`${base}/api/audit?action=${action}`, { headers: { cookie: admin.cookie } })
      ).json()) as { entries: AuditEntry[] }
    ).entries;
  return { dataDir: join(dir.path, 'server'), server: s.server, base, put, admin, op, audit };
}

describe('PUT /api/reports/form', () => {
  it('lets an admin change the form, refuses others and bad forms unchanged, and audits each attempt', async () => {
    const t = await setUp();
    const file = join(t.dataDir, 'reports', 'form.json');

    const denied = await t.put(t.op, '/api/reports/form', FORM);
    expect(denied.status).toBe(403);
    expect(existsSync(file)).toBe(false);

    const bad = await t.put(t.admin, '/api/reports/form', { ...FORM, numberPattern: 'BC-SVHTTDL' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'REPORT_FORM_INVALID' });
    expect(JSON.stringify(bad.body.error)).toContain('numberPattern');
    const unknown = await t.put(t.admin, '/api/reports/form', { ...FORM, seal: 'x' });
    expect(unknown.status).toBe(400);
    expect(existsSync(file)).toBe(false);
    const none = await fetch(`${t.base}/api/reports/form`, { headers: { cookie: t.admin.cookie } });
    expect(await none.json()).toEqual({ form: null });

    const ok = await t.put(t.admin, '/api/reports/form', { ...FORM, place: '  An Giang ' });
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ form: FORM });
    // Written whole (temp file renamed into place): nothing else in the folder, and a new store reads it.
    expect(readdirSync(join(t.dataDir, 'reports'))).toEqual(['form.json']);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(FORM);
    expect(await new ReportFormStore(t.dataDir, undefined).load()).toEqual(FORM);
    const read = await fetch(`${t.base}/api/reports/form`, { headers: { cookie: t.op.cookie } });
    expect(await read.json()).toEqual({ form: FORM });

    // A later bad form leaves the saved one in force.
    expect((await t.put(t.admin, '/api/reports/form', { ...FORM, recipients: [] })).status).toBe(400);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(FORM);

    const entries = await t.audit('reports.form');
    // Newest first.
    expect(entries.map((e) => [e.actor, e.outcome])).toEqual([
      ['admin', 'failed'],
      ['admin', 'ok'],
      ['admin', 'failed'],
      ['admin', 'failed'],
    ]);
    expect(entries.find((e) => e.outcome === 'ok')!.details).toEqual({ form: FORM });
  });
});

describe('PUT /api/reports/gate-names', () => {
  const NAMES = {
    siteGroup: GATE.siteGroup,
    validFrom: '2025-07-01',
    gateName: 'Cửa khẩu Quốc tế Hà Tiên',
    provinceId: 'an-giang',
    provinceName: 'An Giang',
  };

  it('records a rename from a local date for an admin, refuses others and bad input unchanged, and audits each attempt', async () => {
    const t = await setUp();
    const names = () => t.server.registry.reportNames.gateNames();

    expect((await t.put(t.op, '/api/reports/gate-names', NAMES)).status).toBe(403);

    const badDate = await t.put(t.admin, '/api/reports/gate-names', { ...NAMES, validFrom: '2025-02-30' });
    expect(badDate.status).toBe(400);
    expect(badDate.body.error).toMatchObject({
      code: 'REQUEST_INVALID',
      problems: [expect.objectContaining({ path: 'validFrom' })],
    });
    const badProvince = await t.put(t.admin, '/api/reports/gate-names', { ...NAMES, provinceId: 'An Giang' });
    expect(badProvince.status).toBe(400);
    expect(badProvince.body.error).toMatchObject({ code: 'REQUEST_INVALID' });
    const blank = await t.put(t.admin, '/api/reports/gate-names', { ...NAMES, gateName: '   ' });
    expect(blank.status).toBe(400);
    const unknownGate = await t.put(t.admin, '/api/reports/gate-names', { ...NAMES, siteGroup: 'nowhere/x' });
    expect(unknownGate.status).toBe(400);
    expect(unknownGate.body.error).toMatchObject({ code: 'REPORT_INVALID' });
    expect(names()).toEqual([]);

    const ok = await t.put(t.admin, '/api/reports/gate-names', NAMES);
    expect(ok.status).toBe(200);
    // Local midnight at the gate (Asia/Ho_Chi_Minh, UTC+7).
    const validFrom = Date.parse('2025-07-01T00:00:00+07:00');
    expect(ok.body).toEqual({ names: { ...NAMES, validFrom } });
    expect(names()).toEqual([{ ...NAMES, validFrom }]);

    // The same date again replaces that entry, it does not add one.
    expect((await t.put(t.admin, '/api/reports/gate-names', { ...NAMES, gateName: 'Hà Tiên' })).status).toBe(
      200,
    );
    expect(names()).toEqual([{ ...NAMES, gateName: 'Hà Tiên', validFrom }]);

    const entries = await t.audit('reports.gate-names');
    // Newest first.
    expect(entries.map((e) => [e.actor, e.outcome])).toEqual([
      ['admin', 'ok'],
      ['admin', 'ok'],
      ['admin', 'failed'],
      ['admin', 'failed'],
      ['admin', 'failed'],
      ['admin', 'failed'],
    ]);
    expect(entries.filter((e) => e.outcome === 'ok').every((e) => e.target === GATE.siteGroup)).toBe(true);
  });
});
