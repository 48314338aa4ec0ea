import { describe, expect, it } from 'vitest';
import {
  deadlinePassed,
  type SigningState,
  signingRefusal,
} from '../../../sync-server/tuf/draft-signing-rules.js';

const NOW = Date.parse('2026-11-22T06:00:00Z');
const draft = (over: Partial<SigningState> = {}): SigningState => ({
  id: 'd20261122t055000-0a1b2c3d',
  kind: 'content',
  createdBy: 'author',
  signatures: [],
  ...over,
});

describe('two-person signing rules', () => {
  it('lets a second account sign', () => {
    expect(signingRefusal(draft(), 'approver1', NOW)).toBeUndefined();
    expect(signingRefusal(draft({ signatures: [{ by: 'approver1' }] }), 'approver2', NOW)).toBeUndefined();
  });

  it('refuses the creator', () => {
    expect(signingRefusal(draft(), 'author', NOW)).toMatchObject({ code: 'SIGNER_IS_CREATOR' });
  });

  it('refuses the same account twice, whatever key it would use', () => {
    const d = draft({ signatures: [{ by: 'approver1' }] });
    expect(signingRefusal(d, 'approver1', NOW)).toMatchObject({ code: 'SIGNER_REPEATED' });
  });

  it('judges signatures without an account by their key alone', () => {
    const d = draft({ signatures: [{ by: undefined }, {}] });
    expect(signingRefusal(d, undefined, NOW)).toBeUndefined();
    expect(signingRefusal(draft({ createdBy: undefined }), 'approver1', NOW)).toBeUndefined();
  });

  it('closes an emergency draft after its deadline, for accounts and keys alike', () => {
    const d = draft({ kind: 'emergency', approveBy: '2026-11-22T06:00:00Z' });
    expect(signingRefusal(d, 'approver1', NOW)).toBeUndefined();
    expect(signingRefusal(d, 'approver1', NOW + 1)).toMatchObject({ code: 'EMERGENCY_DRAFT_EXPIRED' });
    expect(signingRefusal(d, undefined, NOW + 1)).toMatchObject({ code: 'EMERGENCY_DRAFT_EXPIRED' });
    // A content draft has no deadline even if one were recorded.
    expect(deadlinePassed({ ...d, kind: 'content' }, NOW + 86400_000)).toBeUndefined();
  });
});
