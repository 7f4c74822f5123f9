/**
 * Exporting what the page fetched as CSV: RFC 4180 quoting, safe to open in a
 * spreadsheet. PURE (download.ts saves the text in the browser).
 */

/** One CSV column: its header and how to read the cell from a record. */
export interface CsvColumn<T> {
  header: string;
  value: (record: T) => unknown;
}

/** Characters that make a spreadsheet read a cell as a formula (OWASP CSV injection), and tab/CR which some treat alike. */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One CSV cell: undefined/null empty, numbers and booleans as written, objects
 * and arrays as JSON; text starting with `= + - @` (or tab, CR) gets a leading
 * `'` so no spreadsheet runs it as a formula; every cell is quoted, `"` doubled.
 */
export function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '""';
  if (typeof value === 'number' || typeof value === 'boolean') return `"${String(value)}"`;
  let text = typeof value === 'string' ? value : JSON.stringify(value);
  if (FORMULA_START.test(text)) text = `'${text}`;
  return `"${text.replace(/"/g, '""')}"`;
}

/** `records` as CSV text: a header line, then one line per record, CRLF line ends (RFC 4180). */
export function toCsv<T>(columns: readonly CsvColumn<T>[], records: readonly T[]): string {
  const lines = [columns.map((c) => csvCell(c.header)).join(',')];
  for (const r of records) lines.push(columns.map((c) => csvCell(c.value(r))).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
