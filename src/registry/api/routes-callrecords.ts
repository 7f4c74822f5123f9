/**
 * `…/callrecords`: the gateway's durable per-call audit.
 *
 *   POST …/callrecords {records: [...]}   append a batch, all or none (gateway, admin); ≤ 1000 records
 *   GET  …/callrecords?agent&user&server&tool&decision&since&until&limit&continue
 *        newest first (admin, approver, reader); `continue` in the answer when the page was full
 *
 * A malformed batch gets a 422 naming every problem (`records[3].decision …`),
 * and nothing of it is written.
 */
import { InvalidRequestError, RegistryError, type FieldError } from '../../client/errors.ts';
import { CALL_DECISIONS, type CallDecision, type CallRecord, type CallRecordQuery, type RecordPage } from '../../client/wire.ts';
import { encodeCallRecordCursor } from '../store-semantics.ts';
import { MAX_CALL_RECORDS_PER_BATCH } from '../call-record-rules.ts';
import { enforce, mayActAsGateway, mayReadCallAudit } from '../auth/authorize.ts';
import { readObjectBody } from './body.ts';
import { badQuery, PREFIX, recordPage, recordWindowQuery, type ApiApp, type ApiDeps } from './context.ts';

/**
 * Largest call record batch body: 8 MiB. A full batch of 1000 records with the
 * arguments and results policy asks to keep outgrows the 1 MiB other bodies get;
 * only gateway and admin tokens may send one.
 */
export const MAX_CALL_RECORD_BODY_BYTES = 8 * 1024 * 1024;

const BASE = `${PREFIX}/callrecords`;

function invalid(detail: string, errors?: FieldError[]): RegistryError {
  return new RegistryError(422, { type: 'invalid-call-records', title: 'Invalid call records', detail, ...(errors ? { errors } : {}) });
}

/** Registers the call record routes; call before the generic resource routes. */
export function callRecordRoutes(app: ApiApp, { store }: ApiDeps): void {
  app.post(BASE, async (c) => {
    enforce(mayActAsGateway(c.get('principal')));
    const body = await readObjectBody(c.req.raw, { limit: MAX_CALL_RECORD_BODY_BYTES });
    const { records, ...rest } = body;
    if (Object.keys(rest).length > 0) throw invalid(`unknown member(s) ${Object.keys(rest).join(', ')}: send {"records": [...]}`);
    if (!Array.isArray(records) || records.length === 0 || records.length > MAX_CALL_RECORDS_PER_BATCH) {
      throw invalid(`send {"records": [...]} with 1 to ${MAX_CALL_RECORDS_PER_BATCH} records${Array.isArray(records) ? ` (got ${records.length}); split larger batches` : ''}`);
    }
    try {
      const saved = await store.appendCallRecords(records as CallRecord[]);
      return c.json({ appended: saved.length }, 201);
    } catch (err) {
      // The store checks every record before it writes any; its field errors are this request's 422.
      if (err instanceof InvalidRequestError && err.errors !== undefined) throw invalid(err.message, err.errors);
      throw err;
    }
  });

  app.get(BASE, async (c) => {
    enforce(mayReadCallAudit(c.get('principal')));
    const q: CallRecordQuery = recordWindowQuery(c);
    for (const key of ['agent', 'user', 'server', 'tool'] as const) {
      const v = c.req.query(key);
      if (v) q[key] = v;
    }
    const decision = c.req.query('decision');
    if (decision) {
      if (!(CALL_DECISIONS as readonly string[]).includes(decision)) throw badQuery(`decision must be one of ${CALL_DECISIONS.join(', ')} (got ${JSON.stringify(decision)})`);
      q.decision = decision as CallDecision;
    }
    const page: RecordPage<CallRecord> = recordPage(await store.queryCallRecords(q), q.limit!, encodeCallRecordCursor);
    return c.json(page);
  });
}
