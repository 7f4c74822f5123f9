/**
 * Lifecycle approvals the fleet is waiting for, PURE: which servers request a
 * stage their current spec has no approval for (the manifest's own rule,
 * `effectiveStageOf`, the one the reconciler and gateway decide on), and what
 * changed since the last spec anyone approved.
 *
 * The registry keeps no old spec bodies: an approval records the spec's hashes,
 * and the audit records each write's field-level changes (`details.changes`,
 * src/manifest/change-summary.ts). So "the diff since the last approved spec" is
 * the changes of the writes after that approval, merged per field: the value
 * before the first of them → the value after the last. Secret-looking fields
 * show `(changed)` only, as in the audit.
 */
import { effectiveStageOf, type EffectiveStage } from '../manifest/approval.ts';
import type { ApprovableStage, MCPServer, StageApproval } from '../manifest/types.ts';
import type { AuditEntry } from '../client/wire.ts';

/** One server waiting for a lifecycle decision. */
export interface StageRequest {
  name: string;
  team: string;
  environment: string;
  risk: string;
  effective: EffectiveStage;
  /** The stage an approval would grant. */
  stage: ApprovableStage;
  /** Why it is not granted now, as `berth describe` says it. */
  reason: string;
  /** The newest approval (any stage) recorded for the server: the last approved spec. */
  lastApproved?: StageApproval;
  /** The server's resource version (changes when anything about it does). */
  resourceVersion: number;
}

/** The servers whose requested stage their current spec lacks an approval for, by name; deleting ones are left out. */
export function stageRequests(servers: Iterable<MCPServer>, now: Date): StageRequest[] {
  const out: StageRequest[] = [];
  for (const s of servers) {
    if (s.metadata.deletionTimestamp !== undefined) continue;
    const effective = effectiveStageOf(s, now);
    if (effective.missing === undefined) continue;
    const approved = (s.metadata.approvals ?? []).filter((a) => a.decision === 'approved');
    const lastApproved = approved.reduce<StageApproval | undefined>((newest, a) => (newest === undefined || a.at >= newest.at ? a : newest), undefined);
    out.push({
      name: s.metadata.name,
      team: s.spec.owner.team,
      environment: s.spec.environment,
      risk: s.spec.risk,
      effective,
      stage: effective.missing.stage,
      reason: effective.missing.reason,
      ...(lastApproved !== undefined ? { lastApproved } : {}),
      resourceVersion: Number(s.metadata.resourceVersion ?? 0),
    });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** One field changed since the last approval. */
export interface FieldChange {
  /** `spec.runtime.image`, `metadata.labels.team`, … */
  path: string;
  /** As the audit shows it: a JSON value, `∅` for absent, or `(changed)` for a value never shown. */
  before: string;
  after: string;
  /** How many writes changed it. */
  writes: number;
}

/** The merged changes of a run of writes. */
export interface SpecDiff {
  fields: FieldChange[];
  /** Writes (audit entries with changes) the diff is made of. */
  writes: number;
  /** Some write listed only its first changed paths (`… and N more`): fields may be missing. */
  truncated: boolean;
}

const HIDDEN = '(changed)';

/** `path: old → new` or `path: (changed)`, as change-summary.ts writes a line; undefined for anything else. */
function parseLine(line: string): { path: string; before: string; after: string } | undefined {
  const hidden = /^(.+): \(changed\)$/.exec(line);
  if (hidden) return { path: hidden[1]!, before: HIDDEN, after: HIDDEN };
  const shown = /^(.+?): (.*) → (.*)$/s.exec(line);
  if (shown) return { path: shown[1]!, before: shown[2]!, after: shown[3]! };
  return undefined;
}

/**
 * The field-level changes of `entries` (audit entries, any order) merged per
 * path in time order; a field changed and changed back is left out, unless its
 * value was never shown.
 */
export function mergeChanges(entries: readonly AuditEntry[]): SpecDiff {
  const ordered = [...entries].filter((e) => Array.isArray(e.details?.['changes']) && (e.details['changes'] as unknown[]).length > 0).sort((a, b) => (a.id ?? 0) - (b.id ?? 0));
  const byPath = new Map<string, FieldChange>();
  let truncated = false;
  for (const e of ordered) {
    for (const line of e.details!['changes'] as unknown[]) {
      if (typeof line !== 'string') continue;
      if (line.startsWith('… and ')) {
        truncated = true;
        continue;
      }
      const c = parseLine(line);
      if (!c) continue;
      const seen = byPath.get(c.path);
      if (!seen) byPath.set(c.path, { ...c, writes: 1 });
      else {
        seen.after = c.after === HIDDEN || seen.before === HIDDEN ? HIDDEN : c.after;
        if (c.before === HIDDEN) seen.before = HIDDEN;
        seen.writes++;
      }
    }
  }
  const fields = [...byPath.values()].filter((f) => f.before === HIDDEN || f.before !== f.after).sort((a, b) => (a.path < b.path ? -1 : 1));
  return { fields, writes: ordered.length, truncated };
}
