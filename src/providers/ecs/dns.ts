/**
 * The Route 53 records Berth keeps for a server with `spec.routing.host`: an
 * alias A and an alias AAAA to the ALB's `dualstack.` name (alias records have
 * no TTL), and the ownership TXT beside them that vouches for both (records
 * can't be tagged). Pure: `analyse.ts` reads the zone with these, `plan.ts`
 * writes what they describe.
 *
 * The TXT's spec-hash is the hash of the alias records it vouches for. Versions
 * before AAAA support hashed the A alone; such a TXT vouches for the A only, so
 * an AAAA found beside it is someone else's, and the missing AAAA is added
 * (with the TXT rewritten in the same batch) rather than A being re-created.
 */
import type { ResourceRecordSet } from '@aws-sdk/client-route-53';
import { specHash } from '../../manifest/spec-hash.ts';
import type { ListenerConfig } from './config.ts';
import { normaliseDnsName, ownershipRecordName } from './naming.ts';
import { findRecord, ownershipTxtValue, type Owner, type OwnershipRecord } from './ownership.ts';

/** The alias record types Berth writes at a host, IPv4 first. */
export const ALIAS_TYPES = ['A', 'AAAA'] as const;

/** One of {@link ALIAS_TYPES}. */
export type AliasType = (typeof ALIAS_TYPES)[number];

/** Alias records by type; a type is absent when there is no such record. */
export type AliasesByType = Partial<Record<AliasType, ResourceRecordSet>>;

/**
 * The alias records for `host` pointing at the listener's ALB, one per type.
 * @example Object.keys(aliasRecords('weather.mcp.example.com', listener)) // ['A', 'AAAA']
 */
export function aliasRecords(host: string, listener: ListenerConfig): Record<AliasType, ResourceRecordSet> {
  return { A: aliasRecord(host, 'A', listener), AAAA: aliasRecord(host, 'AAAA', listener) };
}

function aliasRecord(host: string, type: AliasType, listener: ListenerConfig): ResourceRecordSet {
  return {
    Name: normaliseDnsName(host),
    Type: type,
    AliasTarget: { HostedZoneId: listener.canonicalHostedZoneId, DNSName: normaliseDnsName(`dualstack.${listener.dnsName}`), EvaluateTargetHealth: false },
  };
}

/** The spec-hash an ownership TXT carries for the aliases it vouches for (A, AAAA). */
export function dnsHash(aliases: Readonly<Record<AliasType, ResourceRecordSet>>): string {
  return specHash(ALIAS_TYPES.map((t) => aliases[t]));
}

/** The spec-hash a version before AAAA support wrote for this A alias. */
export function hashBeforeAaaa(a: ResourceRecordSet): string {
  return specHash(a);
}

/** The ownership TXT record for `host`, vouching for aliases whose hash is `hash`. */
export function ownershipRecord(host: string, owner: Owner, hash: string): ResourceRecordSet {
  return {
    Name: normaliseDnsName(ownershipRecordName(host)),
    Type: 'TXT',
    TTL: 300,
    ResourceRecords: [{ Value: ownershipTxtValue({ installationId: owner.installationId, server: owner.server, hash }) }],
  };
}

/**
 * Hashes a version before AAAA support would have written for `host` (the hash
 * of the A alias alone): the one for the A record still in the zone (so a
 * listener since removed from the config is still recognised) and one per
 * configured listener (so an A changed or deleted since is too).
 */
function hashesWithoutAaaa(host: string, records: readonly ResourceRecordSet[], listeners: readonly ListenerConfig[]): Set<string> {
  const out = new Set(listeners.map((l) => hashBeforeAaaa(aliasRecord(host, 'A', l))));
  const a = findRecord(records, host, 'A');
  if (a?.AliasTarget !== undefined) {
    out.add(
      hashBeforeAaaa({
        Name: normaliseDnsName(a.Name ?? ''),
        Type: 'A',
        AliasTarget: {
          HostedZoneId: (a.AliasTarget.HostedZoneId ?? '').replace(/^\/hostedzone\//, ''),
          DNSName: normaliseDnsName(a.AliasTarget.DNSName ?? ''),
          EvaluateTargetHealth: a.AliasTarget.EvaluateTargetHealth ?? false,
        },
      }),
    );
  }
  return out;
}

/**
 * True when the ownership record for `host` was written by a version that kept
 * only an A alias: it does not vouch for an AAAA at the host.
 */
export function writtenBeforeAaaa(host: string, ownership: OwnershipRecord, records: readonly ResourceRecordSet[], listeners: readonly ListenerConfig[]): boolean {
  return hashesWithoutAaaa(host, records, listeners).has(ownership.hash);
}

/** The alias types an ownership record vouches for (see {@link writtenBeforeAaaa}). */
export function vouchedTypes(host: string, ownership: OwnershipRecord, records: readonly ResourceRecordSet[], listeners: readonly ListenerConfig[]): readonly AliasType[] {
  return writtenBeforeAaaa(host, ownership, records, listeners) ? ['A'] : ALIAS_TYPES;
}

/** The records of `types` at `host` in a zone listing. */
export function aliasesAt(records: readonly ResourceRecordSet[], host: string, types: readonly AliasType[]): AliasesByType {
  const out: AliasesByType = {};
  for (const type of types) {
    const rec = findRecord(records, host, type);
    if (rec !== undefined) out[type] = rec;
  }
  return out;
}

/** The records in `byType`, A first (for DELETE batches). */
export function presentAliases(byType: AliasesByType): ResourceRecordSet[] {
  return ALIAS_TYPES.flatMap((t) => (byType[t] !== undefined ? [byType[t]] : []));
}

/** Alias records compare by type and target (normalised), not by how AWS spells it. */
export function sameAlias(observed: ResourceRecordSet | undefined, desired: ResourceRecordSet): boolean {
  if (observed?.AliasTarget === undefined || observed.Type !== desired.Type) return false;
  return (
    normaliseDnsName(observed.AliasTarget.DNSName ?? '') === normaliseDnsName(desired.AliasTarget?.DNSName ?? '') &&
    (observed.AliasTarget.HostedZoneId ?? '').replace(/^\/hostedzone\//, '') === desired.AliasTarget?.HostedZoneId &&
    (observed.AliasTarget.EvaluateTargetHealth ?? false) === (desired.AliasTarget?.EvaluateTargetHealth ?? false)
  );
}

/** How a record reads in a drift message: its type and target or values. */
export function describeRecord(rec: ResourceRecordSet): string {
  return `${rec.Type} → ${rec.AliasTarget?.DNSName ?? rec.ResourceRecords?.map((x) => x.Value).join(' ') ?? ''}`;
}
