/**
 * Health of a local server: one check (HTTP health path, or MCP ping + tools/list
 * through the shared probe) and the threshold rules that turn a series of checks
 * into Healthy / Unhealthy, as an ALB target group would.
 */
import type { DiscoveredTool, Transport } from '../../manifest/types.ts';
import { checkHttpHealth, probeMcp, type McpSessionProbe } from '../mcp-probe.ts';
import type { ResolvedHealthCheck } from './launch.ts';

/** Health as status reports it, plus the counters the thresholds need. */
export interface HealthState {
  status: 'Healthy' | 'Unhealthy' | 'Unknown';
  /** RFC 3339 time of the last check. */
  lastChecked?: string;
  /** Last failure, or the last ping latency. */
  message?: string;
  consecutiveOk: number;
  consecutiveFail: number;
}

/** Health of a process nobody has checked yet. */
export const UNKNOWN_HEALTH: HealthState = { status: 'Unknown', consecutiveOk: 0, consecutiveFail: 0 };

/** Result of one check. */
export interface CheckResult {
  ok: boolean;
  message: string;
  tools?: DiscoveredTool[];
}

/**
 * Checks a server once. With a health URL: GET it, and when `wantTools`, also
 * ask tools/list over MCP (a failure there does not make the server unhealthy).
 * Without: MCP ping and tools/list, on `target.session` when given (a session kept
 * between checks), else on a session opened and ended for this check.
 */
export async function checkOnce(
  target: { endpoint: string; healthUrl?: string; transport: Transport; session?: McpSessionProbe },
  timeoutMs: number,
  wantTools: boolean,
  signal?: AbortSignal,
): Promise<CheckResult> {
  const probeTransport = target.transport === 'sse' ? 'sse' : 'streamable-http';
  if (target.healthUrl) {
    const h = await checkHttpHealth(target.healthUrl, timeoutMs, signal);
    if (!h.ok) return { ok: false, message: h.error ?? `health check failed (GET ${target.healthUrl})` };
    if (!wantTools) return { ok: true, message: `GET ${target.healthUrl} → ${h.status} in ${h.latencyMs} ms` };
    const p = await probeMcp(target.endpoint, { timeoutMs, transport: probeTransport, ...(signal ? { signal } : {}) });
    return { ok: true, message: `GET ${target.healthUrl} → ${h.status} in ${h.latencyMs} ms`, ...(p.tools ? { tools: p.tools } : {}) };
  }
  const asked = { timeoutMs, listTools: wantTools, ...(signal ? { signal } : {}) };
  const p = target.session ? await target.session.check(asked) : await probeMcp(target.endpoint, { ...asked, transport: probeTransport });
  if (!p.ok) return { ok: false, message: `MCP ping to ${target.endpoint} failed: ${p.error}` };
  return { ok: true, message: `MCP ping answered in ${p.latencyMs} ms`, ...(p.tools ? { tools: p.tools } : {}) };
}

/**
 * Folds one check into the health state (pure). The first success of a starting
 * process makes it Healthy at once (a startup probe: no reason to wait for
 * `healthyThreshold` when it has never been up); afterwards `healthyThreshold`
 * successes recover an Unhealthy server and `unhealthyThreshold` failures fail a
 * Healthy one. Failures during the grace period of a process that has not yet
 * been healthy are counted but do not make it Unhealthy.
 */
export function foldCheck(
  prev: HealthState,
  result: { ok: boolean; message: string },
  cfg: ResolvedHealthCheck,
  inGrace: boolean,
  nowIso: string,
): HealthState {
  if (result.ok) {
    const consecutiveOk = prev.consecutiveOk + 1;
    const status =
      prev.status === 'Unhealthy' && consecutiveOk < cfg.healthyThreshold ? 'Unhealthy' : 'Healthy';
    return { status, lastChecked: nowIso, message: result.message, consecutiveOk, consecutiveFail: 0 };
  }
  const consecutiveFail = prev.consecutiveFail + 1;
  const failing = consecutiveFail >= cfg.unhealthyThreshold && !(prev.status === 'Unknown' && inGrace);
  const status = failing ? 'Unhealthy' : prev.status;
  return { status, lastChecked: nowIso, message: result.message, consecutiveOk: 0, consecutiveFail };
}
