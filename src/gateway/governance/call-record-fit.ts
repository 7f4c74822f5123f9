/**
 * What a call record may hold, enforced on the gateway's side: text cut to what
 * the registry stores, kept payloads bounded — so no caller can make a record the
 * registry refuses, which would hold back every record batched with it.
 */
import { CALL_RECORD_TEXT_LIMITS, type CallRecord } from '../../client/wire.ts';
import { payloadsToRecord, type RecordedPayloads } from '../../manifest/policy.ts';
import type { MCPServer } from '../../manifest/types.ts';

/**
 * `record`, cut to what the registry stores ({@link CALL_RECORD_TEXT_LIMITS}): tool,
 * method, ids and reason carry what callers send, and one record the registry
 * refuses would hold back every record batched with it — and, once the audit fails
 * closed, every call. Longer text is cut (ending in `…`); an empty optional field is
 * left out, an empty required one written `(empty)`.
 */
export function fitted(record: CallRecord): CallRecord {
  const fields = record as unknown as Record<string, string | undefined>;
  for (const [field, max] of TEXT_LIMITS) {
    const value = fields[field];
    if (value === undefined || (value !== '' && value.length <= max)) continue;
    if (value === '') {
      if (field === 'agent' || field === 'server' || field === 'method') fields[field] = '(empty)';
      else if (field !== 'reason') delete fields[field];
    } else fields[field] = `${value.slice(0, max - 1)}…`;
  }
  return record;
}

/** {@link CALL_RECORD_TEXT_LIMITS} as a list, walked once per record. */
const TEXT_LIMITS: ReadonlyArray<readonly [string, number]> = Object.entries(CALL_RECORD_TEXT_LIMITS);

/** Strings longer than this are cut in the payloads a call record keeps. */
const PAYLOAD_STRING_CHARS = 1_024;
/**
 * A kept payload whose JSON is still more bytes than this is replaced by a note of
 * its size. With every other field at its limit ({@link CALL_RECORD_TEXT_LIMITS}),
 * a record is then at most about 20 KiB, and a batch of the governance's 250 records
 * stays far under the 8 MiB the registry takes in one append.
 */
const PAYLOAD_JSON_BYTES = 4_096;

/**
 * What a call record keeps of a call's arguments or result ({@link payloadsToRecord}:
 * as the manifest says, redacted), bounded: a payload is as big as the caller or
 * the server makes it, and one batch the registry refuses for its size would hold
 * back every record in it, then every call once the audit fails closed.
 */
export function keptPayloads(server: MCPServer, call: RecordedPayloads): RecordedPayloads {
  const kept = payloadsToRecord(server, call, { maxStringLength: PAYLOAD_STRING_CHARS });
  for (const key of ['arguments', 'result'] as const) {
    if (kept[key] === undefined) continue;
    const size = Buffer.byteLength(JSON.stringify(kept[key]));
    if (size > PAYLOAD_JSON_BYTES) kept[key] = `[not kept: ${size} bytes of JSON, more than the ${PAYLOAD_JSON_BYTES} a call record keeps]`;
  }
  return kept;
}

/** Milliseconds rounded to microseconds, as call records carry them. */
export function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
