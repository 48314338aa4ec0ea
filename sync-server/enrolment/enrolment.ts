/**
 * Enrolment: ops creates a one-time token bound to a gate and a screen name; a device presents it with
 * its own Ed25519 public key and receives its device id, the TUF trusted root and its gate config.
 * Only a hash of each token is stored; the token itself is shown once, at creation.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Clock } from '../../protocol/clock.js';
import { GatecastError } from '../../protocol/errors.js';
import type { Logger } from '../../platform/log.js';
import type { EnrolRequest, EnrolResponse } from '../../protocol/messages.js';
import type { Registry } from '../registry/registry.js';
import type { TokenRow } from '../registry/enrolment-token-store.js';

export type EnrolmentErrorCode =
  | 'ENROL_TOKEN_UNKNOWN'
  | 'ENROL_TOKEN_USED'
  | 'ENROL_TOKEN_EXPIRED'
  | 'ENROL_TOKEN_REVOKED'
  | 'ENROL_KEY_IN_USE'
  | 'ENROL_GATE_UNKNOWN'
  | 'ENROL_NO_TRUST_ROOT'
  | 'ENROL_TTL_INVALID'
  | 'ENROL_SCREEN_NAME_INVALID';

/** The shortest and longest life of an enrolment token: a token left lying around for months is a key. */
export const TOKEN_TTL_MIN_MS = 60_000;
export const TOKEN_TTL_MAX_MS = 30 * 24 * 3600_000;
export const TOKEN_TTL_MAX_HOURS = TOKEN_TTL_MAX_MS / 3600_000;
/** Longest screen name, in characters (shown on the fleet page and the screen's own status). */
export const SCREEN_NAME_MAX = 100;

export class EnrolmentError extends GatecastError {
  constructor(
    readonly code: EnrolmentErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Where the TUF trusted root given to devices comes from (the TUF repository provides it). */
export interface TrustedRootProvider {
  trustedRoot(): Promise<Record<string, unknown>>;
}

/** Reads root.json from a file each time (it changes only on a root rotation). */
export class FileTrustedRootProvider implements TrustedRootProvider {
  constructor(private readonly path: string) {}
  async trustedRoot(): Promise<Record<string, unknown>> {
    let raw: unknown;
    try {
      raw = JSON.parse(await readFile(this.path, 'utf8'));
    } catch (err) {
      throw new EnrolmentError('ENROL_NO_TRUST_ROOT', `cannot read the TUF trusted root ${this.path}`, {
        cause: err,
      });
    }
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
      throw new EnrolmentError('ENROL_NO_TRUST_ROOT', `${this.path} is not a TUF root metadata object`);
    }
    return raw as Record<string, unknown>;
  }
}

/**
 * Hours as a person types them (`--ttl-hours 24`): a whole number from 1 to 30 days' worth, in ms.
 * Anything else (0, -5, 1.5, abc) is an ENROL_TTL_INVALID error.
 */
export function ttlHoursToMs(raw: string | number): number {
  const text = String(raw).trim();
  const hours = /^\d{1,6}$/.test(text) ? Number(text) : NaN;
  if (!(hours >= 1 && hours <= TOKEN_TTL_MAX_HOURS))
    throw new EnrolmentError(
      'ENROL_TTL_INVALID',
      `token lifetime "${text}" hours: give a whole number of hours from 1 to ${TOKEN_TTL_MAX_HOURS}`,
    );
  return hours * 3600_000;
}

/** A screen name with its surrounding spaces removed; empty, too long or with control characters is refused. */
export function normaliseScreenName(raw: string): string {
  const name = raw.trim().normalize('NFC');
  if (name.length === 0 || name.length > SCREEN_NAME_MAX || /[\u0000-\u001f\u007f]/.test(name))
    throw new EnrolmentError(
      'ENROL_SCREEN_NAME_INVALID',
      `screen name ${JSON.stringify(raw)}: give 1 to ${SCREEN_NAME_MAX} characters, no control characters`,
    );
  return name;
}

export const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

export interface CreatedToken {
  /** Shown once; give it to the technician. */
  token: string;
  id: string;
  siteGroup: string;
  screenName: string;
  expiresAtMs: number;
}

export class Enrolment {
  constructor(
    private readonly registry: Registry,
    private readonly roots: TrustedRootProvider,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  /**
   * Creates a token valid for `ttlMs` (whole ms, TOKEN_TTL_MIN_MS to TOKEN_TTL_MAX_MS). Bad input is an
   * EnrolmentError (ENROL_TTL_INVALID, ENROL_SCREEN_NAME_INVALID, ENROL_GATE_UNKNOWN) and stores nothing.
   */
  createToken(siteGroup: string, rawScreenName: string, ttlMs: number): CreatedToken {
    if (!Number.isInteger(ttlMs) || ttlMs < TOKEN_TTL_MIN_MS || ttlMs > TOKEN_TTL_MAX_MS)
      throw new EnrolmentError(
        'ENROL_TTL_INVALID',
        `token lifetime ${ttlMs} ms: give a whole number of ms from ${TOKEN_TTL_MIN_MS} (1 minute) to ${TOKEN_TTL_MAX_MS} (30 days)`,
      );
    const screenName = normaliseScreenName(rawScreenName);
    if (!this.registry.gates.get(siteGroup)) {
      throw new EnrolmentError('ENROL_GATE_UNKNOWN', `no gate ${siteGroup}: create the gate first`);
    }
    const now = this.clock.now();
    const token = `gce_${randomBytes(24).toString('base64url')}`;
    const id = `tok-${randomBytes(6).toString('hex')}`;
    const expiresAtMs = now + ttlMs;
    this.registry.tokens.insert({
      id,
      tokenHash: hashToken(token),
      siteGroup,
      screenName,
      createdAtMs: now,
      expiresAtMs,
    });
    this.log.info('enrolment token created', { id, siteGroup, screenName, expiresAtMs });
    return { token, id, siteGroup, screenName, expiresAtMs };
  }

  /** Checks a token without using it; throws the reason it cannot be used. */
  private usableToken(token: string): TokenRow {
    const row = this.registry.tokens.byHash(hashToken(token));
    if (!row) throw new EnrolmentError('ENROL_TOKEN_UNKNOWN', 'unknown enrolment token');
    if (row.revokedAtMs !== null)
      throw new EnrolmentError('ENROL_TOKEN_REVOKED', `enrolment token ${row.id} was revoked`);
    if (row.usedAtMs !== null)
      throw new EnrolmentError('ENROL_TOKEN_USED', `enrolment token ${row.id} was already used`);
    if (row.expiresAtMs <= this.clock.now()) {
      throw new EnrolmentError(
        'ENROL_TOKEN_EXPIRED',
        `enrolment token ${row.id} expired at ${new Date(row.expiresAtMs).toISOString()}`,
      );
    }
    return row;
  }

  async enrol(req: EnrolRequest): Promise<EnrolResponse> {
    const row = this.usableToken(req.token);
    if (this.registry.devices.idForKey(req.publicKey)) {
      throw new EnrolmentError(
        'ENROL_KEY_IN_USE',
        'this public key belongs to an enrolled device: generate a new key',
      );
    }
    const gate = this.registry.gates.get(row.siteGroup);
    if (!gate) throw new EnrolmentError('ENROL_GATE_UNKNOWN', `gate ${row.siteGroup} no longer exists`);
    const trustedRoot = await this.roots.trustedRoot();
    const deviceId = `gc-${randomBytes(8).toString('hex')}`;
    const ok = this.registry.tokens.enrolDevice(row.id, {
      id: deviceId,
      siteGroup: row.siteGroup,
      screenName: row.screenName,
      publicKey: req.publicKey,
      nowMs: this.clock.now(),
      appVersion: req.appVersion,
    });
    // Two devices raced with one token: the loser sees it used.
    if (!ok) throw new EnrolmentError('ENROL_TOKEN_USED', `enrolment token ${row.id} was already used`);
    this.log.info('device enrolled', {
      deviceId,
      tokenId: row.id,
      siteGroup: row.siteGroup,
      screenName: row.screenName,
    });
    return { v: 1, deviceId, screenName: row.screenName, gate, trustedRoot };
  }
}
