/**
 * Device side of enrolment: make (or reuse) the device key, present the one-time token and the public
 * key to the server over HTTPS, then write the device config and the TUF trusted root atomically.
 * Nothing is written unless the server accepted the token.
 *
 * Two layers, so `gatecast enrol` and `gatecast provision` share one exchange and one set of paths:
 * `exchangeEnrolment` (key + HTTP exchange; the key is written only once the server accepted it) and
 * `enrolDevice` (the exchange, then the files). Provisioning writes the same files through its own
 * target with `trustedRootText` and `deviceConfigFromEnrolment`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { writeFileAtomic } from '../../platform/atomic-file.js';
import { type DeviceConfigInput, parseDeviceConfig } from '../../protocol/config.js';
import {
  ENROL_PATH,
  type EnrolRequest,
  type EnrolResponse,
  parseEnrolResponse,
} from '../../protocol/messages.js';
import { prepareIdentity } from '../identity.js';
import { checkServerUrl, SyncError } from './transport.js';

export interface EnrolOptions {
  serverUrl: string;
  token: string;
  dataDir: string;
  /** Where to write the device config; default `<dataDir>/device.json`. */
  configPath?: string;
  /** PEM of the server certificate or CA; copied into dataDir and named in the config. */
  caFile?: string;
  allowInsecure?: boolean;
  appVersion?: string;
  /** Enrol again even though a config with a device id exists (with a new device key). */
  force?: boolean;
  timeoutMs?: number;
}

export interface EnrolResult {
  deviceId: string;
  configPath: string;
  trustedRootPath: string;
  response: EnrolResponse;
}

/** Where the device's TUF client starts its chain of trust (device/main.ts reads it from here). */
export const trustedRootPath = (dataDir: string) => join(dataDir, 'tuf', 'root.json');
/** The copy of the server certificate or CA given at enrolment (named in the config's server.caFile). */
export const serverCaPath = (dataDir: string) => join(dataDir, 'server-ca.pem');

/** The server answered enrolment with a refusal; `serverCode` is its stable code (ENROL_TOKEN_USED, …). */
export class EnrolRefusedError extends SyncError {
  constructor(
    message: string,
    readonly status: number,
    readonly serverCode: string | undefined,
  ) {
    super('SYNC_ENROL_REFUSED', message);
  }
}
export const isEnrolRefusedError = (e: unknown): e is EnrolRefusedError => e instanceof EnrolRefusedError;

/** Sends a JSON request (no body for GET) and returns the status and parsed body; `ca` pins the server's certificate or CA. */
export function requestJson(
  method: 'GET' | 'POST',
  url: URL,
  body: unknown,
  ca: Buffer | undefined,
  timeoutMs: number,
): Promise<{ status: number; body: unknown }> {
  const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  const req = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const r = req(
      url,
      {
        method,
        headers: data ? { 'content-type': 'application/json', 'content-length': data.length } : {},
        timeout: timeoutMs,
        ...(ca ? { ca } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > 4 * 1024 * 1024) {
            res.destroy(new Error('response too large'));
            return;
          }
          chunks.push(c);
        });
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) });
          } catch (err) {
            reject(
              new SyncError('SYNC_ENROL_BAD_RESPONSE', `server answered ${res.statusCode} with non-JSON`, {
                cause: err,
              }),
            );
          }
        });
        res.on('error', reject);
      },
    );
    r.on('timeout', () => r.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    r.on('error', (err) =>
      reject(
        new SyncError('SYNC_ENROL_FAILED', `cannot reach ${url.origin}: ${err.message}`, { cause: err }),
      ),
    );
    r.end(data);
  });
}

/** POSTs JSON and returns the status and parsed body; `ca` pins the server's certificate or CA. */
export function postJson(
  url: URL,
  body: unknown,
  ca: Buffer | undefined,
  timeoutMs: number,
): Promise<{ status: number; body: unknown }> {
  return requestJson('POST', url, body, ca, timeoutMs);
}

/** Reads the PEM of the server certificate or CA a technician was given. */
export function readCaFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new SyncError('SYNC_ENROL_FAILED', `cannot read CA file ${path}`, { cause: err });
  }
}

export interface EnrolExchangeOptions {
  serverUrl: string;
  token: string;
  /** Where the device key lives (`identityKeyPath(dataDir)`). */
  dataDir: string;
  /** PEM of the server certificate or CA to trust (pinned for this request). */
  ca?: Buffer;
  allowInsecure?: boolean;
  appVersion?: string;
  /** Enrol with a new key even when one exists (re-enrolment). */
  newKey?: boolean;
  timeoutMs?: number;
}

/**
 * The enrolment exchange: reuse the device key in `dataDir` (or make one), POST the token and the
 * public key to ENROL_PATH, parse the answer. The key file is written only after the server accepted
 * it; a refusal, an unreachable server or a malformed answer leaves `dataDir` as it was.
 */
export async function exchangeEnrolment(
  o: EnrolExchangeOptions,
): Promise<{ base: URL; response: EnrolResponse }> {
  const base = checkServerUrl(o.serverUrl, o.allowInsecure);
  const key = prepareIdentity(o.dataDir, o.newKey);
  const req: EnrolRequest = {
    v: 1,
    token: o.token,
    publicKey: key.identity.publicKey,
    ...(o.appVersion ? { appVersion: o.appVersion } : {}),
  };
  const res = await postJson(new URL(ENROL_PATH, base), req, o.ca, o.timeoutMs ?? 30_000);
  if (res.status !== 200) {
    // The server answers {error: {code, message}}; servers before it answered {code, message}.
    const raw = (res.body ?? {}) as {
      error?: { code?: string; message?: string };
      code?: string;
      message?: string;
    };
    const b = raw.error ?? raw;
    throw new EnrolRefusedError(
      `server refused enrolment: ${b.message ?? 'no reason given'} [${b.code ?? res.status}]`,
      res.status,
      b.code,
    );
  }
  const response = parseEnrolResponse(res.body);
  key.persist();
  return { base, response };
}

/** The trusted root file's text, as written at `trustedRootPath(dataDir)`. */
export const trustedRootText = (response: EnrolResponse): string =>
  `${JSON.stringify(response.trustedRoot, null, 2)}\n`;

/** The device config an enrolment gives (what device/main.ts reads). */
export function deviceConfigFromEnrolment(
  response: EnrolResponse,
  where: { dataDir: string; serverUrl: URL; caFile?: string | undefined },
): DeviceConfigInput {
  return {
    deviceId: response.deviceId,
    screenName: response.screenName,
    gate: response.gate,
    dataDir: where.dataDir,
    server: { url: where.serverUrl.origin, ...(where.caFile ? { caFile: where.caFile } : {}) },
  };
}

export async function enrolDevice(o: EnrolOptions): Promise<EnrolResult> {
  checkServerUrl(o.serverUrl, o.allowInsecure);
  const configPath = o.configPath ?? join(o.dataDir, 'device.json');
  if (!o.force && existsSync(configPath)) {
    let existing: { deviceId?: string } = {};
    try {
      existing = JSON.parse(readFileSync(configPath, 'utf8')) as { deviceId?: string };
    } catch {
      // an unreadable config is replaced by enrolment; nothing to keep from it
    }
    if (existing.deviceId) {
      throw new SyncError(
        'SYNC_ENROL_REFUSED',
        `already enrolled as ${existing.deviceId} (${configPath}); pass --force to enrol again`,
      );
    }
  }
  const ca = o.caFile ? readCaFile(o.caFile) : undefined;
  const { base, response } = await exchangeEnrolment({
    serverUrl: o.serverUrl,
    token: o.token,
    dataDir: o.dataDir,
    ...(ca ? { ca } : {}),
    ...(o.allowInsecure ? { allowInsecure: true } : {}),
    ...(o.appVersion ? { appVersion: o.appVersion } : {}),
    newKey: Boolean(o.force),
    ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}),
  });
  const caPath = ca ? serverCaPath(o.dataDir) : undefined;
  const config = deviceConfigFromEnrolment(response, { dataDir: o.dataDir, serverUrl: base, caFile: caPath });
  parseDeviceConfig(config); // what we write must be what the daemon accepts
  if (ca && caPath) await writeFileAtomic(caPath, ca, 0o644);
  await writeFileAtomic(trustedRootPath(o.dataDir), trustedRootText(response), 0o644);
  await writeFileAtomic(configPath, `${JSON.stringify(config, null, 2)}\n`, 0o640);
  return { deviceId: response.deviceId, configPath, trustedRootPath: trustedRootPath(o.dataDir), response };
}
