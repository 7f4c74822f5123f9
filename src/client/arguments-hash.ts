/**
 * The fingerprint that binds an approval to one tool call's arguments. The
 * gateway computes it when it files a request and again when it consumes the
 * grant; the registry only compares, so both sides must use this one function.
 */
import { specHash } from '../manifest/spec-hash.ts';

/** What an `argumentsHash` looks like: 64 lower-case hex characters. */
export const ARGUMENTS_HASH_PATTERN = /^[0-9a-f]{64}$/;

/**
 * SHA-256 hex of the canonical JSON of a call's `arguments` (object keys sorted
 * at every level), so `{a:1,b:2}` and `{b:2,a:1}` hash the same and any other
 * value does not. Absent arguments hash as `{}`, as MCP treats them.
 * @example argumentsHash({ query: 'Platform' }) === argumentsHash({ query: 'Platform' }) // true
 */
export function argumentsHash(args: unknown): string {
  return specHash(args ?? {});
}
