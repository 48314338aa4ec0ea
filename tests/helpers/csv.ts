/** Rows of a report CSV without quoted fields (the values in these tests hold no comma), header dropped. */
export const csvRows = (text: string): string[][] => csvLines(text).slice(1);

/** Every line of a report CSV (BOM dropped, CRLF split) as fields, header first. */
export const csvLines = (text: string): string[][] =>
  text
    .replace(/^\uFEFF/, '')
    .trim()
    .split(/\r?\n/)
    .map((l) => l.split(','));
