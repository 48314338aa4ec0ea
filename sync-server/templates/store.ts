/**
 * The emergency templates in the registry database (migration 'registry-templates-1'): one row per
 * template, its text per language as JSON written by this store only. Made once per registry with
 * `templateStoreOf(registry)`.
 */
import type { SqliteDb } from '../../platform/sqlite.js';
import type { Registry } from '../registry/registry.js';
import { columns } from '../registry/rows.js';

/** A template's words in one language. */
export interface TemplateText {
  title?: string;
  body: string;
}

export interface TemplateRow {
  id: string;
  name: string;
  /** The name as compared for uniqueness (trimmed, NFC, lower case). */
  nameKey: string;
  /** Per language tag, in the order written. */
  text: Record<string, TemplateText>;
  durationMinutes: number;
  createdAtMs: number;
  createdBy: string;
  updatedAtMs: number;
  updatedBy: string;
}

const templateColumns = columns('emergency_templates', {
  id: 'str',
  name: 'str',
  nameKey: 'str',
  text: 'json',
  durationMinutes: 'num',
  createdAtMs: ['num', 'created_at'],
  createdBy: 'str',
  updatedAtMs: ['num', 'updated_at'],
  updatedBy: 'str',
});

const toRow = (r: ReturnType<typeof templateColumns.all>[number]): TemplateRow => ({
  ...r,
  text: r.text as Record<string, TemplateText>,
});

export class TemplateStore {
  private readonly s;

  constructor(db: SqliteDb) {
    this.s = {
      insert: db.prepare(
        `INSERT INTO emergency_templates (id, name, name_key, text, duration_minutes,
           created_at, created_by, updated_at, updated_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      update: db.prepare(
        `UPDATE emergency_templates SET name = ?, name_key = ?, text = ?, duration_minutes = ?,
           updated_at = ?, updated_by = ? WHERE id = ?`,
      ),
      get: db.prepare('SELECT * FROM emergency_templates WHERE id = ?'),
      byName: db.prepare('SELECT * FROM emergency_templates WHERE name_key = ?'),
      list: db.prepare('SELECT * FROM emergency_templates ORDER BY name_key, id'),
      remove: db.prepare('DELETE FROM emergency_templates WHERE id = ?'),
    };
  }

  insert(r: TemplateRow): void {
    this.s.insert.run(
      r.id,
      r.name,
      r.nameKey,
      JSON.stringify(r.text),
      r.durationMinutes,
      r.createdAtMs,
      r.createdBy,
      r.updatedAtMs,
      r.updatedBy,
    );
  }

  /** Replaces what an author edits (name, text, duration); false when there is no such template. */
  update(r: TemplateRow): boolean {
    return (
      this.s.update.run(
        r.name,
        r.nameKey,
        JSON.stringify(r.text),
        r.durationMinutes,
        r.updatedAtMs,
        r.updatedBy,
        r.id,
      ).changes === 1
    );
  }

  get(id: string): TemplateRow | null {
    const r = templateColumns.one(this.s.get.get(id));
    return r ? toRow(r) : null;
  }

  byName(nameKey: string): TemplateRow | null {
    const r = templateColumns.one(this.s.byName.get(nameKey));
    return r ? toRow(r) : null;
  }

  /** Every template, by name. */
  list(): TemplateRow[] {
    return templateColumns.all(this.s.list.all()).map(toRow);
  }

  /** False when there was no such template. */
  remove(id: string): boolean {
    return this.s.remove.run(id).changes === 1;
  }
}

const openTemplateStore = (db: SqliteDb): TemplateStore => new TemplateStore(db);

/** The templates' store over `registry`'s database (one per open registry). */
export const templateStoreOf = (registry: Pick<Registry, 'featureStore'>): TemplateStore =>
  registry.featureStore(openTemplateStore);
