/**
 * What the daemon hands the player page, and what the page reports back. A slide is one item in one
 * language at one time, resolved to URLs on the page server (the page never sees a file path).
 */
import { z } from 'zod';
import { ProtocolError } from '../protocol/errors.js';
import { parseWith } from '../protocol/validate.js';
import type { HeaderView } from '../protocol/screen-view.js';

export type TextStyle = 'standard' | 'notice' | 'warning';

export type SlideContent =
  | { kind: 'image'; src: string }
  | { kind: 'video'; src: string; poster?: string; loop: boolean }
  | { kind: 'html'; src: string }
  | { kind: 'text'; title?: string; body: string; style: TextStyle }
  /** The neutral card shown when there is nothing to play (never a black screen). */
  | { kind: 'card'; title: string; lines: string[] }
  /**
   * An emergency: every gate language at once, stacked, over the whole screen (the layout's regions
   * stay set up underneath and come back when it ends).
   */
  | { kind: 'emergency'; parts: { lang: string; title?: string; body: string }[] };

export interface TickerSpec {
  speedPxPerS: number;
  /** In the gate's language order; each part is rendered with its own lang attribute. */
  parts: { lang: string; text: string }[];
}

/** The header: the gate's name in the language on air, the clock, and the opening countdown. */
export type HeaderSpec = HeaderView;

/**
 * The regions around the main one (docs/layouts.md). The page sizes them from its own viewport so
 * that main has `aspect`; `side` and `footer` loop their own slides, double-buffered like main.
 */
export interface LayoutSpec {
  id: string;
  /** Width over height of the main region's content (16:9 → 1.777…). */
  aspect: number;
  header?: HeaderSpec;
  /** A ticker band is kept (its text is the slide's `ticker`). */
  ticker: boolean;
  side?: Slide[];
  footer?: Slide[];
}

export interface Slide {
  /** Unique per showing, e.g. `welcome/km@1767225600000`. */
  id: string;
  /** Epoch ms of the planned switch; 0 means "as soon as it is ready". */
  startAt: number;
  durationMs: number;
  transition: 'cut' | 'fade';
  fadeMs: number;
  /** BCP-47 tag set as the slide's lang attribute (picks the font). */
  lang: string;
  content: SlideContent;
  /** The ticker while this slide is on air; null hides it. */
  ticker: TickerSpec | null;
  /**
   * The layout while this slide is on air: null or absent is the whole screen (as before layouts).
   * An emergency slide leaves the layout as it is and covers it.
   */
  layout?: LayoutSpec | null;
}

/**
 * What the page reports (through the supervisor's DevTools binding). Parsed by the supervisor;
 * malformed reports are refused.
 */
export const PageReport = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), pageId: z.string().max(100), at: z.number() }),
  z.object({
    type: z.literal('started'),
    pageId: z.string().max(100),
    slideId: z.string().max(300),
    startAt: z.number(),
    actualStart: z.number(),
    /** A layout region's own slide (side, footer); absent: main. */
    region: z.enum(['side', 'footer']).optional(),
  }),
  /** A layout region was emptied (the layout on air no longer has it, or its slides changed). */
  z.object({
    type: z.literal('region-ended'),
    pageId: z.string().max(100),
    region: z.enum(['side', 'footer']),
    slideId: z.string().max(300),
    at: z.number(),
  }),
  z.object({
    type: z.literal('error'),
    pageId: z.string().max(100),
    slideId: z.string().max(300),
    reason: z.string().max(2000),
  }),
  z.object({
    type: z.literal('heartbeat'),
    pageId: z.string().max(100),
    at: z.number(),
    current: z.string().max(300).nullable(),
    queued: z.number().int(),
  }),
  z.object({ type: z.literal('page-error'), pageId: z.string().max(100), message: z.string().max(2000) }),
]);
export type PageReport = z.infer<typeof PageReport>;

export function parsePageReport(raw: unknown): PageReport {
  return parseWith(PageReport, raw, (problems) => new ProtocolError('invalid page report', problems));
}

/** Where page reports arrive (the supervisor); the player loop listens. */
export interface PageReports {
  /** Returns an unsubscribe function. */
  onReport(listener: (report: PageReport) => void): () => void;
}
