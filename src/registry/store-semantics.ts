/**
 * The write rules of the Store port (see store.ts) as pure functions, so every
 * adapter computes the same next object and differs only in how it persists it
 * atomically. Nothing here touches a database or the clock.
 */
import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { API_VERSION, KINDS, type Kind, type ObjectMeta, type Resource } from '../manifest/resource.ts';
import { ConflictError, InvalidRequestError } from '../client/errors.ts';
import type { WatchEvent } from '../client/wire.ts';
import type { StageApproval } from '../manifest/types.ts';

/** A deep copy through JSON: drops `undefined`, so stored and compared shapes are identical. */
export function jsonClone<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}

/** Throws InvalidRequestError unless the object names a known kind and a non-empty name. */
export function assertStorable(obj: Resource): void {
  if (!obj || typeof obj !== 'object' || !(KINDS as readonly string[]).includes(obj.kind)) {
    throw new InvalidRequestError(`kind must be one of ${KINDS.join(', ')} (got ${JSON.stringify(obj?.kind)}).`);
  }
  if (!obj.metadata || typeof obj.metadata.name !== 'string' || obj.metadata.name === '') {
    throw new InvalidRequestError(`${obj.kind} has no metadata.name: every object needs a name.`);
  }
}

/** The user-owned part of metadata, with empty collections dropped so `{}` and absent compare equal. */
function userMeta(meta: ObjectMeta): Pick<ObjectMeta, 'labels' | 'annotations' | 'finalizers'> {
  const out: Pick<ObjectMeta, 'labels' | 'annotations' | 'finalizers'> = {};
  if (meta.labels && Object.keys(meta.labels).length > 0) out.labels = jsonClone(meta.labels);
  if (meta.annotations && Object.keys(meta.annotations).length > 0) out.annotations = jsonClone(meta.annotations);
  if (meta.finalizers && meta.finalizers.length > 0) out.finalizers = [...meta.finalizers];
  return out;
}

/** Throws ConflictError when `expected` is given and differs from the stored version. */
export function checkExpectedVersion(stored: Resource, expected: string | undefined): void {
  if (expected !== undefined && expected !== stored.metadata.resourceVersion) {
    throw new ConflictError(
      `${stored.kind}/${stored.metadata.name} was changed by someone else (you sent resourceVersion ${expected}, it is now ${stored.metadata.resourceVersion ?? '?'}): read it again and reapply your change.`,
    );
  }
}

/**
 * The object a create stores: user metadata, spec, generation 1, a new uid, the
 * given version and time. Status and server-owned metadata from the caller are ignored.
 */
export function planCreate(input: Resource, rv: number | undefined, nowIso: string): Resource {
  assertStorable(input);
  const metadata: ObjectMeta = { name: input.metadata.name, ...userMeta(input.metadata), generation: 1 };
  if (rv !== undefined) {
    metadata.uid = randomUUID();
    metadata.resourceVersion = String(rv);
  }
  metadata.creationTimestamp = nowIso;
  return { apiVersion: API_VERSION, kind: input.kind, metadata, spec: jsonClone(input.spec) };
}

/** What an update does to a stored object. */
export type UpdatePlan =
  | { action: 'unchanged'; object: Resource }
  /** `object` lacks the new resourceVersion; call {@link stampVersion}. */
  | { action: 'modify'; object: Resource }
  /** The last finalizer of an object marked for deletion went: remove it. */
  | { action: 'remove'; object: Resource };

/**
 * Applies the update rules: replace labels/annotations/finalizers and spec, bump
 * generation only when spec changed, keep server-owned metadata and status.
 */
export function planUpdate(stored: Resource, input: Resource): UpdatePlan {
  assertStorable(input);
  const spec = jsonClone(input.spec);
  const want = userMeta(input.metadata);
  const have = userMeta(stored.metadata);
  const specChanged = !isDeepStrictEqual(spec, stored.spec);
  if (!specChanged && isDeepStrictEqual(want, have)) return { action: 'unchanged', object: stored };
  const { labels: _l, annotations: _a, finalizers: _f, ...serverMeta } = stored.metadata;
  const metadata: ObjectMeta = { ...serverMeta, ...want };
  metadata.name = stored.metadata.name;
  if (specChanged) metadata.generation = (stored.metadata.generation ?? 0) + 1;
  const next: Resource = { ...stored, metadata, spec };
  if (stored.status === undefined) delete next.status;
  const removing = metadata.deletionTimestamp !== undefined && (metadata.finalizers?.length ?? 0) === 0;
  return { action: removing ? 'remove' : 'modify', object: next };
}

/** The status write plan: unchanged when the status is deep-equal, else the object with the new status. */
export function planStatus(stored: Resource, status: unknown): UpdatePlan {
  const next = jsonClone(status);
  if (isDeepStrictEqual(next, stored.status)) return { action: 'unchanged', object: stored };
  const object: Resource = { ...stored, metadata: { ...stored.metadata } };
  if (next === undefined) delete object.status;
  else object.status = next;
  return { action: 'modify', object };
}

/** Stage approvals kept per object (the schema's maxItems): the newest win. */
export const MAX_STAGE_APPROVALS = 64;

/** The stage approval plan: `approval` appended to `metadata.approvals` (newest {@link MAX_STAGE_APPROVALS} kept). */
export function planStageApproval(stored: Resource, approval: StageApproval): UpdatePlan {
  const meta = stored.metadata as ObjectMeta & { approvals?: StageApproval[] };
  const approvals = [...(meta.approvals ?? []), jsonClone(approval)].slice(-MAX_STAGE_APPROVALS);
  return { action: 'modify', object: { ...stored, metadata: { ...meta, approvals } as ObjectMeta } };
}

/**
 * The delete plan: remove when no finalizers remain; otherwise mark with
 * deletionTimestamp once (a second delete of a marked object changes nothing).
 */
export function planDelete(stored: Resource, nowIso: string): UpdatePlan {
  if ((stored.metadata.finalizers?.length ?? 0) === 0) return { action: 'remove', object: stored };
  if (stored.metadata.deletionTimestamp !== undefined) return { action: 'unchanged', object: stored };
  return { action: 'modify', object: { ...stored, metadata: { ...stored.metadata, deletionTimestamp: nowIso } } };
}

/** A copy of `obj` carrying `rv` as its resourceVersion. */
export function stampVersion(obj: Resource, rv: number): Resource {
  return { ...obj, metadata: { ...obj.metadata, resourceVersion: String(rv) } };
}

/** `spec.owner.team` and `spec.lifecycle` when present: the list filters adapters index. */
export function indexedFields(obj: Resource): { ownerTeam: string | null; lifecycle: string | null } {
  const spec = obj.spec as { owner?: { team?: unknown }; lifecycle?: unknown } | null | undefined;
  const team = spec?.owner?.team;
  const lifecycle = spec?.lifecycle;
  return {
    ownerTeam: typeof team === 'string' ? team : null,
    lifecycle: typeof lifecycle === 'string' ? lifecycle : null,
  };
}

/** The message of a NotFoundError for kind/name, saying how to find what exists. */
export function notFoundMessage(kind: Kind, name: string): string {
  return `${kind}/${name} does not exist: check the name, or list what exists with \`berth get ${kind}\`.`;
}

/** The message of an AlreadyExistsError. */
export function alreadyExistsMessage(kind: Kind, name: string): string {
  return `${kind}/${name} already exists: update it instead (berth apply updates existing objects).`;
}

/** Normalises an audit time to RFC 3339 UTC so string order is time order. */
export function normaliseTime(time: string | undefined, nowIso: string): string {
  if (time === undefined) return nowIso;
  const ms = Date.parse(time);
  if (Number.isNaN(ms)) throw new InvalidRequestError(`audit time "${time}" is not an RFC 3339 time.`);
  return new Date(ms).toISOString();
}

/** Limit of an audit, approval or call record query after the port's default (100) and maximum (1000); `what` names the query in the error. */
export function auditLimit(limit: number | undefined, what = 'audit'): number {
  if (limit === undefined) return 100;
  if (!Number.isInteger(limit) || limit < 1) throw new InvalidRequestError(`${what} limit must be a whole number from 1 to 1000 (got ${String(limit)}).`);
  return Math.min(limit, 1000);
}

/** changesSince limit: default 1000, at most 10,000 per call. */
export function changesLimit(limit: number | undefined): number {
  if (limit === undefined) return 1000;
  if (!Number.isInteger(limit) || limit < 1) throw new InvalidRequestError(`changes limit must be a positive whole number (got ${String(limit)}).`);
  return Math.min(limit, 10_000);
}

/** The GoneError message for a watch from a version older than retained history. */
export function goneMessage(since: number, oldest: number): string {
  return `resourceVersion ${since} is too old: history before ${oldest} was compacted. List again and watch from the list's resourceVersion.`;
}

/** Where a page of call records ended: the last record's time and id (records are ordered by time, then id, newest first). */
export interface CallRecordCursor {
  time: string;
  id: number;
}

/**
 * The `continue` of a call record page ending at `last`: opaque to callers
 * (base64url), so its shape may change without breaking them.
 */
export function encodeCallRecordCursor(last: { time?: string; id?: number }): string {
  return Buffer.from(JSON.stringify([last.time, last.id])).toString('base64url');
}

/** Reads a call record `continue`. @throws InvalidRequestError when it is not one this registry issued */
export function decodeCallRecordCursor(token: string): CallRecordCursor {
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && typeof v[0] === 'string' && !Number.isNaN(Date.parse(v[0])) && Number.isSafeInteger(v[1])) return { time: normaliseTime(v[0], ''), id: v[1] as number };
  } catch {
    // fall through to the one error below
  }
  throw new InvalidRequestError(`continue ${JSON.stringify(token.slice(0, 80))} is not a call record page token; pass the continue of the previous page as it came`);
}

/** The `continue` of an audit page ending at entry `id` (audit entries are ordered by id, newest first). */
export function encodeAuditCursor(id: number): string {
  return Buffer.from(JSON.stringify([id])).toString('base64url');
}

/** Reads an audit `continue`: the id to read below. @throws InvalidRequestError when it is not one this registry issued */
export function decodeAuditCursor(token: string): number {
  try {
    const v = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && Number.isSafeInteger(v[0])) return v[0] as number;
  } catch {
    // fall through to the one error below
  }
  throw new InvalidRequestError(`continue ${JSON.stringify(token.slice(0, 80))} is not an audit page token; pass the continue of the previous page as it came`);
}
