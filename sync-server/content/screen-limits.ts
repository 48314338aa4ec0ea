/**
 * The media limits of a site group: the largest screen its devices report in their latest health
 * (`screen`, sent by newer devices only), else the configured default, with the configured video
 * bitrate cap. Pure: the server passes the latest health payloads in.
 */
import type { MediaLimits } from '../../platform/media-limits.js';

export interface MediaConfig {
  defaultScreen: { width: number; height: number };
  videoMaxBitrateBps: number;
  toolTimeoutMs: number;
}

/** The largest reported screen (by long side, then short side) of `payloads`, else `fallback`. */
export function largestScreen(
  payloads: readonly unknown[],
  fallback: { width: number; height: number },
): { width: number; height: number } {
  let best: { width: number; height: number } | undefined;
  for (const p of payloads) {
    const s = (p as { screen?: { width?: unknown; height?: unknown } } | null)?.screen;
    if (!s || !Number.isInteger(s.width) || !Number.isInteger(s.height)) continue;
    const w = s.width as number;
    const h = s.height as number;
    if (w < 1 || h < 1) continue;
    const long = Math.max(w, h);
    const short = Math.min(w, h);
    if (!best || long > best.width || (long === best.width && short > best.height))
      best = { width: long, height: short };
  }
  return best ?? { ...fallback };
}

export function mediaLimitsFor(payloads: readonly unknown[], c: MediaConfig): MediaLimits {
  return {
    screen: largestScreen(payloads, c.defaultScreen),
    videoMaxBitrateBps: c.videoMaxBitrateBps,
    toolTimeoutMs: c.toolTimeoutMs,
  };
}
