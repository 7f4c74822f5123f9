/**
 * The shape of a call record, checked once for the API (422 with every field
 * error) and the stores (a batch with a malformed record writes nothing). Pure.
 */
import { InvalidRequestError, type FieldError } from '../client/errors.ts';
import { CALL_DECISIONS, type CallRecord } from '../client/wire.ts';
import { jsonClone, normaliseTime } from './store-semantics.ts';

/** Most records one append may carry. */
export const MAX_CALL_RECORDS_PER_BATCH = 1000;

type Check = (v: unknown) => string | undefined;

const text =
  (max: number): Check =>
  (v) =>
    typeof v === 'string' && v.length > 0 && v.length <= max ? undefined : `must be a non-empty string of at most ${max} characters`;
const httpStatus: Check = (v) => (Number.isInteger(v) && (v as number) >= 100 && (v as number) <= 599 ? undefined : 'must be an HTTP status (100–599)');
const anything: Check = () => undefined;

/** Every field a call record may have, and its rule; `true` marks the required ones. */
const FIELDS: Readonly<Record<string, readonly [Check, boolean]>> = {
  id: [anything, false], // assigned by the store; a value sent is ignored
  time: [(v) => (typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? undefined : 'must be an RFC 3339 time'), false],
  agent: [text(253), true],
  user: [text(253), false],
  server: [text(253), true],
  tool: [text(128), false],
  method: [text(128), true],
  scopes: [(v) => (Array.isArray(v) && v.every((s) => typeof s === 'string') ? undefined : 'must be a list of strings'), true],
  decision: [(v) => ((CALL_DECISIONS as readonly unknown[]).includes(v) ? undefined : `must be one of ${CALL_DECISIONS.join(', ')}`), true],
  reason: [(v) => (typeof v === 'string' && v.length <= 2048 ? undefined : 'must be a string of at most 2048 characters'), true],
  latencyMs: [(v) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? undefined : 'must be a number of milliseconds, 0 or more'), true],
  status: [httpStatus, true],
  upstreamStatus: [httpStatus, false],
  sessionId: [text(256), false],
  requestId: [text(256), false],
  approvalId: [text(64), false],
  dataClassification: [text(64), false],
  arguments: [anything, false],
  result: [anything, false],
};

/**
 * Every problem with `records` as field errors (`records[3].decision must be one
 * of …`); empty when all are well-formed. Unknown fields are problems too, so a
 * misspelt `latency` is not silently dropped from the audit.
 * @example callRecordProblems([{ agent: 'a' }]) // [{ path: 'records[0].server', message: 'is required', … }, …]
 */
export function callRecordProblems(records: readonly unknown[]): FieldError[] {
  const problems: FieldError[] = [];
  records.forEach((r, i) => {
    const at = `records[${i}]`;
    if (r === null || typeof r !== 'object' || Array.isArray(r)) {
      problems.push({ path: at, message: 'must be an object', code: 'type' });
      return;
    }
    const rec = r as Record<string, unknown>;
    for (const [name, [check, required]] of Object.entries(FIELDS)) {
      const v = rec[name];
      if (v === undefined) {
        if (required) problems.push({ path: `${at}.${name}`, message: 'is required', code: 'required' });
        continue;
      }
      const message = check(v);
      if (message !== undefined) problems.push({ path: `${at}.${name}`, message, code: 'invalid' });
    }
    for (const name of Object.keys(rec)) {
      if (!(name in FIELDS)) problems.push({ path: `${at}.${name}`, message: `is not a call record field (known: ${Object.keys(FIELDS).join(', ')})`, code: 'unknown-field' });
    }
  });
  return problems;
}

/**
 * The records a store writes: checked (InvalidRequestError listing every
 * problem, before anything is written), copied, without ids, with times
 * normalised to RFC 3339 UTC and `nowIso` where absent.
 */
export function recordsToStore(records: readonly CallRecord[], nowIso: string): Omit<CallRecord, 'id'>[] {
  const problems = callRecordProblems(records);
  if (problems.length > 0) {
    throw new InvalidRequestError(`${problems.length} problem(s) in the call records; nothing was written: ${problems.slice(0, 3).map((p) => `${p.path} ${p.message}`).join('; ')}`, { errors: problems });
  }
  return records.map((r) => {
    const { id: _ignored, ...rest } = jsonClone(r);
    return { ...rest, time: normaliseTime(r.time, nowIso) };
  });
}
