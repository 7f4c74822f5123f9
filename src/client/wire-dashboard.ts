/**
 * Wire shapes of the registry's read-only views for people (the dashboard, issue
 * 18): call and reconcile statistics, who may call what, recent server logs.
 * Types only (re-exported by `wire.ts`), so the browser imports them with
 * `import type` and ships none of this.
 */
import type { CallDecision } from './wire.ts';

/**
 * One call series, column by column (uPlot's data layout): index `i` of every
 * array is the bucket starting at `since + i × bucketSeconds`.
 */
export interface CallStatsSeries {
  /** Absent: every server together. */
  server?: string;
  /** Records per bucket. */
  total: number[];
  /** Records per bucket by decision; every decision is present. */
  decisions: Record<CallDecision, number[]>;
  /** Latency percentiles of `latencyMs` per bucket, in ms (nearest rank); null where the bucket holds no record. */
  p50: (number | null)[];
  p95: (number | null)[];
  p99: (number | null)[];
}

/** `GET …/stats/calls`: calls per time bucket, overall and per server. */
export interface CallStats {
  /** RFC 3339, the window [since, until), `since` aligned down to a bucket boundary. */
  since: string;
  until: string;
  bucketSeconds: number;
  /** RFC 3339 start of each bucket (the series' x values). */
  starts: string[];
  /** The server asked about, when one was. */
  server?: string;
  /** Every server (or the one asked about) together. */
  overall: CallStatsSeries;
  /** One series per server with records in the window, by name; only the asked one when `server` was given. */
  servers: CallStatsSeries[];
  /** Call records read. */
  records: number;
  /**
   * False when the window held more records than one query reads
   * (`maxRecords`): then the oldest buckets are undercounted; ask a narrower window.
   */
  complete: boolean;
  maxRecords: number;
}

/** A reconcile-failure series, column by column like {@link CallStatsSeries}. */
export interface ReconcileStatsSeries {
  /** Absent: every server together. */
  server?: string;
  /** Status writes per bucket that reported a reconcile failure (see {@link ReconcileStats}.source). */
  errors: number[];
}

/** `GET …/stats/reconcile`: reconcile failures per time bucket, overall and per server. */
export interface ReconcileStats {
  since: string;
  until: string;
  bucketSeconds: number;
  starts: string[];
  server?: string;
  overall: ReconcileStatsSeries;
  servers: ReconcileStatsSeries[];
  /** Where the counts come from, in a sentence (the change audit's status records). */
  source: string;
  /** Audit records read. */
  records: number;
  /** False when the window held more status records than one query reads; the oldest buckets are undercounted. */
  complete: boolean;
  maxRecords: number;
}

/** What the gateway would do with one call: the policy's verdict and the traffic gate together. */
export type AccessDecision = 'allow' | 'needs-approval' | 'deny';

/**
 * Why a cell is what it is: a policy decision code (`allowed`, `missing-scope`,
 * `denied-by-policy`, `approval-by-manifest`, `approval-by-policy`, …, see
 * src/manifest/policy-scopes.ts) or, when the policy would allow but the server
 * may not receive traffic, `lifecycle` (the lifecycle gate: stage, environment,
 * deletion) or `not-ready` (status: not Ready, no endpoint).
 */
export type AccessCode = string;

/** One agent × tool cell. */
export interface AccessCell {
  tool: string;
  decision: AccessDecision;
  code: AccessCode;
  /** The sentence the gateway or `berth can-i` would give. */
  reason: string;
  /** Scopes the call needs. */
  scopes: string[];
}

/** Where the registry learned of an agent: an AccessPolicy subject, or an active agent key. */
export type AgentSource = 'policy' | 'agent-key';

/** An agent as a caller: its name and the groups its keys carry. */
export interface AgentIdentity {
  agent: string;
  /** Groups of its active agent keys (union, sorted); policies naming these groups apply to it. */
  groups: string[];
  from: AgentSource[];
}

/** One row of a server's access matrix. */
export interface AccessRow extends AgentIdentity {
  /** AccessPolicies that apply to this agent. */
  policies: string[];
  /** One cell per tool of the server, in the matrix's tool order. */
  cells: AccessCell[];
}

/** A tool as the matrix shows it. */
export interface AccessTool {
  name: string;
  scopes: string[];
  /** `required` when the manifest holds every call for a human approval. */
  approval?: 'required';
}

/** Whether a server may receive traffic now (lifecycle gate, Ready, endpoint). */
export interface TrafficGate {
  routable: boolean;
  /** `lifecycle` or `not-ready` when not routable. */
  code?: 'lifecycle' | 'not-ready';
  reason?: string;
}

/** `GET …/mcpservers/<name>/access`: every known agent × every declared tool of one server. */
export interface ServerAccessMatrix {
  server: string;
  tools: AccessTool[];
  traffic: TrafficGate;
  rows: AccessRow[];
}

/** One server as one agent sees it (`GET …/agents/<agent>`). */
export interface AgentServerAccess {
  server: string;
  team?: string;
  /** May the agent use the server at all (connect, list, discovery)? Code `allowed`, `no-access` or `anonymous-refused`. */
  use: { allowed: boolean; code: AccessCode; reason: string };
  traffic: TrafficGate;
  /** Counts of the cells by decision. */
  counts: Record<AccessDecision, number>;
  /** One cell per declared tool. */
  cells: AccessCell[];
}

/** `GET …/agents/<agent>`: every server, each with a cell per tool. */
export interface AgentAccess extends AgentIdentity {
  policies: string[];
  servers: AgentServerAccess[];
}

/** A server an agent may use, in the agents list: its cells counted. */
export interface AgentServerSummary {
  server: string;
  team?: string;
  counts: Record<AccessDecision, number>;
}

/** One item of `GET …/agents`: the servers the agent may use (policy-wise; the traffic gate is per server, see the server's access matrix). */
export interface AgentSummary extends AgentIdentity {
  policies: string[];
  servers: AgentServerSummary[];
  /** Servers it may not use at all. */
  unusableServers: number;
}

/** One line of a server's own output. */
export interface ServerLogEntry {
  /** RFC 3339, when the log source knows it. */
  time?: string;
  stream: 'stdout' | 'stderr';
  line: string;
}

/** `GET …/mcpservers/<name>/logs`: the newest lines, oldest first. */
export interface ServerLogs {
  server: string;
  /** What the lines were read from, e.g. `local runtime files`. */
  source: string;
  lines: ServerLogEntry[];
}
