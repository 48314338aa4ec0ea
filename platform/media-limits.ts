/** What the screens can play: the limits publish-time normalisation works to (docs/media.md). */
export interface MediaLimits {
  /** The largest screen of the site group, as reported (or the configured default). */
  screen: { width: number; height: number };
  /** Videos above this whole-file bit rate are transcoded to it. */
  videoMaxBitrateBps: number;
  /** Longest an ffmpeg run may take. */
  toolTimeoutMs: number;
}

/** Screens decode H.264 in hardware up to 1080p30: the ceiling whatever the screens report. */
export const VIDEO_MAX_LONG_SIDE = 1920;
export const VIDEO_MAX_SHORT_SIDE = 1080;
export const VIDEO_MAX_FPS = 30;
export const DEFAULT_SCREEN = Object.freeze({ width: 1920, height: 1080 });
export const DEFAULT_VIDEO_MAX_BITRATE_BPS = 8_000_000;
export const DEFAULT_TOOL_TIMEOUT_MS = 30 * 60_000;
export const DEFAULT_MEDIA_LIMITS: MediaLimits = Object.freeze({
  screen: DEFAULT_SCREEN,
  videoMaxBitrateBps: DEFAULT_VIDEO_MAX_BITRATE_BPS,
  toolTimeoutMs: DEFAULT_TOOL_TIMEOUT_MS,
});
