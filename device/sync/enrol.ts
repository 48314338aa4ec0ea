/**
 * Device side of enrolment: make (or reuse) the device key, present the one-time token and the public
 * key to the server over HTTPS, then write the device config and the TUF trusted root atomically.
 * Nothing is written unless the server accepted the token.
 */
import { existsSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { writeFileAtomic } from '../../protocol/atomic-file.js';
import { type DeviceConfigInput, parseDeviceConfig } from '../../protocol/config.js';
import {
  ENROL_PATH,
  type EnrolRequest,
  type EnrolResponse,
  parseEnrolResponse,
} from '../../protocol/messages.js';
import { loadOrCreateIdentity } from '../identity.js';
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
  /** Enrol again even though a config with a device id exists. */
  force?: boolean;
  timeoutMs?: number;
}

export interface EnrolResult {
  deviceId: string;
  configPath: string;
  trustedRootPath: string;
  response: EnrolResponse;
}

export const trustedRootPath = (dataDir: string) => join(dataDir, 'tuf', 'root.json');
export const serverCaPath = (dataDir: string) => join(dataDir, 'server-ca.pem');

/** POSTs JSON and returns the status and parsed body; `ca` pins the server's certificate or CA. */
export function postJson(
  url: URL,
  body: unknown,
  ca: Buffer | undefined,
  timeoutMs: number,
): Promise<{ status: number; body: unknown }> {
  const data = Buffer.from(JSON.stringify(body));
  const req = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const r = req(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': data.length },
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
              new SyncError('SYNC_ENROL_FAILED', `server answered ${res.statusCode} with non-JSON`, {
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

export async function enrolDevice(o: EnrolOptions): Promise<EnrolResult> {
  const base = checkServerUrl(o.serverUrl, o.allowInsecure);
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
  let ca: Buffer | undefined;
  if (o.caFile) {
    try {
      ca = readFileSync(o.caFile);
    } catch (err) {
      throw new SyncError('SYNC_ENROL_FAILED', `cannot read CA file ${o.caFile}`, { cause: err });
    }
  }
  const identity = loadOrCreateIdentity(o.dataDir);
  const req: EnrolRequest = {
    v: 1,
    token: o.token,
    publicKey: identity.publicKey,
    ...(o.appVersion ? { appVersion: o.appVersion } : {}),
  };
  const res = await postJson(new URL(ENROL_PATH, base), req, ca, o.timeoutMs ?? 30_000);
  if (res.status !== 200) {
    const b = res.body as { code?: string; message?: string };
    throw new SyncError(
      'SYNC_ENROL_REFUSED',
      `server refused enrolment: ${b.message ?? 'no reason given'} [${b.code ?? res.status}]`,
    );
  }
  const response = parseEnrolResponse(res.body);
  const caPath = ca ? serverCaPath(o.dataDir) : undefined;
  const config: DeviceConfigInput = {
    deviceId: response.deviceId,
    screenName: response.screenName,
    gate: response.gate,
    dataDir: o.dataDir,
    server: { url: base.origin, ...(caPath ? { caFile: caPath } : {}) },
  };
  parseDeviceConfig(config); // what we write must be what the daemon accepts
  if (ca && caPath) await writeFileAtomic(caPath, ca, 0o644);
  await writeFileAtomic(
    trustedRootPath(o.dataDir),
    `${JSON.stringify(response.trustedRoot, null, 2)}\n`,
    0o644,
  );
  await writeFileAtomic(configPath, `${JSON.stringify(config, null, 2)}\n`, 0o640);
  return { deviceId: response.deviceId, configPath, trustedRootPath: trustedRootPath(o.dataDir), response };
}
