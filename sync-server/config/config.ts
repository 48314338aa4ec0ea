/** The sync server's config file, parsed once in main.ts. Defaults sit beside their fields. */
import {
  DEFAULT_SCREEN,
  DEFAULT_TOOL_TIMEOUT_MS,
  DEFAULT_VIDEO_MAX_BITRATE_BPS,
} from '../../platform/media-limits.js';
import { join } from 'node:path';
import { z } from 'zod';
import { ReportForm } from '../reports/form-settings.js';
import { GateConfig } from '../../protocol/config.js';
import { ConfigError } from '../../protocol/errors.js';
import { BATCH_MAX_BYTES, FRAME_MAX_BYTES, PRE_AUTH_FRAME_MAX_BYTES } from '../../protocol/messages.js';
import { parseWith } from '../../protocol/validate.js';

const HOUR = 3600_000;

/** Whether `host` (the listen address) is reachable from this machine only. */
export function isLoopbackHost(host: string | undefined): boolean {
  if (host === undefined) return true;
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}
const DAY = 24 * HOUR;

export const ServerConfig = z
  .object({
    /** Registry database and other server state. */
    dataDir: z.string().min(1),
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(8443),
    /** Public base URL devices use (e.g. https://signage.example.gov.vn); its origin is what devices sign. */
    publicUrl: z.url().optional(),
    /** PEM files: serve https/wss. Without them the server speaks plain http/ws (loopback/dev only). */
    tls: z.object({ certFile: z.string().min(1), keyFile: z.string().min(1) }).optional(),
    /**
     * Bearer token for the ops REST API. A stopgap until operator accounts exist (dashboard issue):
     * anyone holding it is an operator.
     */
    opsToken: z.string().min(24, { message: 'at least 24 characters' }),
    /**
     * The TUF repository this server serves (`gatecast repo init`): metadata and targets under /tuf,
     * the publishing API under /api/publish for signed-in accounts (authors create drafts, approvers
     * sign and publish: `gatecast draft … --user NAME`).
     */
    tuf: z
      .object({
        repoDir: z.string().min(1),
        /**
         * Deprecated and ignored: the publishing API once took this shared token. Accounts replaced
         * it; a config that still sets it starts with a warning (see TUF_AUTHOR_TOKEN_DEPRECATED).
         */
        authorToken: z.string().optional(),
      })
      .optional(),
    /** TUF root.json given to devices at enrolment; defaults to the served repository's root.json. */
    trustedRootFile: z.string().min(1).optional(),
    /** Gates known at start; more can be added through the API. */
    gates: z.array(GateConfig).default([]),
    enrolmentTokenTtlMs: z
      .number()
      .int()
      .min(60_000)
      .max(30 * DAY)
      .default(7 * DAY),
    ws: z
      .object({
        challengeTtlMs: z.number().int().min(1000).default(10_000),
        authTimeoutMs: z.number().int().min(1000).default(15_000),
        pingIntervalMs: z.number().int().min(1000).default(30_000),
        rateLimitPerSecond: z.number().min(1).default(20),
        rateLimitBurst: z.number().int().min(1).default(200),
        maxBadFrames: z.number().int().min(0).default(20),
        retryAfterMs: z.number().int().min(0).default(30_000),
        /** Largest frame before the device has authenticated (hello, auth); larger ones close the link (1009). */
        preAuthFrameMaxBytes: z.number().int().min(1024).default(PRE_AUTH_FRAME_MAX_BYTES),
        /** Largest frame from an authenticated device; below the default, large screenshots are refused. */
        frameMaxBytes: z.number().int().min(BATCH_MAX_BYTES).default(FRAME_MAX_BYTES),
        /**
         * Connections not yet authenticated, from one remote address (screens of a gate behind one
         * NAT share one) and in all; the upgrade of one more is refused with 429 / 503.
         */
        maxUnauthenticatedPerAddress: z.number().int().min(1).default(64),
        maxUnauthenticated: z.number().int().min(1).default(2048),
      })
      .refine((w) => w.preAuthFrameMaxBytes <= w.frameMaxBytes, {
        message: 'must not exceed frameMaxBytes',
        path: ['preAuthFrameMaxBytes'],
      })
      .refine((w) => w.maxUnauthenticatedPerAddress <= w.maxUnauthenticated, {
        message: 'must not exceed maxUnauthenticated',
        path: ['maxUnauthenticatedPerAddress'],
      })
      .prefault({}),
    health: z
      .object({
        rawRetentionMs: z
          .number()
          .int()
          .min(HOUR)
          .default(48 * HOUR),
        fiveMinuteRetentionMs: z
          .number()
          .int()
          .min(DAY)
          .default(30 * DAY),
        hourlyRetentionMs: z
          .number()
          .int()
          .min(DAY)
          .default(365 * DAY),
        rollupIntervalMs: z
          .number()
          .int()
          .min(1000)
          .default(5 * 60_000),
      })
      .prefault({}),
    commands: z
      .object({
        defaultTtlMs: z.number().int().min(1000).default(DAY),
      })
      .prefault({}),
    /** Staged rollouts of gatecast releases (sync-server/releases). */
    releases: z
      .object({
        /** How often the rollout policy runs (offers, halts, the soak's end) besides after each action. */
        rolloutTickMs: z.number().int().min(100).default(15_000),
      })
      .strict()
      .prefault({}),
    reports: z
      .object({
        /** Chromium for PDF reports; default /usr/bin/chromium, else /usr/bin/chromium-browser. */
        chromiumPath: z.string().min(1).optional(),
        /** PDF reports built and printed at once (each is a Chromium process). */
        pdfConcurrency: z.number().int().min(1).max(16).default(1),
        /** PDF reports waiting for a slot; one more is refused with 429 and Retry-After. */
        pdfQueueMax: z.number().int().min(0).max(100).default(4),
        /** The Retry-After of that refusal. */
        pdfRetryAfterMs: z.number().int().min(1000).default(30_000),
        /** The longest period a report may cover: a year (366 days) and a reporting year fit. */
        maxPeriodDays: z.number().int().min(1).max(3660).default(400),
        /** A down span (offline, display off, power) shorter than this is no outage. */
        minOutageMs: z
          .number()
          .int()
          .min(0)
          .default(5 * 60_000),
        /** The printed report's administrative form (reports/form-settings.ts); admins may change it. */
        form: ReportForm.optional(),
      })
      .prefault({}),
    /** Content authoring (sync-server/content): the largest media file one upload may carry. */
    content: z
      .object({
        mediaMaxBytes: z
          .number()
          .int()
          .min(1024)
          .default(512 * 1024 * 1024),
      })
      .strict()
      .prefault({}),
    /** The alert monitor (sync-server/alerts): how often the rules run, threshold overrides, the webhook. */
    alerts: z
      .object({
        evaluateIntervalMs: z.number().int().min(1000).default(60_000),
        /** Overrides of DEFAULT_ALERT_THRESHOLDS (sync-server/alerts/types.ts); units in the names. */
        thresholds: z
          .object({
            offlineAfterMs: z.number().int().min(1000),
            healthMaxAgeMs: z.number().int().min(1000),
            diskFreeWarningRatio: z.number().min(0).max(1),
            diskFreeCriticalRatio: z.number().min(0).max(1),
            temperatureWarningC: z.number(),
            temperatureCriticalC: z.number(),
            playbackErrorWindowMs: z.number().int().min(1000),
            playbackErrorCount: z.number().int().min(1),
            bundleLagAfterMs: z.number().int().min(0),
            clockSkewMs: z.number().int().min(0),
            fileUnusableWindowMs: z.number().int().min(1000),
          })
          .partial()
          .strict()
          .default({}),
        /** Every alert event is POSTed here as JSON, with retries; `secret` signs the body (HMAC-SHA256). */
        webhook: z
          .object({
            url: z.url({ protocol: /^https?$/ }),
            secret: z.string().min(16, { message: 'at least 16 characters' }).optional(),
          })
          .strict()
          .optional(),
      })
      .strict()
      .prefault({}),
    /**
     * Publish-time media normalisation (docs/media.md): images are scaled to the largest screen the
     * site group's devices report in their health (`screen`), this size when none does; videos to
     * H.264/AAC MP4 ≤1080p30 under the bitrate cap.
     */
    media: z
      .object({
        defaultScreen: z
          .object({
            width: z.number().int().min(320).max(16384).default(DEFAULT_SCREEN.width),
            height: z.number().int().min(240).max(16384).default(DEFAULT_SCREEN.height),
          })
          .strict()
          .prefault({}),
        videoMaxBitrateBps: z.number().int().min(500_000).default(DEFAULT_VIDEO_MAX_BITRATE_BPS),
        /** Longest one ffmpeg run may take (a 10-minute 4K clip on a small server is minutes). */
        toolTimeoutMs: z.number().int().min(10_000).default(DEFAULT_TOOL_TIMEOUT_MS),
      })
      .strict()
      .prefault({}),
    /** Bearer token for GET /metrics; required unless the server listens on loopback only. */
    metricsToken: z.string().min(24, { message: 'at least 24 characters' }).optional(),
    logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  })
  .strict()
  .refine((c) => c.trustedRootFile || c.tuf, {
    message: 'set "tuf.repoDir" (the served repository) or "trustedRootFile"',
    path: ['trustedRootFile'],
    // Report it beside other problems rather than only once they are fixed.
    when: (p) => typeof p.value === 'object' && p.value !== null,
  })
  // Beyond loopback the server must know its own origin (devices sign it at login; the Host header
  // is the client's word) and /metrics must not be open to the network.
  .refine((c) => isLoopbackHost(c.host) || c.publicUrl, {
    message: 'set "publicUrl" (the address devices and browsers use) when "host" is not a loopback address',
    path: ['publicUrl'],
    when: (p) => typeof p.value === 'object' && p.value !== null,
  })
  .refine((c) => isLoopbackHost(c.host) || c.metricsToken, {
    message:
      'set "metricsToken" when "host" is not a loopback address (/metrics would be open to the network)',
    path: ['metricsToken'],
    when: (p) => typeof p.value === 'object' && p.value !== null,
  });
export type ServerConfig = z.infer<typeof ServerConfig>;
export type ServerConfigInput = z.input<typeof ServerConfig>;

/** Logged at start when the config still sets `tuf.authorToken`. */
export const TUF_AUTHOR_TOKEN_DEPRECATED =
  'tuf.authorToken is no longer used and grants nothing: the publishing API (/api/publish) now takes ' +
  'account sessions. Give each author and approver an account (the first admin comes from ' +
  '"gatecast admin create --data-dir DIR --user NAME"; that admin creates the others with POST /api/users, ' +
  'roles "author" and "approver"), publish with "gatecast draft … --server URL --user NAME", and remove ' +
  'tuf.authorToken from the config.';

/** The root.json devices are enrolled with. */
export function trustedRootFileOf(c: ServerConfig): string {
  return c.trustedRootFile ?? join(c.tuf!.repoDir, 'metadata', 'root.json');
}

export function parseServerConfig(raw: unknown): ServerConfig {
  return parseWith(ServerConfig, raw, (problems) => new ConfigError('invalid server config', problems));
}
