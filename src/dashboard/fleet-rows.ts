/**
 * One fleet table row per MCPServer, derived once per object version: the
 * effective stage comes from the manifest's own rule (`effectiveStageOf`, the
 * one `berth get -o wide` uses), the phase as `berth get` shows it.
 */
import { effectiveStageOf } from '../manifest/approval.ts';
import type { MCPServer } from '../manifest/types.ts';

/** What the fleet table shows of one server. */
export interface FleetRow {
  name: string;
  team: string;
  environment: string;
  requested: string;
  effective: string;
  /** Why the effective stage is lower than the requested one, when it is. */
  effectiveWhy?: string;
  phase: string;
  /** `ready/desired`. */
  replicas: string;
  endpoint: string;
  /** RFC 3339: the newest condition transition, else creation. */
  lastChange: string;
  /** Lower-case text the search box matches. */
  haystack: string;
}

const cache = new WeakMap<MCPServer, FleetRow>();

function replicasOf(s: MCPServer): string {
  const runtime = s.status?.runtime as { service?: { running?: number; desired?: number }; replicas?: { requested?: number; running?: number } } | undefined;
  const service = runtime?.service;
  if (service?.desired !== undefined) return `${service.running ?? 0}/${service.desired}`;
  // A server hosted elsewhere has no replicas of Berth's.
  if (s.spec.runtime === undefined) return '-';
  const desired = s.spec.runtime.replicas ?? 1;
  const ready = s.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
  if (s.status?.phase === 'NotDeployed' || s.status?.phase === 'Retired') return '0/0';
  // The local runtime runs one process however many replicas are asked for, and says so in
  // status.runtime.replicas: show what runs, not what was asked.
  const running = runtime?.replicas?.running;
  return `${ready ? (running ?? desired) : 0}/${desired}`;
}

function lastChangeOf(s: MCPServer): string {
  let latest = s.metadata.creationTimestamp ?? '';
  for (const c of s.status?.conditions ?? []) if (c.lastTransitionTime > latest) latest = c.lastTransitionTime;
  return latest;
}

/** The row of `server` (cached per object: a watch event brings a new object). */
export function fleetRow(server: MCPServer, now: Date): FleetRow {
  const hit = cache.get(server);
  if (hit) return hit;
  const { spec, metadata, status } = server;
  let effective = '-';
  let effectiveWhy: string | undefined;
  try {
    const stage = effectiveStageOf(server, now);
    effective = stage.effective;
    effectiveWhy = stage.missing?.reason;
  } catch {
    // A spec the rule cannot read (older shape): show the request alone.
  }
  const row: FleetRow = {
    name: metadata.name,
    team: spec.owner?.team ?? '-',
    environment: spec.environment ?? '-',
    requested: spec.lifecycle ?? '-',
    effective,
    ...(effectiveWhy !== undefined ? { effectiveWhy } : {}),
    phase: metadata.deletionTimestamp ? 'Deleting' : (status?.phase ?? 'Pending'),
    replicas: replicasOf(server),
    endpoint: status?.endpoint ?? '-',
    lastChange: lastChangeOf(server),
    haystack: '',
  };
  row.haystack = [row.name, row.team, row.environment, row.requested, row.effective, row.phase, row.endpoint, spec.description ?? ''].join(' ').toLowerCase();
  cache.set(server, row);
  return row;
}
