/**
 * The names a report prints: each gate's display name and province over time (renames and
 * mergers: since 1 July 2025 Hà Tiên is in An Giang, while its site group stays
 * "kien-giang/ha-tien"), and the titles of items and emergency messages as they were published (an
 * emergency leaves the bundle when it expires; its words stay here for the reports).
 */
import type { SqliteDb } from '../../platform/sqlite.js';
import { rowMapper } from './rows.js';

/** A gate's names valid from `validFrom` (epoch ms) until the next entry's. */
export interface GateNames {
  siteGroup: string;
  validFrom: number;
  gateName: string;
  provinceId: string;
  provinceName: string;
}

/** An item's (or emergency's) title in one language; language '' is the item's own title. */
export interface ItemTitle {
  siteGroup: string;
  itemId: string;
  language: string;
  title: string;
}

const namesRow = rowMapper('gate_names', (r): GateNames => ({
  siteGroup: r.str('site_group'),
  validFrom: r.num('valid_from'),
  gateName: r.str('gate_name'),
  provinceId: r.str('province_id'),
  provinceName: r.str('province_name'),
}));
const titleRow = rowMapper('item_titles', (r): ItemTitle => ({
  siteGroup: r.str('site_group'),
  itemId: r.str('item_id'),
  language: r.str('language'),
  title: r.str('title'),
}));

export class ReportNamesStore {
  private readonly s;

  constructor(private readonly db: SqliteDb) {
    this.s = {
      setNames: db.prepare(
        'INSERT INTO gate_names (site_group, valid_from, gate_name, province_id, province_name) VALUES (?, ?, ?, ?, ?) ON CONFLICT(site_group, valid_from) DO UPDATE SET gate_name = excluded.gate_name, province_id = excluded.province_id, province_name = excluded.province_name',
      ),
      names: db.prepare('SELECT * FROM gate_names ORDER BY site_group, valid_from'),
      namesAt: db.prepare(
        'SELECT * FROM gate_names WHERE site_group = ? AND valid_from <= ? ORDER BY valid_from DESC LIMIT 1',
      ),
      setTitle: db.prepare(
        'INSERT INTO item_titles (site_group, item_id, language, title) VALUES (?, ?, ?, ?) ON CONFLICT(site_group, item_id, language) DO UPDATE SET title = excluded.title',
      ),
      titles: db.prepare('SELECT site_group, item_id, language, title FROM item_titles'),
    };
  }

  /** Records a gate's names from `validFrom` on (the same instant again replaces them). */
  setGateNames(n: GateNames): void {
    this.s.setNames.run(n.siteGroup, n.validFrom, n.gateName, n.provinceId, n.provinceName);
  }

  /** Every gate's name history, by site group and time. */
  gateNames(): GateNames[] {
    return namesRow.all(this.s.names.all());
  }

  /** A gate's names valid at `atMs`, or undefined before its first recorded names. */
  namesAt(siteGroup: string, atMs: number): GateNames | undefined {
    return namesRow.one(this.s.namesAt.get(siteGroup, atMs));
  }

  /** Records titles (the latest published wins). */
  setTitles(titles: Iterable<ItemTitle>): void {
    this.db.transaction(() => {
      for (const t of titles) this.s.setTitle.run(t.siteGroup, t.itemId, t.language, t.title);
    })();
  }

  titles(): ItemTitle[] {
    return titleRow.all(this.s.titles.all());
  }
}
