/**
 * Every way an update can be refused or fail, each with a stable code. The health report, the
 * server's dashboard and the CLI name the cause by code; the message says which role or file.
 */
import { GatecastError } from '../../protocol/errors.js';

export type UpdateErrorCode =
  /** A metadata signature is missing, made by an unknown key, or below the role's threshold. */
  | 'METADATA_SIGNATURE'
  /** A role's version went backwards (rollback attack). */
  | 'METADATA_ROLLBACK'
  /** A role has expired (freeze attack). */
  | 'METADATA_EXPIRED'
  /** Snapshot, timestamp and targets do not agree (mix-and-match). */
  | 'METADATA_MISMATCH'
  /** A metadata file is larger than its allowed maximum. */
  | 'METADATA_TOO_LARGE'
  /** A metadata file is not valid JSON or not valid TUF. */
  | 'METADATA_MALFORMED'
  /** The local trusted metadata is missing or unreadable and no good copy exists. */
  | 'METADATA_STORE'
  /** A target's bytes do not match the length in verified metadata. */
  | 'TARGET_LENGTH_MISMATCH'
  /** A target's bytes do not match the hash in verified metadata. */
  | 'TARGET_HASH_MISMATCH'
  /** A target path would escape the store (`..`, absolute, backslash, NUL …). */
  | 'TARGET_PATH_UNSAFE'
  /** Verified metadata has no such target. */
  | 'TARGET_NOT_FOUND'
  /** The bundle is older than (or as old as) the installed one. */
  | 'BUNDLE_ROLLBACK'
  /** The bundle manifest breaks the content model. */
  | 'BUNDLE_INVALID'
  /** Installing would exceed update.storeQuotaBytes. */
  | 'STORE_QUOTA_EXCEEDED'
  /** A download would use (or, while running, used) the data disk's reserve; its partial file is dropped. */
  | 'DISK_SPACE_LOW'
  /** The data disk was full (ENOSPC) while writing; the partial file is dropped. */
  | 'DISK_FULL'
  /** The repository could not be reached or answered with an HTTP error. */
  | 'DOWNLOAD_FAILED'
  /** One metadata file or target download took longer than its budget (update.*BudgetMs). */
  | 'TRANSFER_BUDGET_EXCEEDED'
  /** A transfer ran below update.minBytesPerSecond over a throughput window. */
  | 'THROUGHPUT_TOO_LOW'
  /** The refresh as a whole took longer than update.refreshBudgetMs. */
  | 'REFRESH_BUDGET_EXCEEDED';

export class UpdateError extends GatecastError {
  constructor(
    readonly code: UpdateErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${message} [${code}]`, options);
  }
}

export const isUpdateError = (e: unknown): e is UpdateError => e instanceof UpdateError;

const CODE_IN_TEXT = /\[([A-Z_]+)\]/;

/**
 * Turns whatever tuf-js threw into a named UpdateError. tuf-js wraps the errors of snapshot and
 * targets loading into a RuntimeError whose message embeds the original one, so the cause is read
 * from the text as well as from the class.
 */
export function classifyTufError(err: unknown): UpdateError {
  if (isUpdateError(err)) return err;
  const text = err instanceof Error ? `${err.constructor.name}: ${err.message}` : String(err);
  const embedded = CODE_IN_TEXT.exec(text)?.[1];
  const known = (c: string): c is UpdateErrorCode => KNOWN_CODES.has(c as UpdateErrorCode);
  if (embedded && known(embedded)) return new UpdateError(embedded, stripCode(text), { cause: err });
  const rules: [RegExp, UpdateErrorCode][] = [
    [/is expired/i, 'METADATA_EXPIRED'],
    [/less than current version|Expected version \d+, got/i, 'METADATA_ROLLBACK'],
    [
      /does not match snapshot version|doesn't match timestamp|Missing .* in (new )?snapshot/i,
      'METADATA_MISMATCH',
    ],
    [/signed by \d+\/\d+ keys|signature|no public key/i, 'METADATA_SIGNATURE'],
    [/Max length reached|too large/i, 'METADATA_TOO_LARGE'],
    [/Expected length|Expected hash/i, 'METADATA_MISMATCH'],
    [
      /HTTP \d{3}|fetch failed|ECONNREFUSED|ECONNRESET|socket|Failed to download|timeout|aborted/i,
      'DOWNLOAD_FAILED',
    ],
    [/JSON|Unexpected token|is malformed|Expected '.*', got|must be|is not|invalid/i, 'METADATA_MALFORMED'],
  ];
  for (const [re, code] of rules) if (re.test(text)) return new UpdateError(code, text, { cause: err });
  return new UpdateError('METADATA_MALFORMED', text, { cause: err });
}

const KNOWN_CODES = new Set<UpdateErrorCode>([
  'METADATA_SIGNATURE',
  'METADATA_ROLLBACK',
  'METADATA_EXPIRED',
  'METADATA_MISMATCH',
  'METADATA_TOO_LARGE',
  'METADATA_MALFORMED',
  'METADATA_STORE',
  'TARGET_LENGTH_MISMATCH',
  'TARGET_HASH_MISMATCH',
  'TARGET_PATH_UNSAFE',
  'TARGET_NOT_FOUND',
  'BUNDLE_ROLLBACK',
  'BUNDLE_INVALID',
  'STORE_QUOTA_EXCEEDED',
  'DISK_SPACE_LOW',
  'DISK_FULL',
  'DOWNLOAD_FAILED',
  'TRANSFER_BUDGET_EXCEEDED',
  'THROUGHPUT_TOO_LOW',
  'REFRESH_BUDGET_EXCEEDED',
]);

function stripCode(text: string): string {
  return text.replace(/^\w+: /, '').replace(/ \[[A-Z_]+\]/g, '');
}
