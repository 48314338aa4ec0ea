/**
 * The device <-> sync server link: every frame is one JSON object with a `type` and a version `v`.
 * Both sides parse what they receive with these schemas. To change the protocol, add a variant or
 * bump `v` (a receiver refuses versions it does not know).
 */
import { z } from 'zod';
import { GateConfig } from './config.js';
import { ProtocolError } from './errors.js';
import { checkJsonTextDepth, type JsonBounds, jsonWithin } from './json-bounds.js';
import { zodProblems } from './validate.js';

/** Path of the device WebSocket on the sync server. */
export const DEVICE_WS_PATH = '/ws/device';
/** Path of the device enrolment endpoint (HTTPS POST, no ops token: the enrolment token is the credential). */
export const ENROL_PATH = '/api/enrol';

/** Largest screenshot (PNG, before base64) a device may return. */
export const SCREENSHOT_MAX_BYTES = 3 * 1024 * 1024;
/** Largest outbox batch frame (JSON text bytes) a device sends; the server refuses bigger batches. */
export const BATCH_MAX_BYTES = 256 * 1024;
export const BATCH_MAX_RECORDS = 1000;
/**
 * ws maxPayload on the server before a device has authenticated: hello and auth frames are a few
 * hundred bytes, so a larger frame is cut off at its header (close 1009) without being buffered.
 */
export const PRE_AUTH_FRAME_MAX_BYTES = 4 * 1024;
/** ws maxPayload on the server once authenticated: a screenshot result plus envelope; anything larger is cut off. */
export const FRAME_MAX_BYTES = Math.ceil((SCREENSHOT_MAX_BYTES * 4) / 3) + 64 * 1024;

/**
 * Free-form JSON in a message (an event's `data`, a command's `args`): at most this deep and this
 * long. Deeper values make every recursive walker (JSON.stringify when stored, too) overflow the
 * stack; the device replaces event data beyond this with `{ truncated: true }` before sending.
 */
export const FREE_JSON_BOUNDS: JsonBounds = { maxDepth: 8, maxChars: 64 * 1024 };
/** An outbox record's whole payload: the stream's own fields around at most one free-form part. */
export const RECORD_PAYLOAD_BOUNDS: JsonBounds = {
  maxDepth: FREE_JSON_BOUNDS.maxDepth + 2,
  maxChars: FREE_JSON_BOUNDS.maxChars + 16 * 1024,
};
/**
 * Any frame: checked on its text before parsing. Room for the deepest message (a batch: frame,
 * records, record, then the payload) with some to spare; the per-field bounds are the tight ones.
 */
export const FRAME_MAX_DEPTH = RECORD_PAYLOAD_BOUNDS.maxDepth + 6;
/** A free-form JSON object within FREE_JSON_BOUNDS (event data, command args: from devices and from ops). */
export const FreeJsonObject = jsonWithin(z.record(z.string(), z.unknown()), FREE_JSON_BOUNDS);

export const DeviceId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{2,63}$/, { message: 'device id: 3-64 of a-z, 0-9, -' });
export type DeviceId = z.infer<typeof DeviceId>;

/** Ed25519 public key: the raw 32 bytes, base64url. */
export const PublicKeyB64 = z
  .string()
  .regex(/^[A-Za-z0-9_-]{43}$/, { message: 'Ed25519 public key (32 bytes, base64url)' });
const Nonce = z.string().regex(/^[A-Za-z0-9_-]{22,86}$/, { message: 'nonce: base64url, 16-64 bytes' });
const SignatureB64 = z
  .string()
  .regex(/^[A-Za-z0-9_-]{86}$/, { message: 'Ed25519 signature (64 bytes, base64url)' });
const EpochMs = z.number().int().min(0).max(8.64e15);
const Seq = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

export const OutboxStream = z.enum(['health', 'event', 'pop']);
export type OutboxStream = z.infer<typeof OutboxStream>;

/** Health sample payload (device/health/health-report.ts builds it). Null means "not known here". */
export const HealthReport = z.object({
  at: EpochMs,
  appVersion: z.string().max(64),
  uptimeS: z.number().min(0),
  cpuTempC: z.number().nullable(),
  load1: z.number().min(0).nullable(),
  load5: z.number().min(0).nullable(),
  memTotalBytes: z.number().min(0).nullable(),
  memAvailableBytes: z.number().min(0).nullable(),
  diskTotalBytes: z.number().min(0).nullable(),
  diskFreeBytes: z.number().min(0).nullable(),
  throttling: z
    .object({
      underVoltageNow: z.boolean(),
      underVoltageOccurred: z.boolean(),
      frequencyCappedNow: z.boolean(),
      throttledNow: z.boolean(),
      softTempLimitNow: z.boolean(),
      throttledOccurred: z.boolean(),
      /** Where the flags came from. */
      source: z.enum(['vcgencmd', 'hwmon', 'none']),
    })
    .nullable(),
  storage: z.object({
    ext4ErrorsCount: z.number().int().min(0).nullable(),
    rootReadOnly: z.boolean().nullable(),
    /**
     * The data disk stopped a content download: full (ENOSPC, the partial file was dropped) or too
     * little room above the reserve kept for proof of play and health. Present only while the fault
     * stands (until an update succeeds); absent otherwise and from older devices. Optional.
     */
    diskFault: z
      .object({
        code: z.enum(['DISK_FULL', 'DISK_SPACE_LOW']),
        at: EpochMs,
        message: z.string().max(500),
      })
      .optional(),
    /**
     * Records the device's database could not take (a full disk) that wait in memory now, per
     * stream. Present only while some wait; absent from older devices. Optional.
     */
    unsaved: z
      .object({
        pop: z.number().int().min(0),
        health: z.number().int().min(0),
        event: z.number().int().min(0),
      })
      .optional(),
    /**
     * Health samples the device could not keep (its memory buffer overflowed while the disk was
     * full) just before this one: how many, from the first one's time to the last one's. Carried by
     * the first sample written afterwards; lost plays are told by a gap record in the proof-of-play
     * chain instead. Optional.
     */
    samplesLost: z
      .object({ count: z.number().int().min(1), fromAt: EpochMs, toAt: EpochMs, error: z.string().max(300) })
      .optional(),
  }),
  display: z.enum(['on', 'off', 'blank', 'crashed', 'unknown']),
  currentItem: z.string().max(200).nullable(),
  currentLanguage: z.string().max(35).nullable(),
  bundle: z.object({
    installedVersion: z.string().max(100).nullable(),
    latestVersion: z.string().max(100).nullable(),
    lastSuccessfulUpdateAt: EpochMs.nullable(),
  }),
  clockOffsetMs: z.number().nullable(),
  /**
   * Where the device's time comes from: NTP, the server's time at connect, the last-known-good
   * floor kept on disk, unverified (the system clock ran far ahead of that floor with nothing to back
   * it; the floor is used), or unknown (then the default playlist plays). Absent from older devices.
   */
  clockSource: z.enum(['ntp', 'server', 'last-known-good', 'unverified', 'unknown']).optional(),
  browserMemoryBytes: z.number().min(0).nullable(),
  /**
   * Whether the enrolled device still has its TUF trust root; 'missing' means updates are off until
   * a technician re-enrols it (installed content keeps playing). Absent from older and unenrolled devices.
   */
  trustRoot: z.enum(['present', 'missing']).optional(),
  network: z
    .object({
      interface: z.string().max(32),
      address: z.string().max(64).nullable(),
    })
    .nullable(),
  /** The screen as device.json declares it (the player renders at this size). Absent from older devices. */
  screen: z
    .object({
      width: z.number().int().min(1).max(16384),
      height: z.number().int().min(1).max(16384),
      orientation: z.enum(['landscape', 'portrait']),
    })
    .optional(),
  /**
   * The gatecast release this device runs and where an over-the-air update stands: 'committed' (the
   * running release proved itself or was installed by hand), 'pending' (switched to `running`, not yet
   * proved: content on air and the server link up within the configured time), 'rolled-back' (the
   * last offered release failed and the device went back to `running`; `lastRollback` says why).
   * Absent from older devices.
   */
  release: z
    .object({
      running: z.string().min(1).max(64),
      state: z.enum(['committed', 'pending', 'rolled-back']),
      /** A release downloaded or unpacking, not switched to yet. */
      staging: z.string().max(64).nullable(),
      lastRollback: z
        .object({ version: z.string().max(64), reason: z.string().max(500), at: EpochMs })
        .nullable(),
    })
    .optional(),
});
export type HealthReport = z.infer<typeof HealthReport>;

/** An event the device reports (dropped records, errors, state changes). */
export const DeviceEvent = z.object({
  at: EpochMs,
  kind: z.string().min(1).max(64),
  level: z.enum(['info', 'warn', 'error']),
  message: z.string().max(2000),
  data: FreeJsonObject.optional(),
});
export type DeviceEvent = z.infer<typeof DeviceEvent>;

/**
 * A proof-of-play record as the player's store produces it. The server keeps it verbatim (hash-chain
 * fields included) for the reports; only the fields it indexes are checked here.
 */
export const PopPayload = z.looseObject({
  at: EpochMs.optional(),
  itemId: z.string().max(200).optional(),
  hash: z.string().max(200).optional(),
  prevHash: z.string().max(200).optional(),
});
export type PopPayload = z.infer<typeof PopPayload>;

/**
 * The payload is checked against its stream's schema by the server (a failure is quarantined), but
 * its size and depth are checked here: a frame carrying one beyond them is refused whole.
 */
export const OutboxRecord = z.object({
  seq: Seq,
  at: EpochMs,
  payload: jsonWithin(z.unknown(), RECORD_PAYLOAD_BOUNDS),
});
export type OutboxRecord = z.infer<typeof OutboxRecord>;

export const CommandName = z.enum([
  'reload-player',
  'restart-player',
  'reboot',
  'screenshot',
  'sync-now',
  'display-on',
  'display-off',
  'identify',
  /**
   * Install a gatecast release: `args: { version }`. The device fetches the release target for its
   * own platform from the TUF `releases` role (signed by the release approvers' threshold), installs
   * it beside the running one and switches; the result says whether it switched, and health's
   * `release` tells whether it was committed or rolled back.
   */
  'install-release',
  /**
   * End an emergency early: `args: { emergencyId, secret }`. The screen takes the emergency off air
   * only when the secret's SHA-256 is the end commitment signed in its own bundle (docs/drafts.md §7).
   */
  'end-emergency',
]);
export type CommandName = z.infer<typeof CommandName>;

export const Command = z.object({
  id: z.string().min(1).max(64),
  name: CommandName,
  issuedAtMs: EpochMs,
  expiresAtMs: EpochMs,
  args: FreeJsonObject.optional(),
});
export type Command = z.infer<typeof Command>;

export const CommandStatus = z.enum(['ok', 'failed', 'expired', 'unsupported']);
export type CommandStatus = z.infer<typeof CommandStatus>;

const Base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, { message: 'base64' });

export const DeviceMessage = z.discriminatedUnion('type', [
  /** First frame after connect: who the device says it is. */
  z.object({ type: z.literal('hello'), v: z.literal(1), deviceId: DeviceId, appVersion: z.string().max(64) }),
  /** Signature over authPayload(nonce, deviceId, origin). */
  z.object({
    type: z.literal('auth'),
    v: z.literal(1),
    deviceId: DeviceId,
    nonce: Nonce,
    signature: SignatureB64,
  }),
  /**
   * Outbox records of one stream, in seq order without gaps. `fromSeq` is the lowest seq the device
   * still holds for the stream: every lower seq is acknowledged or was dropped on the device.
   */
  z.object({
    type: z.literal('batch'),
    v: z.literal(1),
    stream: OutboxStream,
    fromSeq: Seq,
    records: z.array(OutboxRecord).min(1).max(BATCH_MAX_RECORDS),
  }),
  z.object({ type: z.literal('command-ack'), v: z.literal(1), commandId: z.string().min(1).max(64) }),
  z.object({
    type: z.literal('command-result'),
    v: z.literal(1),
    commandId: z.string().min(1).max(64),
    status: CommandStatus,
    message: z.string().max(2000).optional(),
    screenshot: z
      .object({
        mime: z.literal('image/png'),
        base64: Base64.max(Math.ceil((SCREENSHOT_MAX_BYTES * 4) / 3) + 4),
      })
      .optional(),
  }),
]);
export type DeviceMessage = z.infer<typeof DeviceMessage>;

export const ErrorCode = z.enum([
  'bad-message',
  'unknown-device',
  'revoked',
  'bad-signature',
  'challenge-expired',
  'wrong-device',
  'rate-limited',
  'not-authenticated',
  'server-busy',
  'internal',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ServerMessage = z.discriminatedUnion('type', [
  /** Reply to hello: a single-use nonce to sign, and the server's clock. */
  z.object({
    type: z.literal('challenge'),
    v: z.literal(1),
    nonce: Nonce,
    serverTimeMs: EpochMs,
    expiresInMs: z.number().int().min(1),
  }),
  /** The device is authenticated. */
  z.object({ type: z.literal('welcome'), v: z.literal(1), deviceId: DeviceId, serverTimeMs: EpochMs }),
  /** Every record of `stream` up to and including `uptoSeq` is stored. */
  z.object({
    type: z.literal('ack'),
    v: z.literal(1),
    stream: OutboxStream,
    uptoSeq: z.number().int().min(0),
  }),
  z.object({ type: z.literal('update-available'), v: z.literal(1), version: z.string().max(100).optional() }),
  z.object({ type: z.literal('command'), v: z.literal(1), command: Command }),
  z.object({
    type: z.literal('error'),
    v: z.literal(1),
    code: ErrorCode,
    message: z.string().max(2000),
    retryAfterMs: z.number().int().min(0).optional(),
  }),
]);
export type ServerMessage = z.infer<typeof ServerMessage>;

function parseFrame<S extends z.ZodType>(schema: S, raw: string | Buffer, what: string): z.infer<S> {
  const text = typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw;
  const tooDeep = checkJsonTextDepth(text, FRAME_MAX_DEPTH);
  if (tooDeep) {
    const path = tooDeep.path.map((p) => (typeof p === 'number' ? `[${p}]` : p)).join('.');
    throw new ProtocolError(`${what}: invalid`, [{ path, message: tooDeep.message }]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text.toString('utf8'));
  } catch (err) {
    throw new ProtocolError(`${what}: not JSON`, [], { cause: err });
  }
  const res = schema.safeParse(json);
  if (!res.success) throw new ProtocolError(`${what}: invalid`, zodProblems(res.error).slice(0, 10));
  return res.data;
}

/** Parses a frame a device sent; throws ProtocolError with the problems. */
export function parseDeviceMessage(raw: string | Buffer): DeviceMessage {
  return parseFrame(DeviceMessage, raw, 'device message');
}

/** Parses a frame the server sent; throws ProtocolError with the problems. */
export function parseServerMessage(raw: string | Buffer): ServerMessage {
  return parseFrame(ServerMessage, raw, 'server message');
}

/**
 * Bytes the device signs to answer a challenge. Binding the server origin stops a challenge from one
 * server being relayed to another; binding the device id stops one device answering for another.
 */
export function authPayload(nonce: string, deviceId: string, origin: string): Buffer {
  return Buffer.from(`gatecast-auth-v1\n${nonce}\n${deviceId}\n${origin}`, 'utf8');
}

/** `https://host:port` form of a server URL, as both sides compute it for authPayload. */
export function serverOrigin(url: string): string {
  const u = new URL(url);
  const scheme = u.protocol === 'wss:' || u.protocol === 'https:' ? 'https:' : 'http:';
  return `${scheme}//${u.host}`;
}

// --- Enrolment (HTTPS, JSON) ---

export const EnrolRequest = z.object({
  v: z.literal(1),
  token: z.string().min(16).max(200),
  publicKey: PublicKeyB64,
  appVersion: z.string().max(64).optional(),
});
export type EnrolRequest = z.infer<typeof EnrolRequest>;

export const EnrolResponse = z.object({
  v: z.literal(1),
  deviceId: DeviceId,
  screenName: z.string().min(1).max(100),
  gate: GateConfig,
  /** The TUF root metadata (root.json) the device starts its chain of trust from. */
  trustedRoot: z.record(z.string(), z.unknown()),
});
export type EnrolResponse = z.infer<typeof EnrolResponse>;

export const EnrolErrorBody = z.object({ code: z.string(), message: z.string() });

export function parseEnrolResponse(raw: unknown): EnrolResponse {
  const res = EnrolResponse.safeParse(raw);
  if (!res.success) throw new ProtocolError('enrolment response: invalid', zodProblems(res.error));
  return res.data;
}

/** WebSocket close codes the server uses; the reason text says more. */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  badMessage: 4002,
  unknownDevice: 4001,
  revoked: 4003,
  badSignature: 4004,
  challengeInvalid: 4005,
  wrongDevice: 4006,
  rateLimited: 4008,
  authTimeout: 4009,
  replaced: 4010,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];
