/**
 * Every write the API makes, in one place, each in the same order: read the
 * stored object, authorize (old and new object), write through the Store with
 * its audit record — which the store commits in the same step, and only when
 * something actually changed, so no-op writes leave no trace.
 *
 * Apply (`applyObject`) is server-side: it creates the object or replaces the
 * user's fields (labels, annotations, spec; finalizers and status are kept) and
 * reports created / configured / unchanged. Unchanged applies write nothing, so
 * generation, resourceVersion and the audit log stay as they were.
 */
import type { Logger } from 'pino';
import { changeSummary, routeCollision, specHash } from '../../manifest/index.ts';
import type { Kind, Resource } from '../../manifest/resource.ts';
import { appliedAnnotations } from '../../manifest/restart.ts';
import type { Principal } from '../auth/authenticate.ts';
import { enforce, mayControl, mayPrune, mayWriteObject } from '../auth/authorize.ts';
import { AlreadyExistsError, ConflictError, NotFoundError } from '../../client/errors.ts';
import type { AuditOf, Store } from '../store.ts';
import { jsonEqual } from './equality.ts';
import { degradedReason } from '../reconcile-failure.ts';
import { RegistryError } from '../../client/errors.ts';
import { routeClaimOf, type RouteClaims } from './route-claims.ts';

/** Who writes, and where. */
export interface WriteContext {
  store: Store;
  principal: Principal;
  logger: Logger;
  /** When given, a write whose gateway route collides with another server's is refused (409). */
  routeClaims?: RouteClaims;
}

/** What apply did to one object. */
export type ApplyOutcome = 'created' | 'configured' | 'unchanged';

const APPLY_ATTEMPTS = 5;

function notFound(kind: Kind, name: string): RegistryError {
  return new NotFoundError(`${kind}/${name} does not exist`);
}

/**
 * The audit record of one effective write, built by the store inside the write
 * (so the record commits with it: an acknowledged write always has one, and a
 * write that changed nothing or failed has none). Spec/metadata writes carry
 * `details.changes`: which fields changed, old → new, secrets as `(changed)`.
 */
function auditOf(ctx: WriteContext, action: string, kind: Kind, name: string, details: Record<string, unknown> = {}): AuditOf {
  return ({ before, after }) => {
    const spec = after?.spec ?? before?.spec;
    return {
      actor: ctx.principal.tokenId,
      action,
      kind,
      name,
      ...(before?.metadata.generation !== undefined ? { generationBefore: before.metadata.generation } : {}),
      ...(after?.metadata.generation !== undefined ? { generationAfter: after.metadata.generation } : {}),
      ...(spec !== undefined ? { specHash: specHash(spec) } : {}),
      details: {
        role: ctx.principal.role,
        ...(ctx.principal.team !== undefined ? { team: ctx.principal.team } : {}),
        ...(after?.metadata.resourceVersion !== undefined ? { resourceVersion: after.metadata.resourceVersion } : {}),
        // A status write is the controller's report, not a change a person made: its audit stays as it was.
        ...(action !== 'status' ? { changes: changeSummary(before, after) } : {}),
        ...details,
      },
    };
  };
}

function rejectDeleting(stored: Resource): void {
  if (stored.metadata.deletionTimestamp !== undefined) {
    throw new RegistryError(409, {
      type: 'deleting',
      title: 'Object is being deleted',
      detail: `${stored.kind}/${stored.metadata.name} is being deleted (since ${stored.metadata.deletionTimestamp}); wait until it is gone, then create it again`,
    });
  }
}

/**
 * Runs `write` unless it would route `obj` at a path and host another server
 * already uses (409: the gateway would hand one server's agent traffic to the
 * other). The check and the write hold the route's lock together, so two writers
 * in this registry process cannot both take one free route. Runs after
 * authorization, so only a caller allowed to write learns of the collision.
 */
async function withRouteClaim<T>(ctx: WriteContext, obj: Resource, write: () => Promise<T>): Promise<T> {
  const claims = ctx.routeClaims;
  if (!claims) return write();
  return claims.exclusive(obj, async () => {
    const other = await claims.collision(obj);
    // `other` was found by the manifest's rule, whose message is word for word what `berth validate` prints for this pair.
    const detail = other && routeCollision(routeClaimOf(obj)!.route, other.route);
    if (detail) throw new RegistryError(409, { type: 'route-conflict', title: 'Route already in use', detail });
    return write();
  });
}

/** POST on the collection: creates `obj` (already admitted). 409 when it exists. */
export async function createObject(ctx: WriteContext, obj: Resource, opts: { dryRun?: boolean } = {}): Promise<Resource> {
  enforce(mayWriteObject(ctx.principal, obj.kind, undefined, obj));
  return withRouteClaim(ctx, obj, () => ctx.store.create(obj, { dryRun: opts.dryRun ?? false, audit: auditOf(ctx, 'create', obj.kind, obj.metadata.name) }));
}

/**
 * PUT: replaces labels, annotations, spec (and finalizers when sent) of an existing
 * object; `obj.metadata.resourceVersion`, when sent, must match (else 409).
 */
export async function replaceObject(ctx: WriteContext, obj: Resource, opts: { dryRun?: boolean } = {}): Promise<Resource> {
  const { kind } = obj;
  const { name } = obj.metadata;
  const before = await ctx.store.get(kind, name);
  if (!before) throw notFound(kind, name);
  const expected = obj.metadata.resourceVersion;
  if (expected !== undefined && expected !== before.metadata.resourceVersion) {
    throw new ConflictError(`${kind}/${name} is at resourceVersion ${before.metadata.resourceVersion ?? '?'}, not ${expected}`);
  }
  const next: Resource = {
    ...obj,
    metadata: { ...obj.metadata, finalizers: obj.metadata.finalizers ?? before.metadata.finalizers ?? [] },
  };
  enforce(mayWriteObject(ctx.principal, kind, before, next));
  const after = await withRouteClaim(ctx, next, () =>
    ctx.store.update(next, {
      ...(expected !== undefined ? { expectedResourceVersion: expected } : { expectedResourceVersion: before.metadata.resourceVersion! }),
      dryRun: opts.dryRun ?? false,
      audit: auditOf(ctx, 'update', kind, name),
    }),
  );
  return after;
}

function sameUserFields(stored: Resource, wanted: Resource): boolean {
  return (
    jsonEqual(stored.metadata.labels ?? {}, wanted.metadata.labels ?? {}) &&
    jsonEqual(stored.metadata.annotations ?? {}, wanted.metadata.annotations ?? {}) &&
    jsonEqual(stored.spec, wanted.spec)
  );
}

/**
 * Server-side apply of one admitted object: create when absent, replace the
 * user's fields when they differ, nothing when they are equal. Races with other
 * writers are retried from a fresh read.
 */
export async function applyObject(ctx: WriteContext, obj: Resource, opts: { dryRun?: boolean } = {}): Promise<{ outcome: ApplyOutcome; object: Resource }> {
  const { kind } = obj;
  const { name } = obj.metadata;
  const dryRun = opts.dryRun ?? false;
  for (let attempt = 1; ; attempt++) {
    const before = await ctx.store.get(kind, name);
    try {
      if (!before) {
        enforce(mayWriteObject(ctx.principal, kind, undefined, obj));
        const created = await withRouteClaim(ctx, obj, () => ctx.store.create(obj, { dryRun, audit: auditOf(ctx, 'create', kind, name, { via: 'apply' }) }));
        return { outcome: 'created', object: created };
      }
      rejectDeleting(before);
      const annotations = appliedAnnotations(before.metadata.annotations, obj.metadata.annotations);
      const wanted: Resource = {
        apiVersion: obj.apiVersion,
        kind,
        metadata: {
          name,
          ...(obj.metadata.labels ? { labels: obj.metadata.labels } : {}),
          ...(annotations ? { annotations } : {}),
          ...(before.metadata.finalizers ? { finalizers: before.metadata.finalizers } : {}),
        },
        spec: obj.spec,
      };
      if (sameUserFields(before, wanted)) return { outcome: 'unchanged', object: before };
      enforce(mayWriteObject(ctx.principal, kind, before, wanted));
      const after = await withRouteClaim(ctx, wanted, () =>
        ctx.store.update(wanted, { expectedResourceVersion: before.metadata.resourceVersion!, dryRun, audit: auditOf(ctx, 'update', kind, name, { via: 'apply' }) }),
      );
      return { outcome: 'configured', object: after };
    } catch (err) {
      const raced = err instanceof ConflictError || err instanceof AlreadyExistsError || err instanceof NotFoundError;
      if (!raced || attempt >= APPLY_ATTEMPTS) throw err;
    }
  }
}

/**
 * DELETE: removes the object, or marks it deleting while finalizers remain. A
 * prune (`reason: 'prune'`) acts only on objects the caller's team owns (admins: all).
 */
export async function deleteObject(ctx: WriteContext, kind: Kind, name: string, opts: { expectedResourceVersion?: string; reason?: string } = {}): Promise<{ removed: boolean; object: Resource }> {
  const before = await ctx.store.get(kind, name);
  if (!before) throw notFound(kind, name);
  if (opts.reason === 'prune') enforce(mayPrune(ctx.principal, before));
  enforce(mayWriteObject(ctx.principal, kind, before, undefined));
  const action = opts.reason === 'prune' ? 'prune' : 'delete';
  const recorded = auditOf(ctx, action, kind, name);
  return ctx.store.delete(kind, name, {
    expectedResourceVersion: opts.expectedResourceVersion ?? before.metadata.resourceVersion!,
    // `removed` is known from the outcome: a removed object has no `after`.
    audit: (change) => {
      const entry = recorded(change);
      return { ...entry, details: { ...entry.details, removed: change.after === undefined } };
    },
  });
}

/**
 * Status write (the controller's path; admins too). `status` replaces the stored
 * status; an equal status writes nothing.
 */
export async function writeStatus(ctx: WriteContext, kind: Kind, name: string, status: unknown, opts: { expectedResourceVersion?: string } = {}): Promise<Resource> {
  enforce(mayControl(ctx.principal));
  const before = await ctx.store.get(kind, name);
  if (!before) throw notFound(kind, name);
  if (opts.expectedResourceVersion !== undefined && opts.expectedResourceVersion !== before.metadata.resourceVersion) {
    throw new ConflictError(`${kind}/${name} is at resourceVersion ${before.metadata.resourceVersion ?? '?'}, not ${opts.expectedResourceVersion}`);
  }
  if (jsonEqual(before.status ?? null, status ?? null)) return before;
  // A reported failure is kept in the audit, so failures over time can be counted after the status moved on.
  const degraded = degradedReason(status);
  return ctx.store.updateStatus(kind, name, status, {
    expectedResourceVersion: opts.expectedResourceVersion ?? before.metadata.resourceVersion!,
    audit: auditOf(ctx, 'status', kind, name, degraded !== undefined ? { degraded } : {}),
  });
}
