/**
 * Whether a server may receive traffic now, and if not why: the one rule the
 * gateway's route table, `berth can-i` and the registry's access matrix share
 * (so a page and a call cannot disagree). Pure.
 */
import type { Condition } from './resource.ts';
import type { MCPServer } from './types.ts';
import { ConditionType } from './conditions.ts';
import { mayReceiveTraffic } from './lifecycle.ts';

function describe(c: Condition): string {
  return c.message ? `${c.type}/${c.reason} — ${c.message}` : `${c.type}/${c.reason}`;
}

/**
 * Why a server must not receive traffic, or `undefined` when it may.
 * Rules: the manifest's traffic gate first (being deleted, or an effective (approved) lifecycle stage
 * that may not run in the server's environment: see src/manifest/lifecycle.ts),
 * then status: `Ready` not True, or no endpoint. When Ready is not True the most
 * telling condition is named: Degraded (True) first, then Progressing (True), else Ready itself.
 * `now` judges deprecation dates (the route table rebuilds a route when its
 * object changes; a server past its date is retired by the reconciler, whose
 * status write rebuilds it).
 * @example unroutableReason(submittedServer, new Date())
 * // `server "quote" is not routable: lifecycle stage 'submitted' is not deployed; request approved-dev in spec.lifecycle and ask an approver to approve it`
 */
export function unroutableReason(server: MCPServer, now: Date = new Date()): string | undefined {
  const name = server.metadata.name;
  const traffic = mayReceiveTraffic(server, now);
  if (!traffic.allowed) return `server "${name}" is not routable: ${traffic.message}`;
  const conditions = server.status?.conditions ?? [];
  const ready = conditions.find((c) => c.type === ConditionType.Ready);
  if (!ready) {
    // A runtime that failed before it could report readiness (e.g. a credential it cannot resolve) writes Degraded alone.
    const degraded = conditions.find((c) => c.type === ConditionType.Degraded && c.status === 'True');
    return `server "${name}" is not Ready: ${degraded ? describe(degraded) : 'the reconciler has not reported status yet'}`;
  }
  if (ready.status !== 'True') {
    const telling =
      conditions.find((c) => c.type === ConditionType.Degraded && c.status === 'True') ??
      conditions.find((c) => c.type === ConditionType.Progressing && c.status === 'True') ??
      ready;
    return `server "${name}" is not Ready: ${describe(telling)}`;
  }
  if (!server.status?.endpoint) return `server "${name}" is Ready but has no status.endpoint to route to`;
  return undefined;
}
