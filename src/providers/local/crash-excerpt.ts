/**
 * Which stderr lines of a crashed server a condition message quotes. The last
 * lines alone are often the least telling: Node ends a crash with the error's
 * properties and its version ("code: 'MODULE_NOT_FOUND'", "Node.js v24…"), the
 * line that says what went wrong ("Error: Cannot find module '…'") comes earlier.
 */

/** Lines quoted from the end of the output. */
const TAIL = 5;

/** A line that states an error: "Error: …", "TypeError: …", "fatal: …", "panic: …", "Exception in …". */
const HEADLINE = /^\s*(?:[A-Z]\w*(?:Error|Exception)\b|error\b|fatal\b|panic\b|Exception\b)/i;

/**
 * The last `TAIL` non-blank lines of `stderrTail`, preceded by the last error
 * headline when it is not among them (then "…" marks the gap). Pure.
 * @example crashExcerpt(['Error: Cannot find module x', '    at a', '    at b', '    at c', '  code: 1', '}', '', 'Node.js v24'])
 *   // → ['Error: Cannot find module x', '…', '    at b', '    at c', '  code: 1', '}', 'Node.js v24']
 */
export function crashExcerpt(stderrTail: readonly string[]): string[] {
  const lines = stderrTail.filter((l) => l.trim() !== '');
  const tail = lines.slice(-TAIL);
  const start = lines.length - tail.length;
  for (let i = start - 1; i >= 0; i--) {
    const line = lines[i]!;
    if (HEADLINE.test(line) && !/^\s+at /.test(line)) return [line, ...(i < start - 1 ? ['…'] : []), ...tail];
  }
  return tail;
}
