import { describe, expect, it } from 'vitest';
import { chooseDrops } from '../../device/outbox/outbox.js';
import { backoffDelay } from '../../device/sync/backoff.js';
import { checkServerUrl } from '../../device/sync/transport.js';
import { isProtocolError } from '../../protocol/errors.js';
import { parseDeviceMessage, parseServerMessage, serverOrigin } from '../../protocol/messages.js';
import { TokenBucket } from '../../sync-server/rate-limit.js';

describe('protocol messages', () => {
  it('parses a valid batch and refuses unknown types, versions and non-JSON with ProtocolError', () => {
    const m = parseDeviceMessage(
      JSON.stringify({
        type: 'batch',
        v: 1,
        stream: 'pop',
        fromSeq: 1,
        records: [{ seq: 1, at: 5, payload: { hash: 'h' } }],
      }),
    );
    expect(m.type).toBe('batch');
    for (const bad of [
      '{',
      '{"type":"nope","v":1}',
      '{"type":"hello","v":2,"deviceId":"gc-1234","appVersion":"1"}',
      '[]',
    ]) {
      let err: unknown;
      try {
        parseDeviceMessage(bad);
      } catch (e) {
        err = e;
      }
      expect(isProtocolError(err)).toBe(true);
    }
    expect(() => parseServerMessage('{"type":"ack","v":1,"stream":"health","uptoSeq":-1}')).toThrow(
      /uptoSeq/,
    );
  });

  it('computes the signed origin the same way for ws, wss, http and https URLs', () => {
    expect(serverOrigin('wss://a.example:8443/ws/device')).toBe('https://a.example:8443');
    expect(serverOrigin('https://a.example:8443')).toBe('https://a.example:8443');
    expect(serverOrigin('ws://127.0.0.1:9/x')).toBe('http://127.0.0.1:9');
  });

  it('allows plain http only to loopback or with the dev flag', () => {
    expect(checkServerUrl('http://127.0.0.1:80').hostname).toBe('127.0.0.1');
    expect(checkServerUrl('http://localhost:80').hostname).toBe('localhost');
    expect(checkServerUrl('https://signage.example.gov.vn').protocol).toBe('https:');
    expect(() => checkServerUrl('http://10.0.0.5')).toThrow(/refusing plain http/);
    expect(checkServerUrl('http://10.0.0.5', true).hostname).toBe('10.0.0.5');
    expect(() => checkServerUrl('ftp://x')).toThrow(/unsupported scheme/);
  });
});

describe('reconnect backoff', () => {
  it('grows exponentially, is capped, jitters fully, and honours retry-after as a floor', () => {
    const o = { baseMs: 1000, maxMs: 60_000 };
    expect(backoffDelay(0, o, () => 0.999)).toBe(999);
    expect(backoffDelay(3, o, () => 0.5)).toBe(4000);
    expect(backoffDelay(20, o, () => 0.999)).toBe(59_940);
    expect(backoffDelay(5, o, () => 0)).toBe(0);
    expect(backoffDelay(0, o, () => 0.5, 30_000)).toBe(30_000);
  });
});

describe('rate limit', () => {
  it('allows the burst, refuses past it, and refills over time', () => {
    const b = new TokenBucket({ perSecond: 10, capacity: 3 }, 0);
    expect([b.take(0), b.take(0), b.take(0), b.take(0)]).toEqual([true, true, true, false]);
    expect(b.retryAfterMs()).toBe(100);
    expect(b.take(100)).toBe(true);
    expect(b.take(100)).toBe(false);
  });
});

describe('outbox drop policy', () => {
  it('drops oldest health first, then events, then proof-of-play', () => {
    const cands = [
      { stream: 'health' as const, seq: 1, bytes: 10 },
      { stream: 'health' as const, seq: 2, bytes: 10 },
      { stream: 'event' as const, seq: 1, bytes: 10 },
      { stream: 'pop' as const, seq: -1, bytes: 10 },
    ];
    expect(chooseDrops({ rows: 10, bytes: 100 }, { maxRows: 10, maxBytes: 100 }, cands)).toEqual([]);
    expect(
      chooseDrops({ rows: 13, bytes: 130 }, { maxRows: 10, maxBytes: 1000 }, cands).map((d) => d.stream),
    ).toEqual(['health', 'health', 'event']);
    expect(chooseDrops({ rows: 5, bytes: 140 }, { maxRows: 10, maxBytes: 100 }, cands)).toHaveLength(4);
  });
});
