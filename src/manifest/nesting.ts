/**
 * A cheap, linear pre-scan for absurd nesting, run before the YAML parser: the
 * parser recurses per level and needs over a second (and the whole stack) for
 * 100 000 nested brackets, which fit easily in a 1 MiB file.
 */
import { MAX_NESTING_DEPTH } from './limits.ts';

/** Where the text first nests deeper than allowed. */
export interface NestingExcess {
  /** 1-based line and column of the character that went too deep. */
  line: number;
  column: number;
  depth: number;
}

/**
 * Estimates nesting depth line by line: open flow brackets (`[`, `{`, outside quotes and comments)
 * plus block levels (one per distinct deeper indentation, plus one per compact `- ` on a line).
 * The estimate can only over-count in odd block scalars, and the limit is far above any real
 * manifest. Returns the first place the estimate exceeds `limit`, or undefined.
 */
export function findExcessiveNesting(text: string, limit: number = MAX_NESTING_DEPTH): NestingExcess | undefined {
  const indents: number[] = [];
  let flow = 0;
  let line = 1;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const lineStart = i;
    let indent = 0;
    while (i < n && text[i] === ' ') {
      indent++;
      i++;
    }
    const blank = i >= n || text[i] === '\n' || text[i] === '\r' || text[i] === '#';
    if (!blank && flow === 0) {
      while (indents.length > 0 && (indents[indents.length - 1] ?? 0) >= indent) indents.pop();
      indents.push(indent);
    }
    let dashes = 0;
    while (!blank && i + 1 < n && (text[i] === '-' || text[i] === '?') && (text[i + 1] === ' ')) {
      dashes++;
      i += 2;
      while (i < n && text[i] === ' ') i++;
    }
    if (indents.length + dashes > limit) return { line, column: i - lineStart + 1, depth: indents.length + dashes };
    let quote: string | undefined;
    let prev = ' ';
    for (; i < n && text[i] !== '\n'; i++) {
      const c = text[i] as string;
      if (quote !== undefined) {
        if (c === quote) quote = undefined;
      } else if (c === '#' && (prev === ' ' || prev === '\t')) {
        while (i < n && text[i] !== '\n') i++;
        break;
      } else if ((c === '"' || c === "'") && ' \t[{,:'.includes(prev)) {
        quote = c;
      } else if (c === '[' || c === '{') {
        flow++;
        if (indents.length + dashes + flow > limit) return { line, column: i - lineStart + 1, depth: indents.length + dashes + flow };
      } else if ((c === ']' || c === '}') && flow > 0) {
        flow--;
      }
      prev = c;
    }
    i++;
    line++;
  }
  return undefined;
}
