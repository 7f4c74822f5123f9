/**
 * A problem found in a manifest: the unit every validator reports and every
 * front end prints (`berth validate` lines, registry API problem details).
 */

/** Where in which file a problem is. Lines and columns are 1-based. */
export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

/** One thing wrong with one manifest. */
export interface Problem {
  /** File, line and column; absent for objects that did not come from a file (API bodies). */
  position?: SourcePosition;
  /** `Kind/name` of the object, when known, e.g. "MCPServer/weather". */
  object?: string;
  /** Dotted path of the field, e.g. "spec.runtime.cpu"; "" for the whole document. */
  path: string;
  /** What is wrong and how to fix it, e.g. "must be one of 256, 512 (got 300)". */
  message: string;
  /** Stable machine code: schema keyword ("type", "enum", "additionalProperties") or a check name ("duplicate-name"). */
  code: string;
}

/**
 * Formats a problem as one line: `file:line:col  Kind/name  path  message`.
 * @example formatProblem(p) // "servers/weather.yaml:14:9  MCPServer/weather  spec.runtime.cpu  must be one of …"
 */
export function formatProblem(p: Problem): string {
  const where = p.position ? `${p.position.file}:${p.position.line}:${p.position.column}` : '-';
  return [where, p.object ?? '-', p.path || '(document)', p.message].join('  ');
}
