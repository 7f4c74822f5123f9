/**
 * Deep equality of JSON values, independent of key order: decides "unchanged" on
 * apply and what an approver changed. Uses the manifest contract's canonical JSON,
 * the same the spec hash is computed from.
 */
import { canonicalJson } from '../../manifest/index.ts';

/** True when `a` and `b` are the same JSON value (key order ignored, `undefined` members dropped). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}
