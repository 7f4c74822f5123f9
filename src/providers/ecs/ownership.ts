/**
 * Ownership: what makes a resource Berth's (its tags, or for Route 53 records,
 * the ownership TXT record beside them), and the tag sets Berth writes in
 * every create call. Anything that fails {@link ownedBy} is never modified or
 * deleted. Pure.
 */
import type { ResourceRecordSet } from '@aws-sdk/client-route-53';
import { normaliseDnsName, TAG } from './naming.ts';

/** Who Berth is in this environment, and which server a resource belongs to. */
export interface Owner {
  installationId: string;
  server: string;
}

/** True when `tags` say: managed by this installation, for this server. */
export function ownedBy(tags: Readonly<Record<string, string>>, owner: Owner): boolean {
  return tags[TAG.managedBy] === owner.installationId && tags[TAG.server] === owner.server;
}

/** The server named in tags of a resource this installation manages, if any. */
export function managedServer(tags: Readonly<Record<string, string>>, installationId: string): string | undefined {
  return tags[TAG.managedBy] === installationId ? tags[TAG.server] : undefined;
}

/** The tags of a new resource: the environment's extra tags, then Berth's (which win). */
export function creationTags(owner: Owner, hash: string, extra: Readonly<Record<string, string>>): Record<string, string> {
  return { ...extra, [TAG.managedBy]: owner.installationId, [TAG.server]: owner.server, [TAG.specHash]: hash };
}

/** ECS spelling of tags. */
export function ecsTags(tags: Readonly<Record<string, string>>): Array<{ key: string; value: string }> {
  return Object.entries(tags).map(([key, value]) => ({ key, value }));
}

/** ELBv2 spelling of tags. */
export function elbTags(tags: Readonly<Record<string, string>>): Array<{ Key: string; Value: string }> {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

/** What an ownership TXT record says. */
export interface OwnershipRecord {
  installationId: string;
  server: string;
  hash: string;
}

/**
 * The TXT value (quoted, as Route 53 stores it), external-dns style:
 * `"heritage=berth,berth:managed-by=<id>,berth:server=<name>,berth:spec-hash=<hash>"`.
 */
export function ownershipTxtValue(o: OwnershipRecord): string {
  return `"heritage=berth,${TAG.managedBy}=${o.installationId},${TAG.server}=${o.server},${TAG.specHash}=${o.hash}"`;
}

/** Parses an ownership TXT record; undefined when it is not one of Berth's. */
export function parseOwnershipRecord(record: ResourceRecordSet | undefined): OwnershipRecord | undefined {
  if (record?.Type !== 'TXT') return undefined;
  for (const rr of record.ResourceRecords ?? []) {
    const text = (rr.Value ?? '').replace(/^"|"$/g, '');
    if (!text.startsWith('heritage=berth,')) continue;
    const fields = Object.fromEntries(text.split(',').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
    const installationId = fields[TAG.managedBy];
    const server = fields[TAG.server];
    if (installationId === undefined || server === undefined) continue;
    return { installationId, server, hash: fields[TAG.specHash] ?? '' };
  }
  return undefined;
}

/** The record at `name` of `type` in a zone listing. */
export function findRecord(records: readonly ResourceRecordSet[], name: string, type: string): ResourceRecordSet | undefined {
  const n = normaliseDnsName(name);
  return records.find((r) => r.Type === type && normaliseDnsName(r.Name ?? '') === n && r.SetIdentifier === undefined);
}
