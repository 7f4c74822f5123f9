/**
 * A problem before it is placed in a file: checks produce findings with a data
 * path; the caller turns them into {@link Problem}s with or without positions.
 */
import { KINDS } from './resource.ts';
import type { Problem } from './problem.ts';
import type { ParsedDocument, PathSegment, PositionTarget } from './yaml-source.ts';

/** One thing wrong, located by its path in the object. */
export interface Finding {
  path: readonly PathSegment[];
  /** Point at the key (unknown or forbidden fields) or at the value (wrong values). */
  target: PositionTarget;
  message: string;
  code: string;
}

/** Formats a data path for people: `spec.tools[1].scopes[0]`, `metadata.labels["berth.dev/tier"]`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** `Kind/name` of an object when it has them, `Kind` alone, or undefined. */
export function objectLabel(obj: unknown): string | undefined {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return undefined;
  const record = obj as Record<string, unknown>;
  // Only Berth's kinds: a document of another kind is not a manifest, and nothing of it is echoed.
  if (typeof record['kind'] === 'string' && !(KINDS as readonly string[]).includes(record['kind'])) return undefined;
  const kind = typeof record['kind'] === 'string' ? record['kind'] : undefined;
  const meta = record['metadata'];
  const name = typeof meta === 'object' && meta !== null ? (meta as Record<string, unknown>)['name'] : undefined;
  if (kind && typeof name === 'string') return `${kind}/${name}`;
  if (typeof name === 'string') return `?/${name}`;
  return kind;
}

/** Turns a finding into a problem, positioned in `doc` when there is one. */
export function toProblem(finding: Finding, obj: unknown, doc?: ParsedDocument): Problem {
  const problem: Problem = { path: formatPath(finding.path), message: finding.message, code: finding.code };
  const object = objectLabel(obj);
  if (object !== undefined) problem.object = object;
  if (doc) problem.position = doc.positionOf(finding.path, finding.target);
  return problem;
}
