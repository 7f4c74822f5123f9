/**
 * Fake Route 53 (public hosted zones): atomic change batches, CREATE that fails
 * on an existing record, DELETE that must match the record exactly, UPSERT,
 * AWS's name normalisation (lower case, trailing dot, `\052` for `*`), alias
 * records without TTL, PENDING → INSYNC propagation, record paging, and
 * PriorRequestNotComplete for a zone still processing the previous batch.
 *
 * On PriorRequestNotComplete: AWS documents it as "Route 53 can't process a
 * request before the next request arrives" for the same zone — NOT "a change is
 * still PENDING" (changes stay PENDING ~60 s and further batches are accepted).
 * The fake models that: after a batch is accepted the zone is busy for
 * `zoneBusyMs` (default 0 = off), and writes to it meanwhile are rejected.
 */
import {
  InvalidChangeBatch,
  InvalidInput,
  NoSuchChange,
  NoSuchHostedZone,
  PriorRequestNotComplete,
  type Change,
  type ChangeInfo,
  type ResourceRecordSet,
} from '@aws-sdk/client-route-53';
import { clone, type World } from './common.ts';
import { awsError } from './errors.ts';

/** Timings of Route 53's propagation (ms of fake time). */
export interface Route53Timings {
  /** A change batch turns INSYNC this long after it was accepted. Default 30 000. */
  insyncAfterMs: number;
  /** A zone refuses further writes (PriorRequestNotComplete) this long after accepting one. Default 0 (off). */
  zoneBusyMs: number;
}

/** Default Route 53 timings. */
export const DEFAULT_ROUTE53_TIMINGS: Route53Timings = { insyncAfterMs: 30_000, zoneBusyMs: 0 };

interface ZoneState {
  id: string;
  name: string;
  callerReference: string;
  /** Records keyed by `name|type|setIdentifier`. */
  records: Map<string, ResourceRecordSet>;
  busyUntil: number;
}

interface ChangeState {
  id: string;
  submittedAt: number;
  insyncAt: number;
  comment?: string;
}

/**
 * Canonical DNS name as Route 53 returns it: lower case, absolute (trailing
 * dot), and `*` written as `\052`.
 * @example normaliseName('*.Example.com') // '\\052.example.com.'
 */
export function normaliseName(name: string): string {
  let n = name.trim().toLowerCase().replaceAll('*', '\\052');
  if (!n.endsWith('.')) n += '.';
  return n;
}

/** The ELBv2/Route 53 sort order: labels reversed (com.example.www), then type. */
function sortKey(record: ResourceRecordSet): string {
  const labels = (record.Name ?? '').replace(/\.$/, '').split('.').reverse().join('.');
  return `${labels}\u0000${record.Type}\u0000${record.SetIdentifier ?? ''}`;
}

function recordKey(name: string, type: string, setIdentifier: string | undefined): string {
  return `${name}|${type}|${setIdentifier ?? ''}`;
}

/** The Route 53 part of the fake. API handlers are in {@link Route53Fake.handlers}. */
export class Route53Fake {
  readonly #world: World;
  readonly timings: Route53Timings;
  readonly #zones = new Map<string, ZoneState>();
  readonly #changes = new Map<string, ChangeState>();

  constructor(world: World, timings: Partial<Route53Timings> = {}) {
    this.#world = world;
    this.timings = { ...DEFAULT_ROUTE53_TIMINGS, ...timings };
  }

  /**
   * Seeds a public hosted zone with its SOA and NS records (the fake does not implement CreateHostedZone).
   * @example const zoneId = fake.route53.createHostedZone({ name: 'mcp.example.com' });
   */
  createHostedZone(options: { name: string; id?: string }): string {
    const id = options.id ?? `Z${this.#world.ids.upper(20)}`;
    const name = normaliseName(options.name);
    const zone: ZoneState = { id, name, callerReference: `fake-${id}`, records: new Map(), busyUntil: 0 };
    zone.records.set(recordKey(name, 'SOA', undefined), {
      Name: name,
      Type: 'SOA',
      TTL: 900,
      ResourceRecords: [{ Value: 'ns-1.awsdns-00.org. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400' }],
    });
    zone.records.set(recordKey(name, 'NS', undefined), {
      Name: name,
      Type: 'NS',
      TTL: 172800,
      ResourceRecords: [{ Value: 'ns-1.awsdns-00.org.' }, { Value: 'ns-2.awsdns-00.com.' }],
    });
    this.#zones.set(id, zone);
    return id;
  }

  /** Earliest future moment a change turns INSYNC. */
  nextEventAt(after: number): number | undefined {
    let next: number | undefined;
    for (const c of this.#changes.values()) if (c.insyncAt > after && (next === undefined || c.insyncAt < next)) next = c.insyncAt;
    return next;
  }

  /** Nothing to do eagerly: change status is derived from time. */
  step(_now: number): void {}

  /** API operations by name; each takes the SDK command input and returns the output (without $metadata). */
  readonly handlers: Record<string, (input: never) => unknown> = {
    ChangeResourceRecordSets: (input: { HostedZoneId?: string; ChangeBatch?: { Comment?: string; Changes?: Change[] } }) => {
      const zone = this.#zone(input.HostedZoneId);
      const now = this.#world.now();
      if (now < zone.busyUntil) {
        throw awsError(PriorRequestNotComplete, 'The request was rejected because Route 53 was still processing a prior request.');
      }
      const changes = input.ChangeBatch?.Changes ?? [];
      if (changes.length === 0) throw awsError(InvalidInput, '1 validation error detected: Value null at \'changeBatch.changes\' failed to satisfy constraint: Member must have length greater than or equal to 1');
      if (changes.length > 1000) throw awsError(InvalidChangeBatch, 'Number of records limit of 1000 exceeded.', { messages: ['Number of records limit of 1000 exceeded.'] });
      // Work on a copy: the batch applies completely or not at all.
      const next = new Map(zone.records);
      const problems: string[] = [];
      for (const change of changes) {
        const problem = this.#apply(zone, next, change);
        if (problem) problems.push(problem);
      }
      if (problems.length > 0) {
        throw awsError(InvalidChangeBatch, `[${problems.join(', ')}]`, { messages: problems });
      }
      zone.records = next;
      zone.busyUntil = now + this.timings.zoneBusyMs;
      const change: ChangeState = {
        id: `C${this.#world.ids.upper(20)}`,
        submittedAt: now,
        insyncAt: now + this.timings.insyncAfterMs,
        ...(input.ChangeBatch?.Comment !== undefined ? { comment: input.ChangeBatch.Comment } : {}),
      };
      this.#changes.set(change.id, change);
      return { ChangeInfo: this.#changeInfo(change) };
    },

    GetChange: (input: { Id?: string }) => {
      const id = (input.Id ?? '').replace(/^\/change\//, '');
      const change = this.#changes.get(id);
      if (!change) throw awsError(NoSuchChange, `A change with the specified change ID does not exist: ${id}`);
      return { ChangeInfo: this.#changeInfo(change) };
    },

    ListResourceRecordSets: (input: { HostedZoneId?: string; StartRecordName?: string; StartRecordType?: string; StartRecordIdentifier?: string; MaxItems?: number }) => {
      const zone = this.#zone(input.HostedZoneId);
      if (input.StartRecordType !== undefined && input.StartRecordName === undefined) {
        throw awsError(InvalidInput, 'The input is not valid: StartRecordType requires StartRecordName.');
      }
      // AWS returns at most 300 per page whatever MaxItems says.
      const max = Math.min(300, Math.max(1, Number(input.MaxItems ?? 300)));
      const sorted = [...zone.records.values()].sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : sortKey(a) > sortKey(b) ? 1 : 0));
      let start = 0;
      if (input.StartRecordName !== undefined) {
        const from = sortKey({ Name: normaliseName(input.StartRecordName), Type: (input.StartRecordType ?? '') as ResourceRecordSet['Type'], SetIdentifier: input.StartRecordIdentifier });
        start = sorted.findIndex((r) => sortKey(r) >= from);
        if (start < 0) start = sorted.length;
      }
      const items = sorted.slice(start, start + max);
      const after = sorted[start + max];
      return {
        ResourceRecordSets: clone(items),
        IsTruncated: after !== undefined,
        MaxItems: max,
        ...(after
          ? { NextRecordName: after.Name, NextRecordType: after.Type, ...(after.SetIdentifier !== undefined ? { NextRecordIdentifier: after.SetIdentifier } : {}) }
          : {}),
      };
    },

    GetHostedZone: (input: { Id?: string }) => {
      const zone = this.#zone(input.Id);
      return {
        HostedZone: { Id: `/hostedzone/${zone.id}`, Name: zone.name, CallerReference: zone.callerReference, Config: { PrivateZone: false }, ResourceRecordSetCount: zone.records.size },
        DelegationSet: { NameServers: ['ns-1.awsdns-00.org', 'ns-2.awsdns-00.com'] },
      };
    },
  };

  /** Plain-data copy of every zone and its records. */
  snapshot(): { zones: Array<{ id: string; name: string; records: ResourceRecordSet[] }> } {
    return {
      zones: [...this.#zones.values()].map((z) => ({
        id: z.id,
        name: z.name,
        records: clone([...z.records.values()].sort((a, b) => (sortKey(a) < sortKey(b) ? -1 : 1))),
      })),
    };
  }

  #zone(idRef: string | undefined): ZoneState {
    const id = (idRef ?? '').replace(/^\/hostedzone\//, '');
    const zone = this.#zones.get(id);
    if (!zone) throw awsError(NoSuchHostedZone, `No hosted zone found with ID: ${id}`);
    return zone;
  }

  #changeInfo(change: ChangeState): ChangeInfo {
    return {
      Id: `/change/${change.id}`,
      Status: this.#world.now() >= change.insyncAt ? 'INSYNC' : 'PENDING',
      SubmittedAt: new Date(change.submittedAt),
      ...(change.comment !== undefined ? { Comment: change.comment } : {}),
    };
  }

  /** Applies one change to `records` (a working copy). Returns AWS's message when it can't. */
  #apply(zone: ZoneState, records: Map<string, ResourceRecordSet>, change: Change): string | undefined {
    const raw = change.ResourceRecordSet;
    if (!raw?.Name || !raw.Type) return 'Invalid request: a resource record set needs a Name and a Type';
    const record = this.#normaliseRecord(raw);
    const name = record.Name!;
    const type = record.Type!;
    const describe = `[name='${name}', type='${type}'${record.SetIdentifier !== undefined ? `, set-identifier='${record.SetIdentifier}'` : ''}]`;
    if (name !== zone.name && !name.endsWith('.' + zone.name)) return `RRSet with DNS name ${name} is not permitted in zone ${zone.name}`;
    const shapeProblem = checkShape(record);
    if (shapeProblem) return shapeProblem;
    const key = recordKey(name, type, record.SetIdentifier);
    const existing = records.get(key);
    switch (change.Action) {
      case 'CREATE':
        if (existing) return `Tried to create resource record set ${describe} but it already exists`;
        {
          const conflict = cnameConflict(records, record);
          if (conflict) return conflict;
        }
        records.set(key, record);
        return undefined;
      case 'DELETE':
        if (!existing) return `Tried to delete resource record set ${describe} but it was not found`;
        if (!sameRecord(existing, record)) return `Tried to delete resource record set ${describe} but the values provided do not match the current values`;
        records.delete(key);
        return undefined;
      case 'UPSERT': {
        const conflict = cnameConflict(records, record);
        if (conflict) return conflict;
        records.set(key, record);
        return undefined;
      }
      default:
        return `Invalid change action '${String(change.Action)}'`;
    }
  }

  #normaliseRecord(raw: ResourceRecordSet): ResourceRecordSet {
    const record = clone(raw);
    record.Name = normaliseName(raw.Name ?? '');
    if (record.AliasTarget) {
      record.AliasTarget = {
        HostedZoneId: (record.AliasTarget.HostedZoneId ?? '').replace(/^\/hostedzone\//, ''),
        DNSName: normaliseName(record.AliasTarget.DNSName ?? ''),
        EvaluateTargetHealth: record.AliasTarget.EvaluateTargetHealth ?? false,
      };
    }
    return record;
  }
}

/** Rejects record shapes Route 53 refuses. */
function checkShape(record: ResourceRecordSet): string | undefined {
  if (record.AliasTarget) {
    if (record.TTL !== undefined || record.ResourceRecords !== undefined) return 'Invalid request: an alias resource record set cannot have a TTL or ResourceRecords';
    return undefined;
  }
  if (record.TTL === undefined) return 'Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found none in Change';
  if (!record.ResourceRecords?.length) return 'Invalid request: ResourceRecords must not be empty';
  if (record.Type === 'TXT') {
    for (const r of record.ResourceRecords) {
      if (!/^(".*")(\s+".*")*$/.test(r.Value ?? '')) return `Invalid Resource Record: 'FATAL problem: InvalidCharacterString (Value should be enclosed in quotation marks) encountered with '${r.Value}''`;
    }
  }
  if (record.Type === 'CNAME' && record.ResourceRecords.length > 1) return 'Invalid Resource Record: FATAL problem: CNAME records can only have one value';
  return undefined;
}

/** A CNAME can't share its name with any other record, and vice versa. */
function cnameConflict(records: Map<string, ResourceRecordSet>, record: ResourceRecordSet): string | undefined {
  for (const other of records.values()) {
    if (other.Name !== record.Name || other.Type === record.Type) continue;
    if (other.Type === 'CNAME' || record.Type === 'CNAME') {
      return `RRSet of type ${record.Type} with DNS name ${record.Name} is not permitted because a conflicting RRSet of type ${other.Type} with the same DNS name already exists in zone`;
    }
  }
  return undefined;
}

/** DELETE must match exactly: TTL, values (as a set) or alias target, and routing fields. */
function sameRecord(a: ResourceRecordSet, b: ResourceRecordSet): boolean {
  const values = (r: ResourceRecordSet): string[] => (r.ResourceRecords ?? []).map((v) => v.Value ?? '').sort();
  return (
    a.TTL === b.TTL &&
    JSON.stringify(values(a)) === JSON.stringify(values(b)) &&
    JSON.stringify(a.AliasTarget ?? null) === JSON.stringify(b.AliasTarget ?? null) &&
    a.Weight === b.Weight &&
    a.HealthCheckId === b.HealthCheckId
  );
}
