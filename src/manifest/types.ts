/**
 * Spec and status types of each kind. The JSON Schemas in `schemas/` are the source
 * of truth; `types.test.ts` fails when these types and the schemas disagree.
 * Optional fields marked "default" are always present after `applyDefaults`.
 */
import type { Condition, Resource } from './resource.ts';

/** Lifecycle stages, in the order a server normally moves through them. */
export const LIFECYCLE_STAGES = [
  'draft',
  'submitted',
  'security-review',
  'approved-dev',
  'approved-production',
  'monitored',
  'deprecated',
  'retired',
] as const;
/** One of {@link LIFECYCLE_STAGES}. */
export type LifecycleStage = (typeof LIFECYCLE_STAGES)[number];

/** Deployment environments. */
export type Environment = 'dev' | 'staging' | 'production';
/** MCP transports a server may speak. `sse` (legacy HTTP+SSE) is in the schema only to be refused with a reason (semantic.ts). */
export type Transport = 'streamable-http' | 'sse' | 'stdio';
/** Risk rating set by the owning team and reviewed by security. */
export type Risk = 'low' | 'medium' | 'high';
/** Sensitivity of the data a server can reach. */
export type DataClassification = 'public' | 'internal' | 'confidential' | 'restricted';

/** A reference to a secret. Never a literal value. */
export interface SecretRef {
  /** Environment variable (`runtime.secrets`) or HTTP header (`remote.headers`, `runtime.headers`) the secret is exposed as. */
  name: string;
  /**
   * ARN of a Secrets Manager secret or an SSM parameter, or (for headers, and
   * for `runtime.secrets` on the local runtime) `env:BERTH_SECRET_<NAME>` or
   * `file:<path under --secrets-dir>`.
   */
  valueFrom: string;
}

/** Health check of a runtime server (ALB target group on ECS; HTTP or MCP ping locally). */
export interface HealthCheckSpec {
  /** HTTP path answered with 2xx when healthy. Absent: an MCP ping on the server's MCP path. */
  path?: string;
  /** default 10 */
  intervalSeconds?: number;
  /** default 5 */
  timeoutSeconds?: number;
  /** default 2 */
  healthyThreshold?: number;
  /** default 3 */
  unhealthyThreshold?: number;
  /** Seconds after a task starts before failed checks count. default 30 */
  gracePeriodSeconds?: number;
}

/** How the single-machine (local) runtime starts the server as a process. */
export interface LocalRunSpec {
  /** Executable. `node` means the Node.js running Berth. */
  command: string;
  args?: string[];
  env?: Record<string, string>;
  /** Working directory: absolute, or relative to the folder Berth runs in (or the `berth.dev/source-dir` annotation's). */
  cwd?: string;
}

/**
 * Limits of the stdio bridge, which starts one server process per MCP session.
 * A new session over a limit is refused (503 with Retry-After); open sessions keep working.
 */
export interface StdioBridgeSpec {
  /** Sessions (server processes) at most at once. default 8 */
  maxSessions?: number;
  /** Resident memory at most of all the server's processes together, MiB. default 512 */
  maxMemoryMiB?: number;
  /** A session with nothing in flight and no traffic for this long is ended. default 300 */
  idleTimeoutSeconds?: number;
}

/** A server Berth runs: a container image on ECS, or a local process. */
export interface RuntimeSpec {
  /** Container image, by tag or pinned by digest (`repo@sha256:…`). */
  image: string;
  command?: string[];
  args?: string[];
  env?: Record<string, string>;
  secrets?: SecretRef[];
  /** Headers the gateway adds to every request it forwards to the server, from secret references (as `remote.headers`). */
  headers?: SecretRef[];
  /** Container port the MCP endpoint listens on. Ignored for stdio. default 8080 */
  port?: number;
  transport: Transport;
  /** Fargate CPU units (the schema allows only Fargate values). default 256, or the smallest cpu that allows `memory` */
  cpu?: number;
  /** Fargate memory MiB, valid for the cpu. default 512, or the smallest valid for `cpu` */
  memory?: number;
  /** default 1 */
  replicas?: number;
  /** MCP endpoint path inside the container. default "/mcp" */
  mcpPath?: string;
  /** default {} (then its own fields' defaults) */
  healthCheck?: HealthCheckSpec;
  local?: LocalRunSpec;
  /** Limits of the stdio bridge (transport `stdio`, local runtime). */
  stdio?: StdioBridgeSpec;
}

/** A server hosted elsewhere: Berth health-checks it and routes to it. */
export interface RemoteSpec {
  url: string;
  transport: 'streamable-http' | 'sse';
  headers?: SecretRef[];
}

/** How the gateway treats one server's traffic (`spec.gateway`). */
export interface GatewayTrafficSpec {
  /** Largest request body, bytes; larger → 413. Absent: the gateway's default (4 MiB). */
  maxRequestBodyBytes?: number;
  /** Wait for the server's answer (headers, and a JSON body's end), seconds; then 504. SSE streams are exempt once headers came. Absent: the gateway's default (60). */
  upstreamTimeoutSeconds?: number;
  /** Pass the server's Set-Cookie to clients. default false */
  forwardSetCookie?: boolean;
}

/** A tool the server exposes and the scopes a caller needs for it. */
export interface ToolSpec {
  name: string;
  description?: string;
  scopes: string[];
  /** default "none" */
  approval?: 'none' | 'required';
}

/** Desired state of an MCP server. */
export interface MCPServerSpec {
  description?: string;
  owner: { team: string; contact?: string };
  environment: Environment;
  lifecycle: LifecycleStage;
  risk: Risk;
  dataClassification: DataClassification;
  /** Kinds of data the server touches, e.g. customer, revenue. */
  dataCategories?: string[];
  version?: string;
  deprecation?: { date: string; replacement?: string };
  /** Exactly one of runtime and remote. */
  runtime?: RuntimeSpec;
  remote?: RemoteSpec;
  /** default { path: "/mcp/<name>" } */
  routing?: { path?: string; host?: string };
  /** The gateway's limits and header rules for this server; absent fields take the gateway's defaults. */
  gateway?: GatewayTrafficSpec;
  tools?: ToolSpec[];
  /** Scopes required for tools the server exposes but `tools` does not list, when `access.undeclaredTools` is `defaultScopes`. */
  defaultScopes?: string[];
  access?: AccessSpec;
}

/**
 * How the gateway authorizes callers on a server beyond each tool's scopes. Absent
 * (or any field absent) means the defaults: undeclared tools, anonymous callers,
 * resources and prompts refused; no payloads recorded. See `policy.ts`.
 */
export interface AccessSpec {
  /** A tool `tools` does not list: refused, or needing `defaultScopes`. default "deny" */
  undeclaredTools?: 'deny' | 'defaultScopes';
  /** Scopes a caller without credentials holds (authenticated callers too). Absent or empty: anonymous callers get 401. */
  anonymousScopes?: string[];
  /** Scopes needed for `resources/*`. Absent: refused. */
  resourceScopes?: string[];
  /** Scopes needed for `prompts/*`. Absent: refused. */
  promptScopes?: string[];
  /** What call records keep of a `tools/call`. default "none" */
  auditPayloads?: 'none' | 'arguments' | 'arguments-and-results';
}

/** Summary phase shown by `berth get`. */
export type ServerPhase = 'Pending' | 'Progressing' | 'Ready' | 'Degraded' | 'Retiring' | 'Retired' | 'NotDeployed';

/** A tool seen by MCP `tools/list` on the running server. */
export interface DiscoveredTool {
  name: string;
  description?: string;
}

/** Observed state of an MCP server, written by the reconciler. */
export interface MCPServerStatus {
  observedGeneration?: number;
  phase?: ServerPhase;
  conditions?: Condition[];
  /** URL the gateway forwards to. */
  endpoint?: string;
  tools?: DiscoveredTool[];
  health?: { status: 'Healthy' | 'Unhealthy' | 'Unknown'; lastChecked?: string; message?: string };
  /** Provider-specific facts: ARNs owned, rollout, target health, last error. */
  runtime?: Record<string, unknown>;
}

/** Who a policy applies to. */
export type Subject = { agent: string } | { group: string };

/** Desired state of an access policy: subjects → scopes. Deny wins over requireApproval, which wins over allow. */
export interface AccessPolicySpec {
  description?: string;
  subjects: Subject[];
  /** Scopes granted; a trailing `*` matches any suffix (`salesforce.*`). */
  allow: string[];
  /** Scopes granted only with a human approval. */
  requireApproval?: string[];
  /** Scopes never granted, whatever `allow` says. */
  deny?: string[];
  /** Token bucket per agent across all servers; the tightest of the agent's policies holds. */
  rateLimit?: RateLimitSpec;
  /** Token bucket per agent on each server; the tightest of the agent's policies holds. */
  serverRateLimit?: RateLimitSpec;
}

/** A token bucket: refilled at `requestsPerMinute`, holding at most `burst` requests. */
export interface RateLimitSpec {
  requestsPerMinute: number;
  /** Bucket size. Absent: `requestsPerMinute`. */
  burst?: number;
}

/** The stages an approver approves; the others need no approval (see approval.ts). */
export type ApprovableStage = 'approved-dev' | 'approved-production';

/**
 * One approver's decision on a stage, recorded by the registry (`berth approve` /
 * `berth reject`) in `metadata.approvals`, bound to the spec it was made on.
 */
export interface StageApproval {
  stage: ApprovableStage;
  decision: 'approved' | 'rejected';
  /** Token id of the approver. */
  by: string;
  role: 'approver' | 'admin';
  /** RFC 3339. */
  at: string;
  note?: string;
  /** `reviewHash` of the spec decided on (approval-hash.ts). */
  specHash: string;
  /** `codeHash` of the spec decided on: what runs. */
  codeHash: string;
}

/** A stored MCPServer. */
export type MCPServer = Resource<MCPServerSpec, MCPServerStatus> & { kind: 'MCPServer' };
/** A stored AccessPolicy. */
export type AccessPolicy = Resource<AccessPolicySpec, undefined> & { kind: 'AccessPolicy' };
/** Any object the registry stores. */
export type AnyResource = MCPServer | AccessPolicy;
