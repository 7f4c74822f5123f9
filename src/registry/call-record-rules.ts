/**
 * The shape of a call record, checked once for the API (422 with every field
 * error) and the stores (a batch with a malformed record writes nothing). Pure.
 */
import { InvalidRequestError, type FieldError } from '../client/errors.ts';
import { CALL_DECISIONS, CALL_RECORD_TEXT_LIMITS as MAX, type CallRecord } from '../client/wire.ts';
import { anything, shapeProblems, text, type Check, type Fields } from './record-shape.ts';
import { normaliseTime } from './store-semantics.ts';

/** Most records one append may carry. */
export const MAX_CALL_RECORDS_PER_BATCH = 1000;

const httpStatus: Check = (v) => (Number.isInteger(v) && (v as number) >= 100 && (v as number) <= 599 ? undefined : 'must be an HTTP status (100–599)');

/** Every field a call record may have, and its rule. */
const FIELDS: Fields = {
  id: [anything, 'optional'], // assigned by the store; a value sent is ignored
  time: [(v) => (typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? undefined : 'must be an RFC 3339 time'), 'optional'],
  agent: [text(MAX.agent), 'required'],
  user: [text(MAX.user), 'optional'],
  server: [text(MAX.server), 'required'],
  tool: [text(MAX.tool), 'optional'],
  method: [text(MAX.method), 'required'],
  scopes: [(v) => (Array.isArray(v) && v.every((s) => typeof s === 'string') ? undefined : 'must be a list of strings'), 'required'],
  decision: [(v) => ((CALL_DECISIONS as readonly unknown[]).includes(v) ? undefined : `must be one of ${CALL_DECISIONS.join(', ')}`), 'required'],
  reason: [(v) => (typeof v === 'string' && v.length <= MAX.reason ? undefined : `must be a string of at most ${MAX.reason} characters`), 'required'],
  latencyMs: [(v) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? undefined : 'must be a number of milliseconds, 0 or more'), 'required'],
  status: [httpStatus, 'required'],
  upstreamStatus: [httpStatus, 'optional'],
  sessionId: [text(MAX.sessionId), 'optional'],
  requestId: [text(MAX.requestId), 'optional'],
  approvalId: [text(MAX.approvalId), 'optional'],
  dataClassification: [text(MAX.dataClassification), 'optional'],
  arguments: [anything, 'optional'],
  result: [anything, 'optional'],
};

/**
 * Every problem with `records` as field errors (`records[3].decision must be one
 * of …`); empty when all are well-formed. Unknown fields are problems too, so a
 * misspelt `latency` is not silently dropped from the audit.
 * @example callRecordProblems([{ agent: 'a' }]) // [{ path: 'records[0].server', message: 'is required', … }, …]
 */
function callRecordProblems(records: readonly unknown[]): FieldError[] {
  return records.flatMap((r, i) => shapeProblems(r, FIELDS, `records[${i}]`));
}

/**
 * The records a store writes: checked (InvalidRequestError listing every
 * problem, before anything is written), copied (shallowly), without ids, with times
 * normalised to RFC 3339 UTC and `nowIso` where absent.
 */
export function recordsToStore(records: readonly CallRecord[], nowIso: string): Omit<CallRecord, 'id'>[] {
  const problems = callRecordProblems(records);
  if (problems.length > 0) {
    const shown = problems.slice(0, 5).map((p) => `${p.path} ${p.message}`).join('; ');
    throw new InvalidRequestError(`${problems.length} problem(s) in the call records, so none was written: ${shown}${problems.length > 5 ? '; …' : ''}`, { errors: problems });
  }
  // A shallow copy is enough: stores keep records as JSON text, never the objects.
  return records.map((r) => {
    const { id: _ignored, ...rest } = r;
    return { ...rest, time: normaliseTime(r.time, nowIso) };
  });
}
