/**
 * CSV per RFC 4180: fields separated by commas, records by CRLF, a field quoted when it holds a
 * comma, quote, CR or LF, quotes doubled. The UTF-8 byte-order mark makes Excel read Vietnamese
 * diacritics as UTF-8 instead of the ANSI code page.
 */

export const UTF8_BOM = '\uFEFF';

export type CsvCell = string | number | boolean | null | undefined;

export function csvField(value: CsvCell): string {
  if (value === null || value === undefined) return '';
  let s = String(value);
  // A cell starting with = + - @ is a formula in spreadsheet programs; prefix it so it stays text.
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One CSV document: header row then rows, CRLF line ends, with a BOM unless `bom` is false. */
export function toCsv(header: readonly string[], rows: Iterable<readonly CsvCell[]>, bom = true): string {
  const lines = [header.map(csvField).join(',')];
  for (const row of rows) lines.push(row.map(csvField).join(','));
  return `${bom ? UTF8_BOM : ''}${lines.join('\r\n')}\r\n`;
}
