/**
 * What the daemon hands the player page, and what the page reports back. A slide is one item in one
 * language at one time, resolved to URLs on the page server (the page never sees a file path).
 */
import { z } from 'zod';
import { ProtocolError } from '../protocol/errors.js';
import { parseWith } from '../protocol/validate.js';

export type TextStyle = 'standard' | 'notice' | 'warning';

export type SlideContent =
  | { kind: 'image'; src: string }
  | { kind: 'video'; src: string; poster?: string; loop: boolean }
  | { kind: 'html'; src: string }
  | { kind: 'text'; title?: string; body: string; style: TextStyle }
  /** The neutral card shown when there is nothing to play (never a black screen). */
  | { kind: 'card'; title: string; lines: string[] };

export interface TickerSpec {
  speedPxPerS: number;
  /** In the gate's language order; each part is rendered with its own lang attribute. */
  parts: { lang: string; text: string }[];
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
