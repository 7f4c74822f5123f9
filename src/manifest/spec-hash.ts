/**
 * A stable fingerprint of a spec, so "did the spec change?" is a string comparison.
 */
import { createHash } from 'node:crypto';

/**
 * SHA-256 (hex) of the canonical JSON of `spec`: object keys sorted at every level,
 * `undefined` members dropped, arrays kept in order. Equal data gives equal hashes
 * whatever the key order. It hashes exactly what it is given: pass specs through
 * `applyDefaults` first if "replicas: 1" and "no replicas" should hash the same.
 * @example specHash({ b: 1, a: 2 }) === specHash({ a: 2, b: 1 }) // true
 */
export function specHash(spec: unknown): string {
  return createHash('sha256').update(canonicalJson(spec)).digest('hex');
}

/** JSON with object keys sorted at every level; the input to {@link specHash}. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined && typeof v !== 'function')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}
