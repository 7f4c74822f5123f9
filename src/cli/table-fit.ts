/**
 * Tables that fit a terminal, for `berth get -w`: its rows arrive one at a time
 * under a header printed once, so the columns must keep the header's widths, and
 * a row wider than the window wraps and breaks the columns of every row after it.
 * Pipes keep `formatTable`'s untruncated output (scripts read it).
 *
 * @example
 * const widths = fitWidths(header, rows, 80);
 * io.stdout.write(`${fitRow(header, widths)}\n`);
 */

/** Columns are separated by this many spaces, or by two when three do not fit. */
const WIDE_GAP = 3;
const NARROW_GAP = 2;

/** Column widths (and the gap between columns) of a table laid out within `maxWidth` characters. */
export interface TableWidths {
  widths: number[];
  gap: number;
}

/**
 * Widths for `header` and `rows` within `maxWidth` characters: each column as wide
 * as its widest cell; when that is too wide, the gap narrows to two spaces, then
 * the widest columns shrink one character at a time (never below their header),
 * their cells cut with `…`. A table whose headers alone are too wide keeps them.
 */
export function fitWidths(header: string[], rows: string[][], maxWidth: number): TableWidths {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const total = (gap: number): number => widths.reduce((a, b) => a + b, 0) + gap * (widths.length - 1);
  const gap = total(WIDE_GAP) <= maxWidth ? WIDE_GAP : NARROW_GAP;
  while (total(gap) > maxWidth) {
    // The widest column that can still give a character: usually ENDPOINT, then NAME.
    let pick = -1;
    for (let i = 0; i < widths.length; i++) {
      if (widths[i]! > header[i]!.length && (pick < 0 || widths[i]! > widths[pick]!)) pick = i;
    }
    if (pick < 0) break;
    widths[pick]! -= 1;
  }
  return { widths, gap };
}

/**
 * One row in `layout`, no trailing spaces. A cell longer than its column widens it
 * for this row when the row still fits `maxWidth` (a watched object named longer
 * than any in the table stays whole); otherwise the longest overflows are cut back
 * to their column, with `…`. `maxWidth` defaults to the layout's own width.
 */
export function fitRow(cells: string[], layout: TableWidths, maxWidth?: number): string {
  const { widths, gap } = layout;
  const base = cells.map((c, i) => widths[i] ?? c.length);
  const own = cells.map((c, i) => Math.max(base[i]!, c.length));
  const limit = maxWidth ?? base.reduce((a, b) => a + b, 0) + gap * (base.length - 1);
  let over = own.reduce((a, b) => a + b, 0) + gap * (own.length - 1) - limit;
  while (over > 0) {
    let pick = -1;
    for (let i = 0; i < own.length; i++) {
      if (own[i]! > base[i]! && (pick < 0 || own[i]! - base[i]! > own[pick]! - base[pick]!)) pick = i;
    }
    if (pick < 0) break;
    own[pick]! -= 1;
    over -= 1;
  }
  return cells
    .map((c, i) => {
      const w = own[i]!;
      const cut = c.length > w ? `${c.slice(0, Math.max(0, w - 1))}…` : c;
      return i === cells.length - 1 ? cut : cut.padEnd(w);
    })
    .join(' '.repeat(gap))
    .trimEnd();
}
