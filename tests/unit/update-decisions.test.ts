import { describe, expect, it } from 'vitest';
import { classifyTufError, UpdateError } from '../../device/update/errors.js';
import { nextRefreshDelayMs } from '../../device/update/update-client.js';

describe('refresh backoff', () => {
  it('doubles from the base after each failure and is capped at the refresh interval', () => {
    const d = (n: number) => nextRefreshDelayMs(n, 15 * 60_000, 30_000);
    expect([0, 1, 2, 3, 4, 5, 6, 50].map(d)).toEqual([
      900_000, 30_000, 60_000, 120_000, 240_000, 480_000, 900_000, 900_000,
    ]);
  });
});

describe('naming what tuf-js threw', () => {
  const cases: [string, string][] = [
    ['Final timestamp.json is expired', 'METADATA_EXPIRED'],
    ['New timestamp version 1 is less than current version 2', 'METADATA_ROLLBACK'],
    [
      'Unable to load targets error Error: Version 1 of targets does not match snapshot version 2',
      'METADATA_MISMATCH',
    ],
    ['Unable to load targets error Error: kien-giang/ha-tien was signed by 1/2 keys', 'METADATA_SIGNATURE'],
    ['Unexpected end of JSON input', 'METADATA_MALFORMED'],
    ['Unable to load snapshot metadata error Error: http://x/2.snapshot.json: HTTP 503', 'DOWNLOAD_FAILED'],
  ];
  for (const [message, code] of cases)
    it(`"${message}" → ${code}`, () => expect(classifyTufError(new Error(message)).code).toBe(code));

  it('keeps our own code when tuf-js wrapped one of our errors into its message', () => {
    const inner = new UpdateError(
      'METADATA_TOO_LARGE',
      'http://x/2.snapshot.json is more than the 10 bytes allowed',
    );
    const wrapped = new Error(`Unable to load snapshot metadata error ${inner}`);
    const e = classifyTufError(wrapped);
    expect(e.code).toBe('METADATA_TOO_LARGE');
    expect(e.message).toContain('2.snapshot.json');
    expect(e.cause).toBe(wrapped);
  });
});
