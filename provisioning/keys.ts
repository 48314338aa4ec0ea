/**
 * Approver key tools. An approver's private key stays on the approver's machine: the draft's
 * payload (the `signed` part of the site group's next targets metadata) comes in, one signature
 * goes out. Signing uses @tufjs/models' own canonical-JSON signing.
 */
import { createHash } from 'node:crypto';
import { canonicalize } from '@tufjs/canonical-json';
import { Metadata, MetadataKind } from '@tufjs/models';
import { BUNDLE_MANIFEST_NAME } from '../protocol/content.js';
import { coded } from '../protocol/errors.js';
import type { SignatureUpload } from '../protocol/publish-api.js';
import type { SigningKey } from '../platform/tuf-keys.js';

export {
  generateKeyPairFiles,
  loadPublicKey,
  loadSigningKey,
  publicKeyFileOf,
  type SigningKey,
} from '../platform/tuf-keys.js';

export class SigningPayloadError extends coded('SIGNING_PAYLOAD_INVALID') {}

export interface PayloadSummary {
  version: number;
  expires: string;
  targets: { path: string; length: number; sha256: string }[];
}

/** A draft's payload read as targets metadata; a SigningPayloadError if it is not. */
function targetsMetadata(signed: Record<string, unknown>): Metadata<import('@tufjs/models').Targets> {
  try {
    return Metadata.fromJSON(MetadataKind.Targets, { signed, signatures: [] } as never);
  } catch (err) {
    throw new SigningPayloadError(`the draft payload is not targets metadata (${(err as Error).message})`, {
      cause: err,
    });
  }
}

/** Reads a draft's payload as targets metadata; refuses anything else (e.g. a payload with delegations). */
export function summarisePayload(signed: Record<string, unknown>): PayloadSummary {
  const md = targetsMetadata(signed);
  if (md.signed.delegations)
    throw new SigningPayloadError('the draft payload delegates to other keys; refusing to sign');
  return {
    version: md.signed.version,
    expires: md.signed.expires,
    targets: Object.values(md.signed.targets).map((t) => ({
      path: t.path,
      length: t.length,
      sha256: t.hashes['sha256'] ?? '',
    })),
  };
}

/**
 * The exact bytes an approver signs for a draft payload: TUF canonical JSON of the targets
 * metadata's `signed` part (what @tufjs/models signs and verifies), and their SHA-256.
 */
export function draftSigningPayload(signed: Record<string, unknown>): { bytes: Buffer; sha256: string } {
  const md = targetsMetadata(signed);
  const bytes = Buffer.from(canonicalize(md.signed.toJSON()));
  return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/**
 * Signs a draft payload with a local key: the bytes of draftSigningPayload, and the upload names
 * their digest so the server refuses it if the draft changed since. When `manifest` (the draft's bundle.json bytes, fetched
 * for review) is given, refuses unless the payload's bundle.json target is exactly those bytes.
 */
export function signDraftPayload(
  signed: Record<string, unknown>,
  key: SigningKey,
  check: { siteGroup: string; manifest?: Uint8Array },
): SignatureUpload {
  const summary = summarisePayload(signed);
  const outside = summary.targets.find((t) => !t.path.startsWith(`${check.siteGroup}/`));
  if (outside)
    throw new SigningPayloadError(`target "${outside.path}" lies outside site group "${check.siteGroup}"`);
  if (check.manifest) {
    const bundle = summary.targets.find((t) => t.path === `${check.siteGroup}/${BUNDLE_MANIFEST_NAME}`);
    const sha = createHash('sha256').update(check.manifest).digest('hex');
    if (!bundle || bundle.sha256 !== sha || bundle.length !== check.manifest.length)
      throw new SigningPayloadError(
        'the bundle.json shown for review is not the one in the payload; refusing to sign',
      );
  }
  const payload = draftSigningPayload(signed);
  const sig = key.signer(payload.bytes);
  return { keyid: sig.keyID, sig: sig.sig, payloadSha256: payload.sha256 };
}
