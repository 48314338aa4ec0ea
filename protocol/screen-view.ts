/**
 * What a layout's header and bands show, as plain data: the part of a slide the device's player
 * loop and the dashboard's screen preview build alike (the player page renders it; docs/layouts.md).
 * Pure: the manifest, the gate's languages, its zone and the time are passed in.
 */
import type { BundleManifest, Layout } from './content.js';
import { type GateDay, type GateHoursView, gateHoursTexts, gateHoursView } from './gate-hours.js';
import type { GateHoursTexts } from './gate-hours-texts.js';

/** The header: the gate's name per language, the clock, the local days and the hours. */
export interface HeaderView {
  /** The gate's name per language (the page shows the one of the slide on air, else the first). */
  names: Record<string, string>;
  timeZone: string;
  clock: boolean;
  /** The local days around the slide's start (the date line) and the words of the gate's languages. */
  days: GateDay[];
  texts: Record<string, GateHoursTexts>;
  /** The gate's opening hours around the slide's start; absent: no countdown. */
  hours?: GateHoursView;
}

/** The layout's header and bands (side and footer slides are added by whoever resolves media). */
export interface LayoutView {
  id: string;
  /** Width over height of the main region's content (16:9 → 1.777…). */
  aspect: number;
  header?: HeaderView;
  /** A ticker band is kept. */
  ticker: boolean;
}

export function aspectOf(text: string): number {
  const [w, h] = text.split(':').map(Number) as [number, number];
  return w / h;
}

export function layoutView(
  m: Pick<BundleManifest, 'gate'>,
  layout: Layout,
  languages: readonly string[],
  zone: string,
  at: number,
): LayoutView {
  const view: LayoutView = {
    id: layout.id,
    aspect: aspectOf(layout.mainAspect),
    ticker: !!layout.regions.ticker,
  };
  const header = layout.regions.header;
  if (header && m.gate) {
    const texts: Record<string, GateHoursTexts> = {};
    for (const lang of languages) texts[lang] = gateHoursTexts(lang);
    const hours = gateHoursView(zone, m.gate.hours ?? [], at);
    view.header = {
      names: { ...m.gate.name },
      timeZone: zone,
      clock: header.clock,
      days: hours.days,
      texts,
      ...(header.countdown && m.gate.hours ? { hours } : {}),
    };
  }
  return view;
}
