/**
 * The device's config file (`/etc/gatecast/device.json` on a screen), written by `gatecast provision`
 * and read once by device/main.ts. Defaults sit beside their fields; names carry their units.
 */
import { z } from 'zod';
import { IanaTimeZone, LanguageTag, SiteGroupId, TimeWindow } from './content.js';
import { ConfigError } from './errors.js';
import { parseWith } from './validate.js';

export const DEFAULT_TIMEZONE = 'Asia/Ho_Chi_Minh';

/** An IANA zone name as the database spells it; the same rule as a bundle's schedule. */
export const IanaZone = IanaTimeZone;

/** What to do when an item has no variant in one of the gate's languages. */
export const MissingVariantPolicy = z.discriminatedUnion('mode', [
  /** Leave that language out for that item. */
  z.object({ mode: z.literal('skip') }),
  /** Show the first of these languages the item has instead (e.g. ["en", "vi"]). */
  z.object({ mode: z.literal('substitute'), languages: z.array(LanguageTag).min(1) }),
]);
export type MissingVariantPolicy = z.infer<typeof MissingVariantPolicy>;

export const GateConfig = z.object({
  siteGroup: SiteGroupId,
  /** Human name, e.g. "Cửa khẩu Quốc tế Hà Tiên". */
  name: z.string().min(1).max(200),
  /**
   * The province's display name now, e.g. "An Giang" (since 1 July 2025 Hà Tiên is in An Giang; the
   * site group's first segment, "kien-giang", stays as a stable id). Earlier names are kept in the
   * server's gate-name history for reports. Absent: the site group's first segment is shown.
   */
  provinceName: z.string().min(1).max(200).optional(),
  timezone: IanaZone.default(DEFAULT_TIMEZONE),
  /** The gate's languages, in the order they are shown. */
  languages: z
    .array(LanguageTag)
    .min(1)
    .max(12)
    .refine((l) => new Set(l).size === l.length, { message: 'languages must not repeat' }),
  missingVariant: MissingVariantPolicy.default({ mode: 'skip' }),
  /** When the screen must be on; absent means always. Windows may cross midnight. */
  openingHours: z.array(TimeWindow).max(8).optional(),
});
export type GateConfig = z.infer<typeof GateConfig>;

/**
 * Periodic refresh, disk budget, and the time budgets and throughput floor that keep a slow or
 * stalling mirror from holding a refresh (and the content and emergencies behind it) for hours.
 * A download cut off by a budget keeps its partial file; the next refresh resumes it.
 */
export const UpdateConfig = z
  .object({
    /** Periodic TUF refresh on top of the server's update notifications. */
    refreshIntervalMs: z
      .number()
      .int()
      .min(10_000)
      .default(15 * 60_000),
    /** Disk budget for the content store (blobs + partial downloads). */
    storeQuotaBytes: z
      .number()
      .int()
      .min(1024 * 1024)
      .default(8 * 1024 ** 3),
    /**
     * Share of the data disk downloads never use (checked against real free space before and
     * during each download), kept for proof of play, health, events and logs. The reserve is this
     * share or `diskReserveMaxBytes`, whichever is smaller.
     */
    diskReserveFraction: z.number().min(0).max(0.5).default(0.1),
    /** Upper bound of the download reserve (default 500 MiB). */
    diskReserveMaxBytes: z
      .number()
      .int()
      .min(0)
      .default(500 * 1024 ** 2),
    /** One metadata file (root, timestamp, snapshot, targets, a delegation), request to last byte. */
    metadataBudgetMs: z.number().int().min(1000).default(60_000),
    /** One target download attempt; what arrived stays for the next refresh to resume. */
    targetBudgetMs: z
      .number()
      .int()
      .min(1000)
      .default(20 * 60_000),
    /** One refresh as a whole: every metadata file and every target download together. */
    refreshBudgetMs: z
      .number()
      .int()
      .min(1000)
      .default(30 * 60_000),
    /** A transfer slower than this over a whole throughput window is stopped. */
    minBytesPerSecond: z.number().int().min(1).default(1024),
    /** The window the throughput floor is measured over. */
    throughputWindowMs: z.number().int().min(1000).default(30_000),
  })
  .superRefine((u, ctx) => {
    for (const key of ['metadataBudgetMs', 'targetBudgetMs'] as const)
      if (u[key] > u.refreshBudgetMs)
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `must not exceed refreshBudgetMs (${u.refreshBudgetMs})`,
        });
    if (u.throughputWindowMs > u.metadataBudgetMs)
      ctx.addIssue({
        code: 'custom',
        path: ['throughputWindowMs'],
        message: `must not exceed metadataBudgetMs (${u.metadataBudgetMs}), or the floor is never checked`,
      });
  });
export type UpdateConfig = z.infer<typeof UpdateConfig>;

/** The screen's resolutions gatecast is built and tested for: Full HD and 4K UHD, either way up. */
export const SUPPORTED_SCREENS = [
  { width: 1920, height: 1080 },
  { width: 3840, height: 2160 },
  { width: 1080, height: 1920 },
  { width: 2160, height: 3840 },
  { width: 1280, height: 720 },
  { width: 720, height: 1280 },
] as const;

/**
 * The screen as it hangs at the gate: its resolution in pixels and which way up. The player's window,
 * its screenshots and the dashboard's previews render at this size; the layout is computed from it.
 */
export const ScreenConfig = z
  .object({
    width: z.number().int().default(1920),
    height: z.number().int().default(1080),
    orientation: z.enum(['landscape', 'portrait']).optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (!SUPPORTED_SCREENS.some((x) => x.width === s.width && x.height === s.height))
      ctx.addIssue({
        code: 'custom',
        path: ['width'],
        message: `unsupported screen ${s.width}×${s.height}; supported: ${SUPPORTED_SCREENS.map((x) => `${x.width}×${x.height}`).join(', ')}`,
      });
    const actual = s.height > s.width ? 'portrait' : 'landscape';
    if (s.orientation && s.orientation !== actual)
      ctx.addIssue({
        code: 'custom',
        path: ['orientation'],
        message: `orientation "${s.orientation}" does not match ${s.width}×${s.height} (${actual})`,
      });
  })
  .transform((s) => ({
    width: s.width,
    height: s.height,
    orientation: s.orientation ?? (s.height > s.width ? ('portrait' as const) : ('landscape' as const)),
  }));
export type ScreenConfig = z.infer<typeof ScreenConfig>;

/** A BCM GPIO line number on the 40-pin header (0–27). */
export const BcmLine = z.number().int().min(0).max(27);

export const DeviceConfig = z
  .object({
    /** Assigned at enrolment. */
    deviceId: z.string().min(1).max(64).optional(),
    screenName: z.string().min(1).max(100).default('screen-1'),
    gate: GateConfig,
    /** Default 1920×1080 landscape. */
    screen: ScreenConfig.prefault({}),
    /** Everything the daemon keeps: SQLite, content store, TUF metadata, keys. On the SD card, never tmpfs. */
    dataDir: z.string().min(1).default('/var/lib/gatecast'),
    server: z
      .object({
        /** Base URL of the sync server, e.g. https://signage.example.gov.vn */
        url: z.url(),
        /** PEM file of the server certificate or CA, given at enrolment (wss/https). */
        caFile: z.string().optional(),
      })
      .optional(),
    update: UpdateConfig.prefault({}),
    /** Over-the-air updates of gatecast itself (device/release): the A/B layout and its proof rules. */
    release: z
      .object({
        /** Holds releases/<version>/, the `current`, `previous` and `committed` links and state.json. */
        root: z.string().min(1).default('/opt/gatecast'),
        /** A switched-to release must have content on air and the server link up this soon after its start. */
        commitWithinMs: z
          .number()
          .int()
          .min(10_000)
          .default(5 * 60_000),
        /** Starts a pending release gets to prove itself before the device switches back. */
        maxStarts: z.number().int().min(1).max(20).default(3),
        /** A pending release still not committed this long after the switch is rolled back at its next start. */
        pendingDeadlineMs: z
          .number()
          .int()
          .min(60_000)
          .default(30 * 60_000),
      })
      .prefault({}),
    player: z
      .object({
        /** Port of the page server on 127.0.0.1; 0 picks a free one. */
        port: z.number().int().min(0).max(65535).default(0),
        chromiumPath: z.string().optional(),
        /** 'auto' runs headless when no display is found. */
        headless: z.union([z.boolean(), z.literal('auto')]).default('auto'),
        /** Restart Chromium when its memory passes this. */
        browserMemoryLimitBytes: z
          .number()
          .int()
          .min(64 * 1024 ** 2)
          .default(1024 ** 3),
        /** Restart Chromium when the page has not reported for this long. */
        pageStallMs: z.number().int().min(1000).default(5000),
        /**
         * How long one DevTools call to Chromium (and its start) may take before it counts as failed. The
         * default suits a Pi; only a machine emulating another architecture (the arm64 check under
         * qemu, where Chromium's first answers take minutes) needs more.
         */
        protocolTimeoutMs: z.number().int().min(1000).max(3_600_000).default(15_000),
      })
      .prefault({}),
    health: z
      .object({
        intervalMs: z.number().int().min(1000).default(30_000),
      })
      .prefault({}),
    storage: z
      .object({
        /**
         * Records (proof of play; health samples and events each apart) kept in memory while the
         * database cannot take them (a full disk), per stream. Past it the oldest go and the hole is
         * declared when writing works again: a gap record in the proof-of-play chain, a marker in the
         * next health sample, an event. About 1 KiB each.
         */
        unsavedMaxRecords: z.number().int().min(1).max(100_000).default(1000),
        /** Longest wait between two tries to write them (from 1 s, doubling). */
        unsavedRetryMaxMs: z.number().int().min(1000).max(3_600_000).default(60_000),
      })
      .prefault({}),
    time: z
      .object({
        /**
         * A system clock further ahead of the last-known-good time than this, with no NTP sync or
         * server time behind it, is not believed (device/time/trusted-clock.ts MAX_UNVERIFIED_AHEAD_MS).
         */
        maxUnverifiedAheadMs: z.number().int().min(60_000).default(3_600_000),
      })
      .prefault({}),
    /** Pins are BCM line numbers (GPIO17 = 17), not header pin numbers. Absent pins are not used. */
    gpio: z
      .object({
        enabled: z.boolean().default(false),
        /** Status LED (active high). */
        statusLedPin: BcmLine.optional(),
        /** Technician button, wired to ground with the Pi's internal or an external pull-up. */
        buttonPin: BcmLine.optional(),
        buttonActiveLow: z.boolean().default(true),
        /** Hold at least this long for a long press (identify). */
        longPressMs: z.number().int().min(500).max(30_000).default(3000),
        debounceMs: z.number().int().min(0).max(500).default(30),
        /** Relay that switches the screen's mains power. */
        relayPin: BcmLine.optional(),
        relayActiveLow: z.boolean().default(false),
        /** PIR motion sensor that can wake the screen outside opening hours. */
        motionPin: BcmLine.optional(),
        /** How long the screen stays on after the last motion. */
        motionWakeMs: z
          .number()
          .int()
          .min(5_000)
          .default(5 * 60_000),
      })
      .superRefine((g, ctx) => {
        const used = new Map<number, string>();
        for (const key of ['statusLedPin', 'buttonPin', 'relayPin', 'motionPin'] as const) {
          const pin = g[key];
          if (pin === undefined) continue;
          const other = used.get(pin);
          if (other) ctx.addIssue({ code: 'custom', path: [key], message: `GPIO${pin} is already ${other}` });
          used.set(pin, key);
        }
      })
      .prefault({}),
    display: z
      .object({
        /** 'auto' picks from the tools and session found at start; otherwise forces one adapter. */
        powerAdapter: z.enum(['auto', 'cec', 'wayland', 'x11', 'vcgencmd', 'relay', 'none']).default('auto'),
        /** CEC adapter device (/dev/cecN). */
        cecDevice: z.number().int().min(0).max(9).default(0),
      })
      .prefault({}),
    logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  })
  .strict();
export type DeviceConfig = z.infer<typeof DeviceConfig>;
export type DeviceConfigInput = z.input<typeof DeviceConfig>;

/** Parses a device config; throws one ConfigError listing every problem. The result is frozen. */
export function parseDeviceConfig(raw: unknown): DeviceConfig {
  return parseWith(DeviceConfig, raw, (problems) => new ConfigError('invalid device config', problems));
}
