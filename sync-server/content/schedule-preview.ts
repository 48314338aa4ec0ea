/**
 * The schedule preview of a screen: the segments (what playlist is on air, from when to when) of the
 * next 24 hours, computed by the device's own schedule engine from the latest published bundle
 * manifest of the device's site group, as the TUF repository serves it.
 */
import type { GateConfig } from '../../protocol/config.js';
import { createScheduleEngine, type Segment } from '../../protocol/schedule-engine.js';

export interface SchedulePreview {
  version: number;
  segments: Segment[];
}

const MAX_SEGMENTS = 200;

function* segmentsOf(
  manifest: Parameters<typeof createScheduleEngine>[0],
  gate: GateConfig,
  from: number,
  spanMs: number,
): Generator<Segment> {
  const engine = createScheduleEngine(manifest, gate);
  let t = from;
  for (let n = 0; t < from + spanMs && n < MAX_SEGMENTS; n++) {
    const s = engine.segmentAt(t);
    yield s;
    if (!Number.isFinite(s.endAt) || s.endAt <= t) break;
    t = s.endAt;
  }
}

/** Segments overlapping [from, from + spanMs), in order; pure over the manifest. */
export function previewSegments(
  manifest: Parameters<typeof createScheduleEngine>[0],
  gate: GateConfig,
  from: number,
  spanMs = 24 * 3600_000,
): Segment[] {
  return [...segmentsOf(manifest, gate, from, spanMs)];
}

/**
 * The same segments, computed in slices of at most about `sliceMs` of work with the event loop
 * served in between: a large schedule (500 entries, a week, 200 segments: about 0.2 s of work on
 * this class of machine) never holds other requests, devices' frames or the health probe.
 */
export async function previewSegmentsSliced(
  manifest: Parameters<typeof createScheduleEngine>[0],
  gate: GateConfig,
  from: number,
  spanMs = 24 * 3600_000,
  sliceMs = 10,
): Promise<Segment[]> {
  const out: Segment[] = [];
  let sliceStart = performance.now();
  for (const s of segmentsOf(manifest, gate, from, spanMs)) {
    out.push(s);
    if (performance.now() - sliceStart >= sliceMs) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    }
  }
  return out;
}

export { latestManifest, manifestAtVersion } from '../tuf/published-manifest.js';
