/**
 * Label selectors and list continue tokens, shared by every Store adapter so the
 * two adapters can't disagree about what a selector or a token means.
 *
 * Selector grammar (Kubernetes style, comma = AND):
 *   `key=value` `key==value` `key!=value` `key` (exists) `!key` (absent)
 *   `key in (a,b)` `key notin (a,b)`
 * `!=` and `notin` also match objects that lack the key, as in Kubernetes.
 *
 * Bounded ({@link SELECTOR_LIMITS}): each requirement becomes a condition of one
 * query, so an unbounded selector reaches the database's own limits (SQLite's
 * expression depth answered a 3,000-key selector with a 500). Past the bounds
 * the selector is refused as a 400 before any store is asked.
 */
import { InvalidRequestError } from '../client/errors.ts';

/** One parsed requirement of a selector. */
export type LabelRequirement =
  | { op: 'eq'; key: string; value: string }
  | { op: 'neq'; key: string; value: string }
  | { op: 'in'; key: string; values: string[] }
  | { op: 'notin'; key: string; values: string[] }
  | { op: 'exists'; key: string }
  | { op: 'absent'; key: string };

// Kubernetes label keys: optional DNS prefix + '/' + name; values: alphanumerics, '-', '_', '.'.
// Keeping to these characters also makes keys safe inside SQLite JSON paths.
const KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

/** How big a selector may be; far beyond what a person or `apply --prune` writes. */
export const SELECTOR_LIMITS = {
  /** Characters in the whole selector. */
  maxLength: 4096,
  /** Comma-separated requirements. */
  maxRequirements: 32,
  /** Values in one `in (…)` / `notin (…)` set. */
  maxValues: 64,
} as const;

/** The selector as quoted in messages: long ones are cut, so an error never echoes kilobytes back. */
function quoted(selector: string): string {
  return selector.length > 80 ? `"${selector.slice(0, 80)}…" (${selector.length} characters)` : `"${selector}"`;
}

function invalid(selector: string, why: string): InvalidRequestError {
  return new InvalidRequestError(
    `label selector ${quoted(selector)} is invalid: ${why}. Use comma-separated requirements such as "team=payments,tier!=dev,canary" or "env in (dev,staging)".`,
  );
}

/** Splits on commas that are not inside parentheses. */
function splitTopLevel(selector: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(selector.slice(start));
  return parts.map((p) => p.trim());
}

/**
 * Parses a selector string into requirements (empty string → none).
 * Throws {@link InvalidRequestError} naming the bad part when the syntax is wrong.
 * @example parseLabelSelector('team=payments,!legacy') // [{op:'eq',…},{op:'absent',key:'legacy'}]
 */
export function parseLabelSelector(selector: string | undefined): LabelRequirement[] {
  if (selector === undefined || selector.trim() === '') return [];
  if (selector.length > SELECTOR_LIMITS.maxLength) {
    throw invalid(selector, `it is longer than ${SELECTOR_LIMITS.maxLength} characters; select on fewer labels (a shared label such as "team=payments" instead of one requirement per object)`);
  }
  const parts = splitTopLevel(selector);
  if (parts.length > SELECTOR_LIMITS.maxRequirements) {
    throw invalid(selector, `it has ${parts.length} requirements, more than the ${SELECTOR_LIMITS.maxRequirements} allowed; select on a shared label instead`);
  }
  const out: LabelRequirement[] = [];
  for (const part of parts) {
    if (part === '') throw invalid(selector, 'it has an empty requirement (two commas in a row or a trailing comma)');
    const checkKey = (key: string): string => {
      if (!KEY.test(key)) throw invalid(selector, `"${key}" is not a valid label key`);
      return key;
    };
    const checkValue = (value: string): string => {
      if (!VALUE.test(value) || value.length > 63) throw invalid(selector, `"${value}" is not a valid label value`);
      return value;
    };
    const set = /^(\S+)\s+(in|notin)\s*\(([^()]*)\)$/.exec(part);
    if (set) {
      const values = set[3]!.split(',').map((v) => checkValue(v.trim()));
      if (values.length > SELECTOR_LIMITS.maxValues) throw invalid(selector, `"${set[1]} ${set[2]} (…)" lists ${values.length} values, more than the ${SELECTOR_LIMITS.maxValues} allowed`);
      out.push({ op: set[2] === 'in' ? 'in' : 'notin', key: checkKey(set[1]!), values });
      continue;
    }
    const cmp = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (cmp) {
      const key = checkKey(cmp[1]!);
      const value = checkValue(cmp[3]!.trim());
      out.push(cmp[2] === '!=' ? { op: 'neq', key, value } : { op: 'eq', key, value });
      continue;
    }
    if (part.startsWith('!')) {
      out.push({ op: 'absent', key: checkKey(part.slice(1).trim()) });
      continue;
    }
    out.push({ op: 'exists', key: checkKey(part) });
  }
  return out;
}

/** True when `labels` satisfy every requirement. */
export function matchesLabels(requirements: readonly LabelRequirement[], labels: Record<string, string> | undefined): boolean {
  const has = (k: string): boolean => labels !== undefined && Object.hasOwn(labels, k);
  for (const r of requirements) {
    const v = has(r.key) ? labels![r.key] : undefined;
    switch (r.op) {
      case 'eq': if (v !== r.value) return false; break;
      case 'neq': if (v === r.value) return false; break;
      case 'in': if (v === undefined || !r.values.includes(v)) return false; break;
      case 'notin': if (v !== undefined && r.values.includes(v)) return false; break;
      case 'exists': if (v === undefined) return false; break;
      case 'absent': if (v !== undefined) return false; break;
    }
  }
  return true;
}

/** What a list continue token carries: where the previous page stopped and the version it reflected. */
export interface ContinuePosition {
  /** Name of the last item returned; the next page starts after it. */
  lastName: string;
  /** The resourceVersion of the first page, reported again by every later page. */
  resourceVersion: number;
}

/** Encodes a continue position as an opaque base64url token. */
export function encodeContinue(pos: ContinuePosition): string {
  return Buffer.from(JSON.stringify({ n: pos.lastName, rv: pos.resourceVersion }), 'utf8').toString('base64url');
}

/**
 * Decodes a token made by {@link encodeContinue}. Throws {@link InvalidRequestError}
 * when it is not one (tampered, truncated, or from another system).
 */
export function decodeContinue(token: string): ContinuePosition {
  try {
    const raw: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (raw && typeof raw === 'object') {
      const { n, rv } = raw as { n?: unknown; rv?: unknown };
      if (typeof n === 'string' && typeof rv === 'number' && Number.isSafeInteger(rv) && rv >= 0) {
        return { lastName: n, resourceVersion: rv };
      }
    }
  } catch {
    // fall through to the one error message below
  }
  throw new InvalidRequestError(
    'the continue token is not valid: pass back exactly the "continue" value of the previous page, or list again from the start.',
  );
}

/** Page size after applying the port's default and maximum (500). */
export function pageSize(limit: number | undefined): number {
  if (limit === undefined) return 500;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new InvalidRequestError(`limit must be a whole number from 1 to 500 (got ${String(limit)}).`);
  }
  return Math.min(limit, 500);
}
