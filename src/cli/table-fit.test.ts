import { describe, expect, it } from 'vitest';
import { fitRow, fitWidths } from './table-fit.ts';

const header = ['NAME', 'PHASE', 'ENDPOINT', 'AGE'];
const rows = [['crm', 'Ready', 'http://127.0.0.1:43211/mcp/crm', '5m']];

describe('fitWidths / fitRow', () => {
  it('keeps a table that fits as formatTable lays it out (three-space gaps)', () => {
    const layout = fitWidths(header, rows, 200);
    expect(layout).toEqual({ widths: [4, 5, 30, 3], gap: 3 });
    expect(fitRow(rows[0]!, layout)).toBe('crm    Ready   http://127.0.0.1:43211/mcp/crm   5m');
  });

  it('narrows the gaps, then cuts the widest column with …, never below its header', () => {
    const layout = fitWidths(header, rows, 40);
    expect(layout.gap).toBe(2);
    const line = fitRow(rows[0]!, layout, 40);
    expect(line.length).toBeLessThanOrEqual(40);
    expect(line).toBe('crm   Ready  http://127.0.0.1:4321…  5m');
    // Too narrow for the headers themselves: they are kept whole rather than cut to nothing.
    expect(fitWidths(header, rows, 10).widths).toEqual([4, 5, 8, 3]);
  });

  it('a later, longer cell widens its column while the row fits, and is cut when it would not', () => {
    const layout = fitWidths(header, rows, 60);
    expect(fitRow(['billing', 'Ready', '-', '1s'], layout, 60)).toBe(`billing   Ready   ${'-'.padEnd(30)}   1s`);
    const long = fitRow(['x'.repeat(40), 'Ready', '-', '1s'], layout, 60);
    expect(long.length).toBeLessThanOrEqual(60);
    expect(long).toMatch(/^x+…   Ready   -\s+1s$/);
  });
});
