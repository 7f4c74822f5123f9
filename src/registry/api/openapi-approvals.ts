/**
 * The approvals and call records part of the OpenAPI description (`openapi.ts`
 * puts it in): their paths and the schemas of their bodies.
 */
import { APPROVAL_STATUSES, CALL_DECISIONS } from '../../client/wire.ts';

const BASE = '/apis/berth.dev/v1alpha1';
const problem = { $ref: '#/components/responses/Problem' };
const problems = (...codes: number[]): Record<string, unknown> => Object.fromEntries(codes.map((c) => [String(c), problem]));
const json = (schema: unknown): { content: Record<string, { schema: unknown }> } => ({ content: { 'application/json': { schema } } });
const ref = (name: string): { $ref: string } => ({ $ref: `#/components/schemas/${name}` });
const items = (name: string): unknown => ({ type: 'object', properties: { items: { type: 'array', items: ref(name) } } });
const query = (...names: string[]): unknown[] => names.map((name) => ({ name, in: 'query', schema: { type: 'string' } }));
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^apr_[0-9a-f]{24}$' } };
const reasonBody = { required: true, ...json({ type: 'object', properties: { reason: { type: 'string', maxLength: 1024 } } }) };

/** The paths of `…/approvals` and `…/callrecords`. */
export function approvalPaths(): Record<string, unknown> {
  return {
    [`${BASE}/approvals`]: {
      post: {
        summary: 'File an approval request for one tool call (gateway, admin); 200 with the open one when the same call already has one',
        requestBody: { required: true, ...json(ref('ApprovalRequest')) },
        responses: { '201': { description: 'Filed', ...json(ref('Approval')) }, '200': { description: 'The open approval of the same call', ...json(ref('Approval')) }, ...problems(400, 401, 403, 415, 422) },
      },
      get: {
        summary: 'List approvals, newest first (admin, approver, reader)',
        parameters: query('status', 'agent', 'server', 'limit'),
        responses: { '200': { description: 'Approvals', ...json(items('Approval')) }, ...problems(400, 401, 403) },
      },
    },
    [`${BASE}/approvals/{id}`]: {
      parameters: [idParam],
      get: { summary: 'One approval (admin, approver, reader, gateway)', responses: { '200': { description: 'The approval', ...json(ref('Approval')) }, ...problems(400, 401, 403, 404) } },
    },
    ...Object.fromEntries(
      (['approve', 'deny'] as const).map((verdict) => [
        `${BASE}/approvals/{id}/${verdict}`,
        {
          parameters: [idParam],
          post: {
            summary: `${verdict === 'approve' ? 'Approve' : 'Deny'} a pending request (approver, admin)`,
            requestBody: reasonBody,
            responses: { '200': { description: 'Decided', ...json(ref('Approval')) }, ...problems(400, 401, 403, 404, 409, 422) },
          },
        },
      ]),
    ),
    [`${BASE}/approvals/{id}/consume`]: {
      parameters: [idParam],
      post: {
        summary: 'Use a grant for exactly its call, once (gateway, admin): 409 not approved, denied or another call; 410 already used or expired',
        requestBody: { required: true, ...json(ref('ApprovalCall')) },
        responses: { '200': { description: 'Consumed', ...json(ref('Approval')) }, ...problems(400, 401, 403, 404, 409, 410, 422) },
      },
    },
    [`${BASE}/callrecords`]: {
      post: {
        summary: 'Append a batch of call records, all or none (gateway, admin)',
        requestBody: { required: true, ...json({ type: 'object', required: ['records'], properties: { records: { type: 'array', minItems: 1, maxItems: 1000, items: ref('CallRecord') } } }) },
        responses: { '201': { description: '{ appended }' }, ...problems(400, 401, 403, 413, 415, 422) },
      },
      get: {
        summary: 'Query call records, newest first by time then id (admin, approver, reader); since inclusive, until exclusive; continue when the page was full',
        parameters: query('agent', 'user', 'server', 'tool', 'decision', 'since', 'until', 'limit', 'continue'),
        responses: { '200': { description: 'Call records', ...json({ type: 'object', properties: { items: { type: 'array', items: ref('CallRecord') }, continue: str } }) }, ...problems(400, 401, 403) },
      },
    },
  };
}

const str = { type: 'string' };
const call = { agent: str, server: str, tool: str, argumentsHash: { type: 'string', pattern: '^[0-9a-f]{64}$' } };

/** The schemas those paths refer to. */
export function approvalSchemas(): Record<string, unknown> {
  return {
    ApprovalCall: { type: 'object', required: Object.keys(call), properties: call },
    ApprovalRequest: { type: 'object', required: Object.keys(call), properties: { ...call, user: str, sessionId: str } },
    Approval: {
      type: 'object',
      required: ['id', ...Object.keys(call), 'requestedAt', 'status'],
      properties: {
        id: str, ...call, user: str, sessionId: str, requestedAt: { type: 'string', format: 'date-time' }, status: { enum: [...APPROVAL_STATUSES] },
        decidedBy: str, decidedAt: { type: 'string', format: 'date-time' }, reason: str, expiresAt: { type: 'string', format: 'date-time' }, consumedAt: { type: 'string', format: 'date-time' },
      },
    },
    CallRecord: {
      type: 'object',
      required: ['agent', 'server', 'method', 'scopes', 'decision', 'reason', 'latencyMs', 'status'],
      properties: {
        id: { type: 'integer' }, time: { type: 'string', format: 'date-time' }, agent: str, user: str, server: str, tool: str, method: str,
        scopes: { type: 'array', items: str }, decision: { enum: [...CALL_DECISIONS] }, reason: str, latencyMs: { type: 'number', minimum: 0 },
        status: { type: 'integer' }, upstreamStatus: { type: 'integer' }, sessionId: str, requestId: str, approvalId: str, dataClassification: str, arguments: {}, result: {},
      },
      additionalProperties: false,
    },
  };
}
