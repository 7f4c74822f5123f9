/**
 * Finds the line whose indentation breaks a YAML file, in plain words. The YAML
 * parser reports a misindented line as a grammar error somewhere near it ("Nested
 * mappings are not allowed in compact mappings", often on the line above); this
 * reads the block structure from the indentation alone and names the line a
 * person has to fix.
 */

/** A misindented line: 1-based line and column (where its text starts) and what to do. */
export interface IndentationProblem {
  line: number;
  column: number;
  message: string;
}

/** yaml's error codes that an indentation mistake produces. */
export const INDENTATION_ERROR_CODES: ReadonlySet<string> = new Set(['BLOCK_AS_IMPLICIT_KEY', 'MULTILINE_IMPLICIT_KEY', 'BAD_INDENT', 'MISSING_CHAR', 'UNEXPECTED_TOKEN']);

interface ContentLine {
  /** 1-based. */
  number: number;
  indent: number;
  /** The line without indentation and trailing comment. */
  text: string;
}

/**
 * The first line of `text` indented inconsistently with the lines before it, or
 * undefined when the indentation is consistent (or the file uses constructs this
 * reading does not follow: multi-line flow collections or quoted strings).
 * @example indentationProblem('a:\n  b: 1\n    c: 2\n')?.line // 3
 */
export function indentationProblem(text: string): IndentationProblem | undefined {
  const stack: number[] = [0];
  let previous: ContentLine | undefined;
  let blockScalarIndent: number | undefined;
  for (const line of contentLines(text)) {
    if (line === 'unsupported') return undefined;
    if (line.text === '---' || line.text === '...') {
      stack.splice(0, stack.length, 0);
      previous = undefined;
      continue;
    }
    // Lines of a literal or folded block (`|`, `>`) are text, not structure.
    if (blockScalarIndent !== undefined && line.indent > blockScalarIndent) continue;
    blockScalarIndent = undefined;
    if (previous === undefined) {
      if (line.indent !== 0) return { line: line.number, column: line.indent + 1, message: `line ${line.number}: the first line of a document must not be indented; move it to column 1` };
    } else if (line.indent > previous.indent) {
      if (!opensBlock(previous.text)) {
        return {
          line: line.number,
          column: line.indent + 1,
          message:
            `line ${line.number}: this line is indented more than the one above it (line ${previous.number}), which does not open a nested block; ` +
            `indent it like line ${previous.number} (column ${previous.indent + 1}), or, if it belongs under line ${previous.number}, end that line with its key and ":"`,
        };
      }
      stack.push(line.indent);
    } else {
      const levels = stack.map((i) => i + 1).join(', ');
      while (stack.length > 1 && stack.at(-1)! > line.indent) stack.pop();
      if (stack.at(-1) !== line.indent) {
        const columns = levels;
        return {
          line: line.number,
          column: line.indent + 1,
          message:
            `line ${line.number}: this line is indented less than the one above it (line ${previous.number}) but not as far as any level it could return to; ` +
            `line it up with the key it belongs beside (column ${columns.replace(/, (\d+)$/, ' or $1')})`,
        };
      }
    }
    if (/(:|^-)\s*[|>][+-]?\d*$/.test(line.text)) blockScalarIndent = line.indent;
    previous = line;
  }
  return undefined;
}

/** Whether the next line may be indented deeper: a key with no value on its line, or a list item. */
function opensBlock(text: string): boolean {
  return text.endsWith(':') || text === '-' || text.startsWith('- ') || /:\s*[|>][+-]?\d*$/.test(text) || /^-\s*[|>]/.test(text);
}

function* contentLines(text: string): Generator<ContentLine | 'unsupported'> {
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const trimmed = raw.trimStart();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    if (/^ *\t/.test(raw)) {
      yield 'unsupported'; // tabs have their own message
      return;
    }
    const body = stripComment(trimmed);
    // Unbalanced brackets or quotes: the value continues on the next line, where indentation means nothing.
    if (count(body, '[') !== count(body, ']') || count(body, '{') !== count(body, '}') || count(body, '"') % 2 === 1) {
      yield 'unsupported';
      return;
    }
    yield { number: i + 1, indent: raw.length - trimmed.length, text: body };
  }
}

/** The line without a trailing ` # comment` (a `#` inside quotes is kept). */
function stripComment(text: string): string {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote !== undefined) {
      if (c === quote) quote = undefined;
    } else if (c === '"' || (c === "'" && (i === 0 || /[\s:[{,-]/.test(text[i - 1]!)))) quote = c;
    else if (c === '#' && i > 0 && /\s/.test(text[i - 1]!)) return text.slice(0, i).trimEnd();
  }
  return text.trimEnd();
}

function count(text: string, ch: string): number {
  return text.split(ch).length - 1;
}
