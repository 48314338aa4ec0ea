/**
 * The demo's emergency templates, seeded through the real TemplateService over a real registry
 * file: each is accepted as written, has all five gate languages, and fills the emergency form of
 * a gate with any of them; they survive the registry being closed and opened again.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GateConfig } from '../../../protocol/config.js';
import { GATE_LANGUAGES } from '../../../protocol/language-tags.js';
import { memoryLogger } from '../../../platform/log.js';
import { fakeClock } from '../../../protocol/clock.js';
import { Registry } from '../../../sync-server/registry/registry.js';
import { TemplateService } from '../../../sync-server/templates/service.js';
import { templateStoreOf } from '../../../sync-server/templates/store.js';
import { DEMO_TEMPLATES, seedDemoTemplates } from '../../../cli/demo-templates.js';
import { cleanupsAfterEach } from '../../helpers/cleanups.js';
import { openTempRegistry } from '../../helpers/registry.js';

const cleanups = cleanupsAfterEach();

const gates = [
  GateConfig.parse({
    siteGroup: 'lao-cai/lao-cai',
    name: 'Cửa khẩu Quốc tế Lào Cai',
    provinceName: 'Lào Cai',
    languages: ['vi', 'zh-Hans', 'en'],
  }),
  GateConfig.parse({
    siteGroup: 'nghe-an/nam-can',
    name: 'Cửa khẩu Quốc tế Nậm Cắn',
    provinceName: 'Nghệ An',
    languages: ['vi', 'lo', 'en'],
  }),
  GateConfig.parse({
    siteGroup: 'kien-giang/ha-tien',
    name: 'Cửa khẩu Quốc tế Hà Tiên',
    provinceName: 'An Giang',
    languages: ['vi', 'km', 'en', 'zh-Hans'],
  }),
];

describe('the demo’s emergency templates', () => {
  it('are valid templates in all five gate languages and fill the emergency form of every gate', async () => {
    const { dir, registry } = openTempRegistry(cleanups, 'gc-demo-templates-');
    const service = () =>
      new TemplateService({
        store: templateStoreOf(registry),
        gates: { list: () => gates },
        clock: fakeClock(Date.parse('2026-12-06T08:00:00Z')),
        log: memoryLogger('templates'),
      });
    const ids = seedDemoTemplates(service(), 'author');
    expect(ids).toHaveLength(DEMO_TEMPLATES.length);
    const names = service()
      .list()
      .map((t) => t.name);
    expect(names.sort()).toEqual(['Đóng cửa khẩu sớm', 'Tạm dừng thông quan', 'Thời tiết xấu'].sort());
    for (const t of service().list()) {
      expect(Object.keys(t.text).sort()).toEqual([...GATE_LANGUAGES].sort());
      for (const g of gates) {
        const p = service().prefill(t.id, g.siteGroup);
        expect(p.languages).toEqual(g.languages);
        for (const l of g.languages) expect(p.text[l]!.body.length).toBeGreaterThan(10);
      }
    }
    // Stored in the registry file: still there once it is opened again.
    await registry.close();
    const again = new Registry(join(dir, 'registry.db'));
    again.open();
    cleanups.push(() => again.close());
    expect(
      templateStoreOf(again)
        .list()
        .map((t) => t.id)
        .sort(),
    ).toEqual([...ids].sort());
  });
});
