/**
 * Names, not codes: a gate and its province as they were named in the period (the names valid at
 * its end, with the earlier ones of the period kept), and items by their title in the report's
 * language — an emergency message by its words. Pure.
 */
import type { GateNames, ItemTitle } from '../registry/report-names-store.js';
import type { PlayCount, Report, ReportGate } from './types.js';

/** A gate as the registry knows it, with its name history (any order). */
export type NamedGate = ReportGate & { names?: readonly GateNames[] };

/**
 * The gate as named over [from, to): the names valid at its last instant, and those that were
 * valid earlier in the period (a rename or a merger within it), oldest first. Without a history
 * the gate keeps the names it came with.
 */
export function gateForPeriod(gate: NamedGate, from: number, to: number): ReportGate {
  const { names, ...rest } = gate;
  const history = [...(names ?? [])].sort((a, b) => a.validFrom - b.validFrom);
  const at = (t: number) => history.filter((n) => n.validFrom <= t).pop();
  const last = at(to - 1);
  if (!last) return rest;
  const formerNames: { name: string; provinceName: string; until: number }[] = [];
  let prev = at(from);
  for (const n of history)
    if (n.validFrom > from && n.validFrom < to) {
      if (prev && (prev.gateName !== n.gateName || prev.provinceName !== n.provinceName))
        formerNames.push({ name: prev.gateName, provinceName: prev.provinceName, until: n.validFrom });
      prev = n;
    }
  return {
    ...rest,
    name: last.gateName,
    provinceId: last.provinceId,
    provinceName: last.provinceName,
    ...(formerNames.length ? { formerNames } : {}),
  };
}

/**
 * Looks up an item's title in `lang`, else its own title; undefined when never published here.
 * Without a site group (a province's totals) any site group's title stands in.
 */
export function titleLookup(
  titles: readonly ItemTitle[],
  lang: string,
): (siteGroup: string | undefined, itemId: string) => string | undefined {
  const bySite = new Map<string, string>();
  const byItem = new Map<string, string>();
  for (const t of titles) {
    if (t.language !== lang && t.language !== '') continue;
    bySite.set(`${t.siteGroup}\u0000${t.itemId}\u0000${t.language}`, t.title);
    const k = `${t.itemId}\u0000${t.language}`;
    if (!byItem.has(k)) byItem.set(k, t.title);
  }
  return (siteGroup, itemId) => {
    const get = (m: Map<string, string>, prefix: string) =>
      m.get(`${prefix}${itemId}\u0000${lang}`) ?? m.get(`${prefix}${itemId}\u0000`);
    return siteGroup === undefined ? get(byItem, '') : get(bySite, `${siteGroup}\u0000`);
  };
}

/** Sets `title` on every play count of the report from the published titles. */
export function nameItems(report: Report, titles: readonly ItemTitle[], lang: string): void {
  const titleOf = titleLookup(titles, lang);
  const name = (list: PlayCount[], siteGroup: string | undefined) => {
    for (const c of list) {
      const title = titleOf(siteGroup, c.itemId);
      if (title !== undefined) c.title = title;
    }
  };
  for (const p of report.provinces) {
    name(p.playsByItem, undefined);
    for (const g of p.gates) {
      name(g.playsByItem, g.siteGroup);
      for (const d of g.devices) name(d.playsByItem, g.siteGroup);
    }
  }
}

/**
 * The titles a published bundle manifest gives: each item's own title, a text item's title per
 * language, and each emergency message's title (or the start of its words) per language.
 */
export function titlesOfManifest(manifest: {
  siteGroup: string;
  items: readonly { id: string; title: string; kind: string; variants?: unknown }[];
  emergencies: readonly { id: string; text: Record<string, { title?: string | undefined; body: string }> }[];
}): ItemTitle[] {
  const out: ItemTitle[] = [];
  const sg = manifest.siteGroup;
  for (const item of manifest.items) {
    out.push({ siteGroup: sg, itemId: item.id, language: '', title: item.title });
    if (item.kind === 'text' && item.variants && typeof item.variants === 'object')
      for (const [language, v] of Object.entries(item.variants as Record<string, { title?: string }>))
        if (v?.title) out.push({ siteGroup: sg, itemId: item.id, language, title: v.title });
  }
  for (const e of manifest.emergencies)
    for (const [language, text] of Object.entries(e.text)) {
      const words = text.title ? `${text.title}: ${text.body}` : text.body;
      const title = words.length > 240 ? `${words.slice(0, 239)}…` : words;
      out.push({ siteGroup: sg, itemId: e.id, language, title });
      if (language === 'vi') out.push({ siteGroup: sg, itemId: e.id, language: '', title });
    }
  return out;
}
