/**
 * The small JSONPath subset `berth get -o jsonpath=…` understands, in kubectl's
 * template form: text with `{…}` expressions, each a path from the root of
 * dotted fields, `[N]` (an index) and `[*]` (every element), e.g.
 * `{.metadata.name}`, `{.status.phase}`, `{.items[*].metadata.name}`,
 * `{.spec.tools[0].name}` (field names of letters, digits, `_`, `-`, `/`: a label key
 * with a dot in it cannot be named). Several values print separated by a space; a string
 * prints as is, anything else as JSON; a path that leads nowhere prints nothing.
 * Filters, slices, `..` and functions are not supported and are refused.
 */
import { UsageError } from './command.ts';

type Step = { field: string } | { index: number } | { all: true };

const SEGMENT = /^(?:\.([A-Za-z0-9_/-]+)|\[(\*|\d+)\])/;

/** Parses one `{…}` body into steps; throws UsageError naming what it does not understand. */
function parsePath(path: string, whole: string): Step[] {
  if (path === '.' || path === '') return [];
  const steps: Step[] = [];
  let rest = path;
  while (rest !== '') {
    const m = SEGMENT.exec(rest);
    if (!m) throw new UsageError(`-o jsonpath: cannot read "${rest}" in ${JSON.stringify(whole)}; supported: .field, [N], [*] (e.g. {.items[*].metadata.name})`);
    if (m[1] !== undefined) steps.push({ field: m[1] });
    else if (m[2] === '*') steps.push({ all: true });
    else steps.push({ index: Number(m[2]) });
    rest = rest.slice(m[0].length);
  }
  return steps;
}

function walk(values: unknown[], step: Step): unknown[] {
  const out: unknown[] = [];
  for (const v of values) {
    if ('field' in step) {
      if (v !== null && typeof v === 'object' && !Array.isArray(v) && step.field in v) out.push((v as Record<string, unknown>)[step.field]);
    } else if (Array.isArray(v)) {
      if ('all' in step) out.push(...v);
      else if (step.index < v.length) out.push(v[step.index]);
    }
  }
  return out;
}

function show(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/**
 * A compiled template: call it with the root object to get the text.
 * @throws UsageError when the template holds an expression outside the subset.
 * @example compileJsonPath('{.items[*].metadata.name}')({ items: [{ metadata: { name: 'a' } }, { metadata: { name: 'b' } }] }) // 'a b'
 */
export function compileJsonPath(template: string): (root: unknown) => string {
  const parts: Array<string | Step[]> = [];
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{', i);
    if (open < 0) {
      parts.push(template.slice(i));
      break;
    }
    const close = template.indexOf('}', open);
    if (close < 0) throw new UsageError(`-o jsonpath: unclosed "{" in ${JSON.stringify(template)}`);
    if (open > i) parts.push(template.slice(i, open));
    parts.push(parsePath(template.slice(open + 1, close).trim(), template));
    i = close + 1;
  }
  if (!parts.some((p) => typeof p !== 'string')) throw new UsageError(`-o jsonpath needs an expression in braces, e.g. -o jsonpath='{.metadata.name}' (got ${JSON.stringify(template)})`);
  return (root) =>
    parts
      .map((p) => (typeof p === 'string' ? p : p.reduce<unknown[]>(walk, [root]).map(show).join(' ')))
      .join('');
}
