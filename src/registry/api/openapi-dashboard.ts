/**
 * The statistics, access and logs part of the OpenAPI description (`openapi.ts`
 * puts it in): the read views the dashboard draws (routes-stats.ts,
 * routes-access.ts, routes-logs.ts) and the schemas of their answers, which
 * mirror the types in src/client/wire-dashboard.ts.
 */
import { CALL_DECISIONS } from '../../client/wire.ts';
import { MAX_STATS_BUCKETS } from './stats-window.ts';
import { MAX_LOG_TAIL } from './routes-logs.ts';

const BASE = '/apis/berth.dev/v1alpha1';
const problem = { $ref: '#/components/responses/Problem' };
const problems = (...codes: number[]): Record<string, unknown> => Object.fromEntries(codes.map((c) => [String(c), problem]));
const json = (schema: unknown): { content: Record<string, { schema: unknown }> } => ({ content: { 'application/json': { schema } } });
const ref = (name: string): { $ref: string } => ({ $ref: `#/components/schemas/${name}` });
const str = { type: 'string' };
const time = { type: 'string', format: 'date-time' };
const int = { type: 'integer', minimum: 0 };
const strs = { type: 'array', items: str };
const obj = (required: string[], properties: Record<string, unknown>): unknown => ({ type: 'object', required, properties });
const nameParam = { name: 'name', in: 'path', required: true, schema: { type: 'string', pattern: '^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$' } };
const windowParams = [
  { name: 'server', in: 'query', schema: str, description: 'One server; absent: all, with one series per server' },
  { name: 'since', in: 'query', required: true, schema: time, description: 'Window start (aligned down to a bucket)' },
  { name: 'until', in: 'query', schema: time, description: 'Window end, exclusive; default now' },
  { name: 'bucket', in: 'query', schema: { type: 'string', default: '60s' }, description: `Bucket size, whole seconds, at least 10s; at most ${MAX_STATS_BUCKETS} buckets per window (else 400)` },
];
const gate = obj(['routable'], { routable: { type: 'boolean' }, code: { enum: ['lifecycle', 'not-ready'] }, reason: str });
const accessDecision = { enum: ['allow', 'needs-approval', 'deny'] };
const identity = { agent: str, groups: strs, from: { type: 'array', items: { enum: ['policy', 'agent-key'] } } };

/** The paths of `…/stats/*`, `…/mcpservers/{name}/access|logs` and `…/agents`. */
export function dashboardPaths(): Record<string, unknown> {
  return {
    [`${BASE}/stats/calls`]: {
      get: {
        summary: 'Calls per time bucket from call records: counts by decision, latency p50/p95/p99, overall and per server (admin, approver, reader)',
        parameters: windowParams,
        responses: { '200': { description: 'Series', ...json(ref('CallStats')) }, ...problems(400, 401, 403) },
      },
    },
    [`${BASE}/stats/reconcile`]: {
      get: {
        summary: 'Reconcile failures per time bucket, from the status writes in the change audit that reported Degraded=True (every role but agent and gateway)',
        parameters: windowParams,
        responses: { '200': { description: 'Series', ...json(ref('ReconcileStats')) }, ...problems(400, 401, 403) },
      },
    },
    [`${BASE}/mcpservers/{name}/access`]: {
      parameters: [nameParam],
      get: {
        summary: 'Every known agent × every declared tool: allow, needs-approval or deny with the reason, as the gateway and berth can-i decide (every role but agent and gateway)',
        responses: { '200': { description: 'The matrix', ...json(ref('ServerAccessMatrix')) }, ...problems(400, 401, 403, 404) },
      },
    },
    [`${BASE}/mcpservers/{name}/logs`]: {
      parameters: [nameParam],
      get: {
        summary: "A server's newest output lines (owner team's publishers, approvers, admins); 404 when the registry has no log source or it holds nothing for the server",
        parameters: [{ name: 'tail', in: 'query', schema: { type: 'integer', minimum: 1, maximum: MAX_LOG_TAIL, default: 100 } }],
        responses: { '200': { description: 'Lines, oldest first', ...json(ref('ServerLogs')) }, ...problems(400, 401, 403, 404) },
      },
    },
    [`${BASE}/agents`]: {
      get: {
        summary: 'Every known agent (AccessPolicy subjects, active agent keys): the servers it may use with verdict counts (every role but agent and gateway)',
        responses: { '200': { description: 'Agents', ...json(obj(['items'], { items: { type: 'array', items: ref('AgentSummary') } })) }, ...problems(401, 403) },
      },
    },
    [`${BASE}/agents/{agent}`]: {
      parameters: [{ name: 'agent', in: 'path', required: true, schema: str }],
      get: {
        summary: 'One agent with a decision per tool of every server (every role but agent and gateway)',
        responses: { '200': { description: 'The agent', ...json(ref('AgentAccess')) }, ...problems(401, 403, 404) },
      },
    },
  };
}

/** The schemas those paths refer to. */
export function dashboardSchemas(): Record<string, unknown> {
  const column = (item: unknown): unknown => ({ type: 'array', items: item, description: 'one value per bucket, in the order of starts' });
  const pct = column({ type: ['number', 'null'], minimum: 0 });
  const callSeries = obj(['total', 'decisions', 'p50', 'p95', 'p99'], {
    server: str,
    total: column(int),
    decisions: obj([...CALL_DECISIONS], Object.fromEntries(CALL_DECISIONS.map((d) => [d, column(int)]))),
    p50: pct,
    p95: pct,
    p99: pct,
  });
  const reconcileSeries = obj(['errors'], { server: str, errors: column(int) });
  const window = { since: time, until: time, bucketSeconds: int, starts: { type: 'array', items: time }, server: str, records: int, complete: { type: 'boolean' }, maxRecords: int };
  const required = ['since', 'until', 'bucketSeconds', 'starts', 'overall', 'servers', 'records', 'complete', 'maxRecords'];
  const cell = obj(['tool', 'decision', 'code', 'reason', 'scopes'], { tool: str, decision: accessDecision, code: str, reason: str, scopes: strs });
  const counts = obj(['allow', 'needs-approval', 'deny'], { allow: int, 'needs-approval': int, deny: int });
  return {
    CallStats: obj(required, { ...window, overall: callSeries, servers: { type: 'array', items: callSeries } }),
    ReconcileStats: obj([...required, 'source'], { ...window, overall: reconcileSeries, servers: { type: 'array', items: reconcileSeries }, source: str }),
    ServerAccessMatrix: obj(['server', 'tools', 'traffic', 'rows'], {
      server: str,
      tools: { type: 'array', items: obj(['name', 'scopes'], { name: str, scopes: strs, approval: { enum: ['required'] } }) },
      traffic: gate,
      rows: { type: 'array', items: obj(['agent', 'groups', 'from', 'policies', 'cells'], { ...identity, policies: strs, cells: { type: 'array', items: cell } }) },
    }),
    AgentAccess: obj(['agent', 'groups', 'from', 'policies', 'servers'], {
      ...identity,
      policies: strs,
      servers: {
        type: 'array',
        items: obj(['server', 'use', 'traffic', 'counts', 'cells'], {
          server: str,
          team: str,
          use: obj(['allowed', 'code', 'reason'], { allowed: { type: 'boolean' }, code: str, reason: str }),
          traffic: gate,
          counts,
          cells: { type: 'array', items: cell },
        }),
      },
    }),
    AgentSummary: obj(['agent', 'groups', 'from', 'policies', 'servers', 'unusableServers'], {
      ...identity,
      policies: strs,
      servers: { type: 'array', items: obj(['server', 'counts'], { server: str, team: str, counts }) },
      unusableServers: int,
    }),
    ServerLogs: obj(['server', 'source', 'lines'], {
      server: str,
      source: str,
      lines: { type: 'array', items: obj(['stream', 'line'], { time, stream: { enum: ['stdout', 'stderr'] }, line: str }) },
    }),
  };
}
