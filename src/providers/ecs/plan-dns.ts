/**
 * Deploy plan for the server's Route 53 records: alias A and AAAA plus the
 * ownership TXT, always in one batch; an update is a compare-and-swap on the
 * TXT. Also the delete batch for records Berth owns elsewhere.
 */
import type { DeployAnalysis, OwnedDns } from './analyse.ts';
import type { EcsEnvironmentConfig } from './config.ts';
import { ALIAS_TYPES, presentAliases, sameAlias, type AliasesByType, type AliasType } from './dns.ts';
import type { EcsAction } from './types.ts';

/** Create, repair or retarget the records at the host, then delete those Berth owns at hosts the manifest no longer names. Pure. */
export function planDns(a: DeployAnalysis, config: EcsEnvironmentConfig): EcsAction[] {
  const out: EcsAction[] = [];
  if (a.dns !== undefined) {
    const cur = a.dnsCurrent;
    const want = a.dns.aliases;
    if (cur === undefined) {
      out.push({
        kind: 'change-dns',
        op: 'create',
        resource: `dns ${a.dns.name}`,
        reason: `alias A and AAAA to ${want.A.AliasTarget?.DNSName} with ownership record ${a.dns.ownership.Name}`,
        hostedZoneId: a.dns.hostedZoneId,
        changes: [...ALIAS_TYPES.map((t) => ({ action: 'CREATE' as const, record: want[t] })), { action: 'CREATE', record: a.dns.ownership }],
      });
    } else {
      // Only the records that differ are replaced: an A still right stays while a missing AAAA is added.
      const stale = ALIAS_TYPES.filter((t) => !sameAlias(cur.aliases[t], want[t]));
      if (stale.length > 0 || cur.hash !== a.dns.hash) {
        out.push({
          kind: 'change-dns',
          op: 'update',
          resource: `dns ${a.dns.name}`,
          reason: dnsUpdateReason(cur.hash === a.dns.hash, stale, cur.aliases, want.A.AliasTarget?.DNSName),
          hostedZoneId: a.dns.hostedZoneId,
          changes: [
            ...stale.flatMap((t) => (cur.aliases[t] !== undefined ? [{ action: 'DELETE' as const, record: cur.aliases[t] }] : [])),
            { action: 'DELETE', record: cur.ownership },
            ...stale.map((t) => ({ action: 'CREATE' as const, record: want[t] })),
            { action: 'CREATE', record: a.dns.ownership },
          ],
        });
      }
    }
  }
  if (config.hostedZoneId !== undefined) {
    for (const old of a.dnsElsewhere) out.push(deleteOwnedRecords(old, config.hostedZoneId, 'spec.routing.host no longer names it'));
  }
  return out;
}

/** One batch deleting the aliases present at an owned name together with their ownership record, so none is left unvouched. */
export function deleteOwnedRecords(rec: OwnedDns, hostedZoneId: string, reason: string): EcsAction {
  return {
    kind: 'change-dns',
    op: 'delete',
    resource: `dns ${presentAliases(rec.aliases)[0]?.Name ?? rec.ownership.Name}`,
    reason,
    hostedZoneId,
    changes: [...presentAliases(rec.aliases).map((r) => ({ action: 'DELETE' as const, record: r })), { action: 'DELETE', record: rec.ownership }],
  };
}

/** Why the aliases at the host are rewritten: put back after drift, added (an A-only installation gains its AAAA), or retargeted. */
function dnsUpdateReason(sameHash: boolean, stale: readonly AliasType[], have: AliasesByType, target: string | undefined): string {
  if (sameHash) return `record changed outside Berth (${stale.join(', ')})`;
  const kept = ALIAS_TYPES.filter((t) => !stale.includes(t));
  if (stale.every((t) => have[t] === undefined) && kept.length > 0) {
    return `add alias ${stale.join(', ')} beside the unchanged ${kept.join(', ')}; the ownership record now vouches for both`;
  }
  return `alias target → ${target}`;
}
