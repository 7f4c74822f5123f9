/**
 * The MongoDB adapter's documents, collections and indexes (see mongo-store.ts
 * for how a write stays atomic over them). Plain (non-partial, non-collated)
 * indexes only: DocumentDB 5 supports these.
 *
 * Collections: `counters` (`rv`, `audit`, `callRecords`), `meta` (`compacted`), `objects`,
 * `changes` (`_id` = resource version), `audit`, `leases`, `tokens`, `approvals`,
 * `callRecords`.
 */
import type { EventEmitter } from 'node:events';
import { MongoServerError, type Collection, type Db, type Filter } from 'mongodb';
import type { Logger } from 'pino';
import type { LabelRequirement } from '../label-selector.ts';
import type { ChangeRecord } from '../store-change-log.ts';

/** An object document. The resource is kept as JSON text: label and annotation keys contain dots. */
export interface ObjectDoc {
  kind: string;
  name: string;
  deleted: boolean;
  rv: number;
  ownerTeam: string | null;
  lifecycle: string | null;
  /** `key=value` per label, for equality / set selectors. */
  labelPairs: string[];
  /** Label keys, for existence selectors. */
  labelKeys: string[];
  /** Versions of abandoned writes that must never land on this document. */
  fences: number[];
  body: string;
}

export interface CounterDoc {
  _id: string;
  value: number;
}
export interface MetaDoc {
  _id: string;
  rv: number;
}
export interface AuditDoc {
  _id: number;
  time: string;
  actor: string;
  action: string;
  kind: string | null;
  name: string | null;
  entry: string;
  /** Set while the write it records is in flight (mongo/audited.ts). */
  state?: 'pending';
}
export interface LeaseDoc {
  _id: string;
  holder: string;
  expiresAt: number;
}
export interface TokenDoc {
  _id: string;
  hash: string;
  record: string;
}

/**
 * An approval. `openKey` is the call key (see `approvalCallKey`) while the approval
 * stands for its call (pending or approved) and its own id afterwards: a plain
 * unique index on it lets one open approval exist per call without a partial index.
 * The approval is kept as JSON text beside the fields filters use.
 */
export interface ApprovalDoc {
  _id: string;
  openKey: string;
  agent: string;
  server: string;
  status: string;
  requestedAt: string;
  /** Epoch ms a grant stops being usable; null without one. */
  expiresMs: number | null;
  record: string;
}
/** A call record, as JSON text: its arguments and result may hold keys MongoDB refuses (`$…`, dots). */
export interface CallRecordDoc {
  _id: number;
  time: string;
  agent: string;
  server: string;
  tool: string | null;
  decision: string;
  /** The record's `user`, for the user filter; absent on documents written before it was kept beside the record. */
  user?: string | null;
  record: string;
}

/** Every collection of one Berth database. */
export interface Collections {
  objects: Collection<ObjectDoc>;
  changes: Collection<ChangeRecord>;
  counters: Collection<CounterDoc>;
  meta: Collection<MetaDoc>;
  audit: Collection<AuditDoc>;
  leases: Collection<LeaseDoc>;
  tokens: Collection<TokenDoc>;
  approvals: Collection<ApprovalDoc>;
  callRecords: Collection<CallRecordDoc>;
}

/** What every part of the adapter shares: the collections, the clock, and this process's waiters. */
export interface MongoContext {
  c: Collections;
  /** Epoch milliseconds. */
  clock: () => number;
  log: Logger | undefined;
  /** Emits `change` after a committed write, to wake this process's waiters at once. */
  wakeups: EventEmitter;
  isClosed(): boolean;
}

/** The collections of `db`. */
export function collectionsOf(db: Db): Collections {
  return {
    objects: db.collection<ObjectDoc>('objects'),
    changes: db.collection<ChangeRecord>('changes'),
    counters: db.collection<CounterDoc>('counters'),
    meta: db.collection<MetaDoc>('meta'),
    audit: db.collection<AuditDoc>('audit'),
    leases: db.collection<LeaseDoc>('leases'),
    tokens: db.collection<TokenDoc>('tokens'),
    approvals: db.collection<ApprovalDoc>('approvals'),
    callRecords: db.collection<CallRecordDoc>('callRecords'),
  };
}

/** Creates the indexes (idempotent). */
export async function ensureIndexes(c: Collections): Promise<void> {
  await c.objects.createIndex({ kind: 1, name: 1 }, { unique: true, name: 'kind_name_unique' });
  await c.objects.createIndex({ kind: 1, deleted: 1, name: 1 }, { name: 'list_by_name' });
  await c.objects.createIndex({ kind: 1, ownerTeam: 1, name: 1 }, { name: 'list_by_team' });
  await c.objects.createIndex({ kind: 1, lifecycle: 1, name: 1 }, { name: 'list_by_lifecycle' });
  await c.objects.createIndex({ labelPairs: 1 }, { name: 'label_pairs' });
  await c.objects.createIndex({ labelKeys: 1 }, { name: 'label_keys' });
  await c.objects.createIndex({ rv: 1 }, { name: 'by_version' });
  await c.changes.createIndex({ kind: 1, name: 1, prevRv: 1 }, { name: 'successor' });
  await c.audit.createIndex({ actor: 1, _id: -1 }, { name: 'by_actor' });
  await c.audit.createIndex({ kind: 1, name: 1, _id: -1 }, { name: 'by_object' });
  await c.audit.createIndex({ time: 1 }, { name: 'by_time' });
  await c.tokens.createIndex({ hash: 1 }, { unique: true, name: 'hash_unique' });
  await c.approvals.createIndex({ openKey: 1 }, { unique: true, name: 'one_open_per_call' });
  await c.approvals.createIndex({ requestedAt: -1, _id: -1 }, { name: 'by_time' });
  await c.approvals.createIndex({ status: 1, requestedAt: -1 }, { name: 'by_status' });
  await c.approvals.createIndex({ agent: 1, requestedAt: -1 }, { name: 'by_agent' });
  await c.approvals.createIndex({ server: 1, requestedAt: -1 }, { name: 'by_server' });
  await c.callRecords.createIndex({ time: -1, _id: -1 }, { name: 'by_time' });
  await c.callRecords.createIndex({ agent: 1, time: -1 }, { name: 'by_agent' });
  await c.callRecords.createIndex({ server: 1, tool: 1, time: -1 }, { name: 'by_server_tool' });
  await c.callRecords.createIndex({ tool: 1, time: -1 }, { name: 'by_tool' });
  await c.callRecords.createIndex({ decision: 1, time: -1 }, { name: 'by_decision' });
  await c.callRecords.createIndex({ user: 1, time: -1 }, { name: 'by_user' });
}

/** True for a unique-index violation (E11000). */
export const isDuplicateKey = (err: unknown): boolean => err instanceof MongoServerError && err.code === 11000;

/** The next value of counter `id` (`rv`, `audit`, …), creating it at 1; with `by` > 1, the last of `by` values reserved at once. */
export async function nextCounter(counters: Collection<CounterDoc>, id: string, by = 1): Promise<number> {
  const doc = await counters.findOneAndUpdate({ _id: id }, { $inc: { value: by } }, { upsert: true, returnDocument: 'after' });
  if (!doc) throw new Error(`the ${id} counter did not return a value`);
  return doc.value;
}

/**
 * The MongoDB filter for label requirements, over the `labelPairs` / `labelKeys`
 * arrays (plain multikey indexes; no dotted field paths, which label keys would break).
 * @example labelFilter(parseLabelSelector('env=dev,!legacy')) // {$and:[{labelPairs:'env=dev'},{labelKeys:{$ne:'legacy'}}]}
 */
export function labelFilter(requirements: readonly LabelRequirement[]): Filter<ObjectDoc> {
  if (requirements.length === 0) return {};
  const pair = (k: string, v: string): string => `${k}=${v}`;
  const parts: Filter<ObjectDoc>[] = requirements.map((r) => {
    switch (r.op) {
      case 'eq': return { labelPairs: pair(r.key, r.value) };
      case 'neq': return { labelPairs: { $ne: pair(r.key, r.value) } };
      case 'in': return { labelPairs: { $in: r.values.map((v) => pair(r.key, v)) } };
      case 'notin': return { labelPairs: { $nin: r.values.map((v) => pair(r.key, v)) } };
      case 'exists': return { labelKeys: r.key };
      case 'absent': return { labelKeys: { $ne: r.key } };
    }
  });
  return { $and: parts };
}
