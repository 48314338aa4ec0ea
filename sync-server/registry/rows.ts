/**
 * Reading query results without casts: each store maps its rows through a RowReader, which checks
 * each column's type as it reads it. A column of another type (a file edited by hand, a schema that
 * drifted) is a RegistryError naming the table and column, not a wrong value passed on.
 */
import { coded } from '../../protocol/errors.js';

export class RegistryError extends coded('REGISTRY_FAILED') {}

const isText = (v: unknown): v is string => typeof v === 'string';
const isNumber = (v: unknown): v is number => typeof v === 'number';

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

  /** The column's value if `is` accepts it; else a RegistryError saying what was `expected`. */
  private checked<T>(column: string, is: (v: unknown) => v is T, expected: string): T {
    const v = this.row[column];
    if (!is(v)) throw this.bad(column, expected);
    return v;
  }

  private checkedOrNull<T>(column: string, is: (v: unknown) => v is T, expected: string): T | null {
    return this.row[column] === null ? null : this.checked(column, is, `${expected} or NULL`);
  }

  str(column: string): string {
    return this.checked(column, isText, 'text');
  }

  strOrNull(column: string): string | null {
    return this.checkedOrNull(column, isText, 'text');
  }

  num(column: string): number {
    return this.checked(column, isNumber, 'a number');
  }

  numOrNull(column: string): number | null {
    return this.checkedOrNull(column, isNumber, 'a number');
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
    return this.checked(column, (v): v is Buffer => Buffer.isBuffer(v), 'a blob');
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

/** How a column is read: the RowReader method of that name. */
type ColumnKind = 'str' | 'strOrNull' | 'num' | 'numOrNull' | 'isOne' | 'json';
interface ColumnTypes {
  str: string;
  strOrNull: string | null;
  num: number;
  numOrNull: number | null;
  isOne: boolean;
  json: unknown;
}
/** A field's column: how it is read, from the field's name in snake_case, or [how, column name]. */
type Column = ColumnKind | readonly [ColumnKind, string];
type KindOf<C> = C extends readonly [infer K, string] ? K : C;
/** The row a `columns` spec reads: each field typed by how its column is read. */
export type ColumnsRow<S> = { -readonly [F in keyof S]: ColumnTypes[KindOf<S[F]> & ColumnKind] };

const snakeCase = (field: string): string => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * A mapper of rows whose fields are plain column reads, declared once by name and kind:
 * `columns('devices', { deviceId: 'str', lastSeenMs: ['numOrNull', 'last_seen'] })` reads device_id
 * as text and last_seen as a number or NULL.
 */
export function columns<const S extends Record<string, Column>>(
  what: string,
  spec: S,
): RowMapper<ColumnsRow<S>> {
  const fields = Object.entries(spec).map(([field, c]): [string, ColumnKind, string] =>
    typeof c === 'string' ? [field, c, snakeCase(field)] : [field, c[0], c[1]],
  );
  return rowMapper(what, (r) => {
    const row: Record<string, unknown> = {};
    for (const [field, kind, column] of fields) row[field] = r[kind](column);
    return row as ColumnsRow<S>;
  });
}
