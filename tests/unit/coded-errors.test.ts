import { describe, expect, it } from 'vitest';
import {
  coded,
  ConfigError,
  GatecastError,
  isConfigError,
  isGatecastError,
  ProblemsError,
} from '../../protocol/errors.js';
import { DraftNotFoundError, ThresholdError } from '../../sync-server/tuf/errors.js';
import { RateLimitedError } from '../../sync-server/accounts/errors.js';
import { errorAnswer } from '../../sync-server/web/errors.js';

class SampleError extends coded('SAMPLE_FAILED') {}

describe('coded error classes', () => {
  it('carry their code, their own name, the message and the cause', () => {
    const cause = new Error('disk');
    const err = new SampleError('it failed', { cause });
    const code: 'SAMPLE_FAILED' = err.code;
    expect(code).toBe('SAMPLE_FAILED');
    expect(err.name).toBe('SampleError');
    expect(err.message).toBe('it failed');
    expect(err.cause).toBe(cause);
    expect(err).toBeInstanceOf(SampleError);
    expect(err).toBeInstanceOf(GatecastError);
    expect(isGatecastError(err)).toBe(true);
    expect(String(err.stack)).toMatch(/^SampleError: it failed/);
  });

  it('keep the constructor of a ProblemsError base: the problems are listed in the message', () => {
    const err = new ConfigError('config is invalid', [{ path: 'sync.url', message: 'must be wss' }]);
    expect(err).toBeInstanceOf(ProblemsError);
    expect(isConfigError(err)).toBe(true);
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.problems).toEqual([{ path: 'sync.url', message: 'must be wss' }]);
    expect(err.message).toBe('config is invalid:\n  - sync.url: must be wss');
  });

  it('are told apart by instanceof even when they share a base', () => {
    expect(new DraftNotFoundError('no such draft')).not.toBeInstanceOf(SampleError);
    expect(new SampleError('x')).not.toBeInstanceOf(DraftNotFoundError);
  });

  it('answer over HTTP with the status, fields and Retry-After their code and class give', () => {
    expect(errorAnswer(new DraftNotFoundError('no draft d-1'))).toMatchObject({
      status: 404,
      body: { error: { code: 'DRAFT_NOT_FOUND', message: 'no draft d-1' } },
    });
    const threshold = new ThresholdError('1 of 2 signatures', 1, 2);
    expect([threshold.code, threshold.have, threshold.need]).toEqual(['THRESHOLD_NOT_MET', 1, 2]);
    expect(errorAnswer(threshold).status).toBe(409);
    const limited = errorAnswer(new RateLimitedError(2500));
    expect(limited).toMatchObject({ status: 429, headers: { 'retry-after': '3' } });
    expect(limited.body.error).toMatchObject({ code: 'AUTH_RATE_LIMITED', retryAfterS: 3 });
    expect(errorAnswer(new SampleError('no HTTP meaning'))).toMatchObject({ status: 500, fault: true });
  });
});
