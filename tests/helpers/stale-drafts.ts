/**
 * Out-of-date drafts for tests: a draft sent back and an open one, both made from version 1, then
 * version 2 published through the dashboard API (two approvers' signatures).
 */
import { Buffer } from 'node:buffer';
import { expect } from 'vitest';
import type { SigningKey } from '../../platform/tuf-keys.js';
import { actor, type approvalRig, type Session } from './approval.js';

const signCanonical = (canonicalB64: string, key: SigningKey) =>
  key.signer(Buffer.from(canonicalB64, 'base64')).sig;

export type Rig = Awaited<ReturnType<typeof approvalRig>>;

/** Signs draft `id` through the dashboard API as ap1 then ap2 (it publishes at the second). */
/** ap1 and ap2 sign draft `id` with the first two approver keys; the second signature's answer. */
export async function signTwice(rig: Rig, id: string, ap1: Session, ap2: Session) {
  const [k1, k2] = rig.tuf.keys.approvers as [SigningKey, SigningKey];
  const review = (await rig.call(ap1, 'GET', `/api/content/drafts/${id}`)).body;
  const path = `/api/content/drafts/${id}/signatures`;
  await rig.call(ap1, 'POST', path, { sig: signCanonical(review.canonical, k1), keyid: k1.keyId });
  return rig.call(ap2, 'POST', path, { sig: signCanonical(review.canonical, k2), keyid: k2.keyId });
}

export async function approveTwice(rig: Rig, id: string, ap1: Session, ap2: Session) {
  const second = await signTwice(rig, id, ap1, ap2);
  expect(second.status).toBe(200);
  return second.body;
}

/** A draft sent back (by ap1) and an open one, both made from version 1; then version 2 goes on air. */
export async function staleScene(rig: Rig) {
  const [author, ap1, ap2, admin] = await rig.logins('author', 'ap1', 'ap2', 'admin');
  const sentBack = await rig.contentDraft(actor('author'), 'Lời chào của bản nháp bị trả lại');
  const rejected = await rig.call(ap1, 'POST', `/api/content/drafts/${sentBack.id}/reject`, {
    comment: 'Sửa lời chào',
  });
  expect(rejected.status).toBe(200);
  const open = await rig.contentDraft(actor('author'), 'Lời chào của bản nháp còn mở');
  const newer = await rig.contentDraft(actor('author'), 'Lời chào phiên bản 2');
  expect((await approveTwice(rig, newer.id, ap1, ap2)).published).toMatchObject({ version: 2 });
  return { author, ap1, ap2, admin, sentBack, open };
}
