/**
 * The one-line live summary `berth up` shows: how many servers are Ready, how
 * many tools they expose, and which servers are not Ready and why.
 */
import { mayReceiveTraffic } from '../manifest/lifecycle.ts';
import type { Resource } from '../manifest/resource.ts';
import type { MCPServerSpec, MCPServerStatus } from '../manifest/types.ts';

/** Counts behind the summary line. */
export interface FleetSummary {
  /** Servers Berth is asked to run and route: those the manifest's traffic gate lets through (src/manifest/lifecycle.ts). */
  deployable: number;
  ready: number;
  tools: number;
  /** `name: Phase (reason)` for each deployable server that is not Ready. */
  waiting: string[];
}

/** Summarises MCPServer objects as stored (spec + status) at `now` (deprecation dates). Pure. */
export function summarizeFleet(servers: readonly Resource[], now: Date): FleetSummary {
  const summary: FleetSummary = { deployable: 0, ready: 0, tools: 0, waiting: [] };
  for (const obj of servers) {
    const spec = obj.spec as MCPServerSpec;
    // Not yet approved, retired, not approved for its environment or being deleted: nothing to wait for.
    if (!mayReceiveTraffic({ metadata: obj.metadata, spec }, now).allowed) continue;
    summary.deployable += 1;
    const status = obj.status as MCPServerStatus | undefined;
    const ready = status?.conditions?.find((c) => c.type === 'Ready');
    if (status !== undefined && ready?.status === 'True' && status.observedGeneration === obj.metadata.generation) {
      summary.ready += 1;
      summary.tools += status.tools?.length ?? 0;
    } else {
      summary.waiting.push(`${obj.metadata.name}: ${status?.phase ?? 'Pending'}${ready ? ` (${ready.reason})` : ''}`);
    }
  }
  return summary;
}

/**
 * "4/4 servers Ready, 11 tools" plus what is still waiting, in at most `width`
 * characters (a terminal's columns; default unlimited): whole waiting entries
 * while they fit, then "+N more", then only how many wait, then the head cut with "…".
 * @example formatSummary({ deployable: 4, ready: 1, tools: 2, waiting: ['a: Degraded (CrashLoop)', …] }, 60)
 * // "1/4 servers Ready, 2 tools — waiting: a: Degraded (CrashLoop); +2 more"
 */
export function formatSummary(s: FleetSummary, width = Infinity): string {
  const head = `${s.ready}/${s.deployable} servers Ready, ${s.tools} tools`;
  const full = s.waiting.length === 0 ? head : `${head} — waiting: ${s.waiting.join('; ')}`;
  if (full.length <= width) return full;
  for (let shown = s.waiting.length - 1; shown >= 1; shown--) {
    const line = `${head} — waiting: ${s.waiting.slice(0, shown).join('; ')}; +${s.waiting.length - shown} more`;
    if (line.length <= width) return line;
  }
  const counted = `${head} — ${s.waiting.length} waiting`;
  if (counted.length <= width) return counted;
  return width <= 1 ? head.slice(0, Math.max(0, width)) : `${head.slice(0, width - 1)}…`;
}
