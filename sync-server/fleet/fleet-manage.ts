/**
 * Managing the fleet: enrolment tokens (create with a QR code, list, revoke) and screens (rename,
 * move to another gate, retire, revoke the key). The dashboard and the ops API both come here, so
 * each change is audited (under the signed-in account, or as the ops token with the caller's
 * address) and tells the fleet view; retiring resolves the screen's open alerts with the reason.
 */
import QRCode from 'qrcode';
import type { Clock } from '../../protocol/clock.js';
import { GatecastError } from '../../protocol/errors.js';
import type { AuditActor as Actor, AccountService } from '../accounts/service.js';
import { type CreatedToken, type Enrolment, normaliseScreenName } from '../enrolment/enrolment.js';
import type { DeviceRow } from '../registry/device-store.js';
import type { TokenRow } from '../registry/enrolment-token-store.js';
import type { Registry } from '../registry/registry.js';
import type { AlertResolveReason } from '../alerts/types.js';
import { NotFoundError } from '../web/errors.js';

/** A retired screen: nothing more can be done to it. */
export class DeviceRetiredError extends GatecastError {
  readonly code = 'DEVICE_RETIRED';
}

/** Moving a screen to a gate this server does not know. */
export class GateUnknownError extends GatecastError {
  readonly code = 'SITE_GROUP_UNKNOWN';
}

export type TokenStatus = 'pending' | 'used' | 'expired' | 'revoked';

export interface TokenView extends TokenRow {
  status: TokenStatus;
}

export function tokenStatus(t: TokenRow, now: number): TokenStatus {
  if (t.revokedAtMs !== null) return 'revoked';
  if (t.usedAtMs !== null) return 'used';
  return t.expiresAtMs <= now ? 'expired' : 'pending';
}

export interface FleetManagerDeps {
  registry: Registry;
  enrolment: Enrolment;
  accounts: Pick<AccountService, 'audit'>;
  hub: { disconnect(deviceId: string, reason: string): void };
  /** Resolves a device's open alerts (the alert monitor). */
  resolveAlerts: (deviceId: string, reason: AlertResolveReason) => void;
  /** Re-reads a device for the fleet page. */
  refresh: (deviceId: string) => void;
  clock: Clock;
}

export class FleetManager {
  constructor(private readonly d: FleetManagerDeps) {}

  /** A new token and its QR code (SVG) for the technician to scan; the token is shown only now. */
  async createToken(
    actor: Actor,
    siteGroup: string,
    screenName: string,
    ttlMs: number,
  ): Promise<CreatedToken & { qrSvg: string }> {
    const t = this.d.enrolment.createToken(siteGroup, screenName, ttlMs);
    this.d.accounts.audit(actor, 'enrolment.token.create', t.id, 'ok', {
      siteGroup: t.siteGroup,
      screenName: t.screenName,
      expiresAtMs: t.expiresAtMs,
    });
    const qrSvg = await QRCode.toString(t.token, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
    return { ...t, qrSvg };
  }

  tokens(): TokenView[] {
    const now = this.d.clock.now();
    return this.d.registry.tokens.list().map((t) => ({ ...t, status: tokenStatus(t, now) }));
  }

  revokeToken(actor: Actor, id: string): TokenView {
    if (!this.d.registry.tokens.get(id)) throw new NotFoundError(`no enrolment token ${id}`);
    const changed = this.d.registry.tokens.revoke(id, this.d.clock.now());
    this.d.accounts.audit(actor, 'enrolment.token.revoke', id, 'ok', changed ? {} : { already: true });
    return this.tokens().find((t) => t.id === id)!;
  }

  /** Every screen, retired and revoked ones too, by gate and name. */
  devices(): DeviceRow[] {
    return this.d.registry.devices.list();
  }

  rename(actor: Actor, id: string, rawName: string): DeviceRow {
    const before = this.inService(id);
    const screenName = normaliseScreenName(rawName);
    this.d.registry.devices.rename(id, screenName);
    this.d.accounts.audit(actor, 'device.rename', id, 'ok', { from: before.screenName, to: screenName });
    return this.changed(id);
  }

  move(actor: Actor, id: string, siteGroup: string): DeviceRow {
    const before = this.inService(id);
    if (!this.d.registry.gates.get(siteGroup)) throw new GateUnknownError(`no gate ${siteGroup}`);
    this.d.registry.devices.move(id, siteGroup);
    this.d.accounts.audit(actor, 'device.move', id, 'ok', { from: before.siteGroup, to: siteGroup });
    return this.changed(id);
  }

  /** Revokes the screen's key: its link closes and it cannot connect again until re-enrolled. */
  revokeKey(actor: Actor, id: string): DeviceRow {
    this.inService(id);
    this.d.registry.devices.revoke(id, this.d.clock.now());
    this.d.hub.disconnect(id, 'device revoked');
    this.d.accounts.audit(actor, 'device.revoke', id, 'ok');
    return this.changed(id);
  }

  /**
   * Takes a screen out of service for good (a mistyped enrolment that never connected, a screen
   * removed): its key is revoked, its link closed, its open alerts resolved as 'retired'.
   */
  retire(actor: Actor, id: string): DeviceRow {
    const before = this.inService(id);
    this.d.registry.devices.retire(id, this.d.clock.now());
    this.d.hub.disconnect(id, 'device retired');
    this.d.resolveAlerts(id, 'retired');
    this.d.accounts.audit(actor, 'device.retire', id, 'ok', {
      screenName: before.screenName,
      siteGroup: before.siteGroup,
      everConnected: before.lastSeenMs !== null,
    });
    return this.changed(id);
  }

  private inService(id: string): DeviceRow {
    const row = this.d.registry.devices.get(id);
    if (!row) throw new NotFoundError(`no device ${id}`);
    if (row.retiredAtMs !== null) throw new DeviceRetiredError(`device ${id} is retired`);
    return row;
  }

  private changed(id: string): DeviceRow {
    this.d.refresh(id);
    return this.d.registry.devices.get(id)!;
  }
}
