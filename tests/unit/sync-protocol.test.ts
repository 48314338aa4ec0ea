import { describe, expect, it } from 'vitest';
import { chooseDrops } from '../../device/outbox/outbox.js';
import { checkServerUrl } from '../../device/sync/transport.js';
import { isProtocolError, type ProtocolError } from '../../protocol/errors.js';
import { checkJsonBounds } from '../../protocol/json-bounds.js';
import {
  FREE_JSON_BOUNDS,
  parseDeviceMessage,
  parseServerMessage,
  serverOrigin,
} from '../../protocol/messages.js';
import { TokenBucket } from '../../sync-server/ingest/rate-limit.js';

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

describe('bounds on free-form JSON', () => {
  const refusal = (raw: string): ProtocolError => {
    try {
      parseDeviceMessage(raw);
    } catch (e) {
      if (isProtocolError(e)) return e;
      throw e;
    }
    throw new Error('accepted');
  };
  const eventWithData = (data: string) =>
    `{"type":"batch","v":1,"stream":"event","fromSeq":1,"records":[{"seq":1,"at":5,"payload":` +
    `{"at":5,"kind":"k","level":"info","message":"m","data":${data}}}]}`;

  it('refuses event data nested a million levels deep with a ProtocolError naming where', () => {
    const depth = 1_000_000;
    const err = refusal(eventWithData(`{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`));
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]!.path).toMatch(/^records\.\[0\]\.payload\.data\.a(\.\[0\])+$/);
    expect(err.problems[0]!.message).toBe('nests deeper than 16 levels');
  });

  it('refuses a record payload beyond its size bound, and a command argument too deep', () => {
    const long = JSON.stringify({ a: 'x'.repeat(100 * 1024) });
    expect(refusal(eventWithData(long)).problems[0]).toEqual({
      path: 'records.[0].payload',
      message: 'longer than 81920 characters of JSON',
    });
    const deepArgs = JSON.parse(`{"a":${'['.repeat(9)}${']'.repeat(9)}}`) as unknown;
    const command = {
      type: 'command',
      v: 1,
      command: { id: 'c1', name: 'identify', issuedAtMs: 1, expiresAtMs: 2, args: deepArgs },
    };
    expect(() => parseServerMessage(JSON.stringify(command))).toThrow(
      /command\.args\.a(\.\[0\]){7}: nests deeper/,
    );
  });

  it('accepts data at the bounds and measures JSON text exactly for plain values', () => {
    const atLimit = `{"a":${'['.repeat(7)}1${']'.repeat(7)}}`;
    expect(parseDeviceMessage(eventWithData(atLimit)).type).toBe('batch');
    for (const v of [{ a: 'xx', b: [1, 2, { c: null, d: true }], e: {} }, [], 'text', [[], [1.5]]]) {
      const chars = JSON.stringify(v).length;
      expect(checkJsonBounds(v, { maxDepth: 8, maxChars: chars })).toBeUndefined();
      expect(checkJsonBounds(v, { maxDepth: 8, maxChars: chars - 1 })?.message).toMatch(/longer than/);
    }
    // A very wide value is refused without walking its members.
    expect(checkJsonBounds(new Array(1e6).fill(0), FREE_JSON_BOUNDS)?.message).toMatch(/longer than/);
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
