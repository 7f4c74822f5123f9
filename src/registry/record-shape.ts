/**
 * Checking the shape of the plain records the gateway sends (call records,
 * approval requests) against a table of fields, so each table says what its
 * record is and the API answers with every field error at once. Pure.
 */
import type { FieldError } from '../client/errors.ts';

/** A field rule: the problem with `value`, or undefined when it is fine. */
export type Check = (value: unknown) => string | undefined;

/** A record's fields: each with its rule, and whether it is required. */
export type Fields = Readonly<Record<string, readonly [Check, 'required' | 'optional']>>;

/** A non-empty string of at most `max` characters. */
export const text =
  (max: number): Check =>
  (v) =>
    typeof v === 'string' && v.length > 0 && v.length <= max ? undefined : `must be a non-empty string of at most ${max} characters`;

/** A string matching `pattern`; `what` describes it in the message. */
export const matching =
  (pattern: RegExp, what: string): Check =>
  (v) =>
    typeof v === 'string' && pattern.test(v) ? undefined : `must be ${what}`;

/** Anything (JSON the record carries as it is). */
export const anything: Check = () => undefined;

/**
 * Every problem of `value` against `fields`, with paths under `at` (`records[3].decision`):
 * missing required fields, fields that break their rule, and fields the table
 * does not know (so a misspelt field is refused rather than silently dropped).
 * @example shapeProblems({ agent: '' }, { agent: [text(253), 'required'] }, 'body') // [{ path: 'body.agent', message: 'must be a non-empty string of at most 253 characters', code: 'invalid' }]
 */
export function shapeProblems(value: unknown, fields: Fields, at: string): FieldError[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [{ path: at, message: 'must be an object', code: 'type' }];
  const rec = value as Record<string, unknown>;
  const problems: FieldError[] = [];
  const path = (name: string): string => (at === '' ? name : `${at}.${name}`);
  for (const [name, [check, presence]] of Object.entries(fields)) {
    const v = rec[name];
    if (v === undefined) {
      if (presence === 'required') problems.push({ path: path(name), message: 'is required', code: 'required' });
      continue;
    }
    const message = check(v);
    if (message !== undefined) problems.push({ path: path(name), message, code: 'invalid' });
  }
  for (const name of Object.keys(rec)) {
    if (!Object.hasOwn(fields, name)) problems.push({ path: path(name), message: `is not a known field (known: ${Object.keys(fields).join(', ')})`, code: 'unknown-field' });
  }
  return problems;
}
