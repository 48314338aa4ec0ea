import { describe, expect, it } from 'vitest';
import { approvalRig, SG } from '../../helpers/approval.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';

const cleanups = cleanupsAfterEach();

describe('an emergency draft’s review', () => {
  it('shows the message’s text in every language, escaped, outside the raw bundle.json', async () => {
    const rig = await approvalRig();
    cleanups.push(rig.close);
    const [op, ap1] = await rig.logins('op', 'ap1');
    const text = {
      vi: { title: 'Đóng cửa khẩu', body: 'Cửa khẩu tạm đóng do bão <b>số 9</b>' },
      km: { body: 'ច្រកទ្វារបិទជាបណ្ដោះអាសន្ន' },
      en: { title: 'Gate closed', body: 'The gate is closed because of the storm' },
    };
    const em = await rig.call(op, 'POST', '/api/content/emergencies', { siteGroup: SG, text });
    expect(em.status).toBe(201);
    const res = await fetch(`${rig.base}/dashboard/drafts/${em.body.draft.id}`, {
      headers: { cookie: ap1.cookie },
    });
    const page = await res.text();
    const start = page.indexOf('<section id="review-emergencies">');
    expect(start).toBeGreaterThan(0);
    const section = page.slice(start, page.indexOf('</section>', page.indexOf('data-lang="en"', start)));
    expect(section).toContain(`data-emergency="${em.body.emergency.id}" data-change="added"`);
    for (const lang of ['vi', 'km', 'en'])
      expect(section).toContain(`<dd data-lang="${lang}" lang="${lang}">`);
    expect(section).toContain('Đóng cửa khẩu');
    expect(section).toContain('Cửa khẩu tạm đóng do bão &lt;b&gt;số 9&lt;/b&gt;');
    expect(section).toContain('ច្រកទ្វារបិទជាបណ្ដោះអាសន្ន');
    expect(section).toContain('The gate is closed because of the storm');
  });
});
