/**
 * Reading query results without casts: each store maps its rows through a RowReader, which checks
 * each column's type as it reads it. A column of another type (a file edited by hand, a schema that
 * drifted) is a RegistryError naming the table and column, not a wrong value passed on.
 */
import { coded } from '../../protocol/errors.js';

export class RegistryError extends coded('REGISTRY_FAILED') {}

export class RowReader {
  constructor(
    private readonly row: Readonly<Record<string, unknown>>,
    private readonly what: string,
  ) {}

  private bad(column: string, expected: string): RegistryError {
    const v = this.row[column];
    return new RegistryError(
      `${this.what}: column ${column} is ${v === undefined ? 'missing' : typeof v}, expected ${expected}`,
    );
  }

  str(column: string): string {
    const v = this.row[column];
    if (typeof v !== 'string') throw this.bad(column, 'text');
    return v;
  }

  strOrNull(column: string): string | null {
    const v = this.row[column];
    if (v === null) return null;
    if (typeof v !== 'string') throw this.bad(column, 'text or NULL');
    return v;
  }

  num(column: string): number {
    const v = this.row[column];
    if (typeof v !== 'number') throw this.bad(column, 'a number');
    return v;
  }

  numOrNull(column: string): number | null {
    const v = this.row[column];
    if (v === null) return null;
    if (typeof v !== 'number') throw this.bad(column, 'a number or NULL');
    return v;
  }

  /** An INTEGER used as a flag: 1 is true, anything else false (as the columns have always been read). */
  isOne(column: string): boolean {
    return this.row[column] === 1;
  }

  /** The column as SQLite gave it, for values whose checking is the caller's (verdict words). */
  raw(column: string): unknown {
    return this.row[column];
  }

  /** A TEXT column holding JSON, parsed (the value's shape is the caller's to check). */
  json(column: string): unknown {
    return JSON.parse(this.str(column)) as unknown;
  }

  blob(column: string): Buffer {
    const v = this.row[column];
    if (!Buffer.isBuffer(v)) throw this.bad(column, 'a blob');
    return v;
  }
}

/** A typed mapper of one query's rows: `one` for `get()` results, `all` for `all()` results. */
export interface RowMapper<T> {
  one(result: unknown): T | undefined;
  all(results: readonly unknown[]): T[];
}

export function rowMapper<T>(what: string, map: (r: RowReader) => T): RowMapper<T> {
  const read = (result: unknown): T => {
    if (typeof result !== 'object' || result === null || Array.isArray(result) || Buffer.isBuffer(result))
      throw new RegistryError(`${what}: expected a row, got ${typeof result}`);
    return map(new RowReader(result as Readonly<Record<string, unknown>>, what));
  };
  return {
    one: (result) => (result === undefined ? undefined : read(result)),
    all: (results) => results.map(read),
  };
}
