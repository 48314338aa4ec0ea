/**
 * Ending an emergency early (docs/drafts.md §7). When an emergency draft is made, the server draws a
 * random secret and puts only its SHA-256, the **end commitment**, into the emergency in bundle.json;
 * the two approvers sign that bundle, so they also agree that whoever later reveals the secret may
 * take this emergency off the screens. The secret is revealed to the screens when an operator ends
 * the emergency; a screen removes the emergency only when the secret hashes to the commitment its
 * own verified bundle carries, so nothing new can go on air this way, only a signed emergency can
 * leave it.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/** 32 random bytes as lower-case hex. */
export const EndSecret = z
  .string()
  .regex(/^[0-9a-f]{64}$/, { message: 'end secret must be 64 lower-case hex digits' });
/** SHA-256 of the secret's 32 bytes, as lower-case hex. */
export const EndCommitment = z
  .string()
  .regex(/^[0-9a-f]{64}$/, { message: 'end commitment must be a SHA-256 as 64 lower-case hex digits' });

export function newEndSecret(): string {
  return randomBytes(32).toString('hex');
}

export function endCommitmentOf(secret: string): string {
  return createHash('sha256')
    .update(Buffer.from(EndSecret.parse(secret), 'hex'))
    .digest('hex');
}

/** Whether `secret` opens `commitment` (constant-time compare; a malformed secret opens nothing). */
export function opensCommitment(commitment: string, secret: string): boolean {
  if (!EndSecret.safeParse(secret).success || !EndCommitment.safeParse(commitment).success) return false;
  const a = Buffer.from(endCommitmentOf(secret), 'hex');
  const b = Buffer.from(commitment, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Which emergency an early end is about (POST /api/content/emergencies/end-early, GET …/end-check and
 * …/end-status): `id` is the emergency's id or the id of the emergency draft that put it on air;
 * `siteGroup` narrows it (required only when the same emergency id is in two site groups).
 */
export const EmergencyRef = z.object({
  siteGroup: z.string().min(1).max(200).optional(),
  id: z.string().min(1).max(200),
});
export type EmergencyRef = z.infer<typeof EmergencyRef>;

const ScreenOfGroup = z.object({ deviceId: z.string(), screenName: z.string(), online: z.boolean() });

/** What an early end would take off air, and the screens it would be sent to (GET …/end-check). */
export const EmergencyEndPreview = z.object({
  siteGroup: z.string(),
  emergencyId: z.string(),
  /** The version on air that carries it. */
  version: z.number().int(),
  startsAt: z.string(),
  expiresAt: z.string(),
  text: z.record(z.string(), z.object({ title: z.string().optional(), body: z.string() })),
  screens: z.array(ScreenOfGroup),
});
export type EmergencyEndPreview = z.infer<typeof EmergencyEndPreview>;

/** Who ended an emergency early and what each screen of its site group answered (…/end-status). */
export const EmergencyEndStatusView = z.object({
  siteGroup: z.string(),
  emergencyId: z.string(),
  endedAt: z.string(),
  endedBy: z.string(),
  expiresAt: z.string(),
  screens: z.array(
    ScreenOfGroup.extend({
      state: z.enum(['confirmed', 'waiting', 'refused', 'expired']),
      message: z.string().nullable(),
      commandId: z.string(),
    }),
  ),
  confirmed: z.number().int(),
  waiting: z.number().int(),
  refused: z.number().int(),
});
export type EmergencyEndStatusView = z.infer<typeof EmergencyEndStatusView>;
