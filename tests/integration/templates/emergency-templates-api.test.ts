/**
 * Emergency templates through a real server on 127.0.0.1:0 (real registry file, real TUF
 * repository, real accounts): authors write, edit and delete them; approvers, operators and viewers
 * read them; a template fills the emergency form for a site group only when it has every language
 * that site group's gate shows, and never makes a draft by itself: the emergency made from it is an
 * ordinary emergency draft waiting for two signatures.
 */
import { describe, expect, it } from 'vitest';
import { approvalRig, SG } from '../../helpers/approval.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';

const cleanups = cleanupsAfterEach();

/** “Border crossing suspended” in the five gate languages. */
const SUSPENDED = {
  name: 'Tạm dừng thông quan',
  durationMinutes: 60,
  text: {
    vi: {
      title: 'Tạm dừng thông quan',
      body: 'Cửa khẩu tạm dừng thông quan. Xin vui lòng chờ thông báo tiếp theo.',
    },
    km: { title: 'ផ្អាកការឆ្លងកាត់', body: 'ច្រកទ្វារផ្អាកការឆ្លងកាត់ជាបណ្ដោះអាសន្ន។' },
    lo: { title: 'ໂຈະການຂ້າມແດນ', body: 'ດ່ານໂຈະການຂ້າມແດນຊົ່ວຄາວ.' },
    'zh-Hans': { title: '暂停通关', body: '口岸暂停通关，请等待进一步通知。' },
    en: {
      title: 'Border crossing suspended',
      body: 'Crossing is suspended. Please wait for further notice.',
    },
  },
};

async function rig() {
  const r = await approvalRig();
  cleanups.push(r.close);
  return r;
}

describe('emergency templates API', () => {
  it('lets authors write, edit and delete templates and every other role read them; each change is audited', async () => {
    const r = await rig();
    const [author, ap1, op, viewer, admin] = await r.logins('author', 'ap1', 'op', 'viewer', 'admin');
    const created = await r.call(author, 'POST', '/api/emergency-templates', {
      ...SUSPENDED,
      name: '  Tạm dừng thông quan ',
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(created.body).toMatchObject({
      name: 'Tạm dừng thông quan',
      durationMinutes: 60,
      createdBy: 'author',
    });
    expect(Object.keys(created.body.text)).toEqual(['vi', 'km', 'lo', 'zh-Hans', 'en']);

    for (const who of [ap1, op, viewer]) {
      const list = await r.call(who, 'GET', '/api/emergency-templates');
      expect(list.status).toBe(200);
      expect(list.body.templates.map((t: { id: string }) => t.id)).toEqual([id]);
      // Reading is all they may do.
      const put = await r.call(who, 'PUT', `/api/emergency-templates/${id}`, { ...SUSPENDED, name: 'x' });
      expect(put.status).toBe(403);
      expect((await r.call(who, 'DELETE', `/api/emergency-templates/${id}`)).status).toBe(403);
      expect(
        (await r.call(who, 'POST', '/api/emergency-templates', { ...SUSPENDED, name: 'y' })).status,
      ).toBe(403);
    }

    const edited = await r.call(author, 'PUT', `/api/emergency-templates/${id}`, {
      ...SUSPENDED,
      durationMinutes: 90,
      text: { ...SUSPENDED.text, en: { body: 'Crossing is suspended until further notice.' } },
    });
    expect(edited.status).toBe(200);
    expect(edited.body.durationMinutes).toBe(90);
    expect(edited.body.text.en).toEqual({ body: 'Crossing is suspended until further notice.' });
    expect((await r.call(ap1, 'GET', `/api/emergency-templates/${id}`)).body).toEqual(edited.body);

    expect((await r.call(author, 'DELETE', `/api/emergency-templates/${id}`)).status).toBe(204);
    const gone = await r.call(ap1, 'GET', `/api/emergency-templates/${id}`);
    expect(gone.status).toBe(404);
    expect(gone.body.error.code).toBe('TEMPLATE_NOT_FOUND');

    const audit = await r.call(admin, 'GET', '/api/audit?limit=1000');
    const actions = (audit.body.entries as { action: string; outcome: string; actor: string }[])
      .filter((e) => e.action.startsWith('template.'))
      .map((e) => `${e.actor} ${e.action} ${e.outcome}`);
    expect(actions.sort()).toEqual(
      ['author template.create ok', 'author template.update ok', 'author template.delete ok'].sort(),
    );
  });

  it('refuses a template without a name, with an unknown language or a title without text, or with a name taken; nothing is stored', async () => {
    const r = await rig();
    const [author] = await r.logins('author');
    const bad = await r.call(author, 'POST', '/api/emergency-templates', {
      name: '   ',
      text: { la: { body: 'Latin, meant as Lao' }, vi: { title: 'Chỉ có tiêu đề', body: '  ' } },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('TEMPLATE_INVALID');
    expect(bad.body.error.problems.map((p: { path: string }) => p.path).sort()).toEqual(
      ['name', 'text.la', 'text.vi.body'].sort(),
    );
    const empty = await r.call(author, 'POST', '/api/emergency-templates', { name: 'Trống', text: {} });
    expect(empty.body.error.code).toBe('TEMPLATE_INVALID');
    const long = await r.call(author, 'POST', '/api/emergency-templates', {
      ...SUSPENDED,
      durationMinutes: 2,
    });
    expect(long.body.error.code).toBe('TEMPLATE_INVALID');
    expect((await r.call(author, 'GET', '/api/emergency-templates')).body.templates).toEqual([]);

    expect((await r.call(author, 'POST', '/api/emergency-templates', SUSPENDED)).status).toBe(201);
    // The same name, however it is spaced or cased, is the same template.
    const twice = await r.call(author, 'POST', '/api/emergency-templates', {
      ...SUSPENDED,
      name: 'TẠM DỪNG THÔNG QUAN ',
    });
    expect(twice.status).toBe(409);
    expect(twice.body.error.code).toBe('TEMPLATE_NAME_TAKEN');
    expect((await r.call(author, 'GET', '/api/emergency-templates')).body.templates).toHaveLength(1);
  });

  it('fills the emergency form in every language of the gate; the emergency made from it waits for two signatures', async () => {
    const r = await rig();
    const [author, op] = await r.logins('author', 'op');
    const drafts = async () => (await r.s.server.tuf!.drafts.list()).length;
    const t = await r.call(author, 'POST', '/api/emergency-templates', SUSPENDED);
    // A template is not content: writing one makes no draft.
    expect(await drafts()).toBe(0);

    const prefill = await r.call(op, 'GET', `/api/emergency-templates/${t.body.id}/prefill?siteGroup=${SG}`);
    expect(prefill.status).toBe(200);
    // The test gate shows vi, km and en: exactly those, in its order.
    expect(prefill.body).toEqual({
      templateId: t.body.id,
      name: 'Tạm dừng thông quan',
      siteGroup: SG,
      languages: ['vi', 'km', 'en'],
      text: { vi: SUSPENDED.text.vi, km: SUSPENDED.text.km, en: SUSPENDED.text.en },
      durationMinutes: 60,
    });
    expect(await drafts()).toBe(0);

    const em = await r.call(op, 'POST', '/api/content/emergencies', {
      siteGroup: SG,
      text: prefill.body.text,
      durationMinutes: prefill.body.durationMinutes,
    });
    expect(em.status).toBe(201);
    expect(em.body.draft).toMatchObject({ kind: 'emergency', status: 'open', threshold: 2, signatures: [] });
    expect(em.body.emergency.text).toEqual(prefill.body.text);
    expect(Date.parse(em.body.emergency.expiresAt) - Date.parse(em.body.emergency.startsAt)).toBe(
      60 * 60_000,
    );
  });

  it('refuses to fill from a template missing a language the gate shows, naming it', async () => {
    const r = await rig();
    const [author, op] = await r.logins('author', 'op');
    const t = await r.call(author, 'POST', '/api/emergency-templates', {
      name: 'Đóng cửa khẩu sớm',
      text: {
        vi: { body: 'Hôm nay cửa khẩu đóng cửa sớm lúc 16:00.' },
        en: { body: 'The gate closes early today, at 16:00.' },
      },
    });
    expect(t.status).toBe(201);
    const res = await r.call(op, 'GET', `/api/emergency-templates/${t.body.id}/prefill?siteGroup=${SG}`);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('TEMPLATE_LANGUAGE_MISSING');
    expect(res.body.error.message).toContain('km');
    expect(res.body.error.problems).toEqual([
      { path: 'text.km', message: expect.stringContaining('"km"') as unknown as string },
    ]);
    const unknown = await r.call(
      op,
      'GET',
      `/api/emergency-templates/${t.body.id}/prefill?siteGroup=nowhere/x`,
    );
    expect(unknown.body.error.code).toBe('SITE_GROUP_HAS_NO_GATE');
    expect((await r.s.server.tuf!.drafts.list()).length).toBe(0);
  });
});
