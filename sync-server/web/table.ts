/**
 * Tables of the server-rendered pages: the column headings in a head row, the body's rows below,
 * every text escaped by the `html` template. One place draws a table's frame, so each page lists only
 * its columns and its rows.
 */
import { html, type Interpolation, raw, type SafeHtml } from './escape.js';

/**
 * An element's attributes: names written in code, values escaped; `true` writes the name alone,
 * `undefined` and `false` leave the attribute out.
 */
export type Attributes = Readonly<Record<string, string | number | boolean | undefined>>;

const ATTRIBUTE_NAME = /^[a-z][a-z0-9-]*$/;

/** ` name="value"` for each attribute given (a leading space each), in their order. */
export function attributes(a: Attributes = {}): SafeHtml {
  const out: SafeHtml[] = [];
  for (const [name, value] of Object.entries(a)) {
    if (!ATTRIBUTE_NAME.test(name)) throw new TypeError(`"${name}" is not an attribute name`);
    if (value === undefined || value === false) continue;
    out.push(value === true ? raw(` ${name}`) : html` ${raw(name)}="${value}"`);
  }
  return html`${out}`;
}

/** A row of plain cells: `<tr …><td>…</td>…</tr>`. */
export function tableRow(cells: readonly Interpolation[], a?: Attributes): SafeHtml {
  return html`<tr${attributes(a)}>${cells.map((c) => html`<td>${c}</td>`)}</tr>`;
}

/** The column names a catalogue's keys give a table: `<table>.col.<column>` → `<column>`. */
export type ColumnOf<Key extends string, Table extends string> = Key extends `${Table}.col.${infer C}`
  ? C
  : never;

export interface TableOptions {
  /** Attributes of the `<table>` (its id, data-…). */
  table?: Attributes;
  /** Attributes of the `<tbody>` (the id a script fills it by, data-…). */
  body?: Attributes;
}

/** A table: a head row of `columns`, then `rows` (built by tableRow or by the page) in the body. */
export function table(
  columns: readonly Interpolation[],
  rows: Interpolation,
  o: TableOptions = {},
): SafeHtml {
  return html`<table${attributes(o.table)}>
    <thead>
      <tr>
        ${columns.map((c) => html`<th>${c}</th>`)}
      </tr>
    </thead>
    <tbody${attributes(o.body)}>
      ${rows}
    </tbody>
  </table>`;
}
