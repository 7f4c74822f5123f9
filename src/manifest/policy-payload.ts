/**
 * What the gateway may keep of a call's payload. Arguments are always bound to an
 * approval by their hash; they (and results) are recorded only when the server's
 * manifest opts in (`spec.access.auditPayloads`), and then with secret-looking keys
 * and values replaced, using the same detection as `berth validate`'s secret lint.
 */
import { isSecretLookingName, secretValueKind } from './secret-lint.ts';
import { specHash } from './spec-hash.ts';
import type { MCPServerSpec } from './types.ts';

/** What replaces the value of a secret-looking key. */
export const REDACTED = '[redacted]';

/**
 * Keys that carry credentials in request-like payloads but would be false alarms as
 * environment variable names (`COOKIE_DOMAIN`), so the secret lint does not know them.
 */
const CREDENTIAL_KEYS: ReadonlySet<string> = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie', 'passphrase']);

/**
 * SHA-256 (hex) of the canonical JSON of a call's arguments: equal whatever the key
 * order, so an approval granted for these arguments matches exactly these arguments.
 * Absent arguments hash as `{}`, which is what the server receives either way.
 * @example argumentsHash({ quoteId: 'Q-1', percent: 10 }) === argumentsHash({ percent: 10, quoteId: 'Q-1' }) // true
 */
export function argumentsHash(args: unknown): string {
  return specHash(args ?? {});
}

/** Options of {@link redactPayload}. */
export interface RedactOptions {
  /** More key names whose values are replaced (compared case-insensitively). */
  keys?: readonly string[];
  /** Levels of nesting kept; deeper values are replaced by a note. Default 32. */
  maxDepth?: number;
  /** Strings longer than this are cut, with a note of how much was dropped. Default: never cut. */
  maxStringLength?: number;
}

/**
 * A copy of `value` fit for a call record: the value of every secret-looking key
 * (`password`, `apiKey`, `GITHUB_TOKEN`, `authorization`, …) replaced by
 * {@link REDACTED}, every string that looks like a credential (an AWS key, a JWT, a
 * private key, …) replaced by a note of what it looked like, wherever it sits.
 * @example redactPayload({ user: 'ann', password: 'hunter2', note: 'AKIAIOSFODNN7EXAMPLE' })
 * // { user: 'ann', password: '[redacted]', note: '[redacted: looks like an AWS access key]' }
 */
export function redactPayload(value: unknown, opts: RedactOptions = {}): unknown {
  const extra = new Set((opts.keys ?? []).map((k) => k.toLowerCase()));
  const maxDepth = opts.maxDepth ?? 32;
  const visit = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') return redactString(v, opts.maxStringLength);
    if (typeof v !== 'object' || v === null) return v;
    if (depth >= maxDepth) return `[redacted: nested deeper than ${maxDepth} levels]`;
    if (Array.isArray(v)) return v.map((item) => visit(item, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(v)) {
      const lower = key.toLowerCase();
      out[key] = isSecretLookingName(key) || CREDENTIAL_KEYS.has(lower) || extra.has(lower) ? REDACTED : visit(item, depth + 1);
    }
    return out;
  };
  return visit(value, 0);
}

function redactString(s: string, maxLength: number | undefined): string {
  const kind = secretValueKind(s);
  if (kind) return `[redacted: looks like ${kind}]`;
  if (maxLength !== undefined && s.length > maxLength) return `${s.slice(0, maxLength)}…[${s.length - maxLength} more characters]`;
  return s;
}

/** The payloads a call record keeps; absent members are not recorded. */
export interface RecordedPayloads {
  arguments?: unknown;
  result?: unknown;
}

/**
 * What the record of one `tools/call` may keep of its arguments and result, as the
 * server's `spec.access.auditPayloads` says (`none` when absent), redacted.
 * @example payloadsToRecord({ spec: { access: { auditPayloads: 'arguments' } } }, { arguments: { q: 'x' }, result: { rows: [] } })
 * // { arguments: { q: 'x' } }
 */
export function payloadsToRecord(
  server: { spec: Pick<MCPServerSpec, 'access'> },
  call: RecordedPayloads,
  opts?: RedactOptions,
): RecordedPayloads {
  const mode = server.spec.access?.auditPayloads ?? 'none';
  const out: RecordedPayloads = {};
  if (mode === 'none') return out;
  if (call.arguments !== undefined) out.arguments = redactPayload(call.arguments, opts);
  if (mode === 'arguments-and-results' && call.result !== undefined) out.result = redactPayload(call.result, opts);
  return out;
}
