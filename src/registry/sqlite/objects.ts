/**
 * The SQLite adapter's object reads and writes. Every write is one `BEGIN
 * IMMEDIATE` transaction that takes the next counter value, writes the object
 * row, appends the change row and (when the caller gave one) the audit row,
 * so a change event and its audit record exist exactly when its object state does.
 */
import { API_VERSION, type Kind, type Resource } from '../../manifest/resource.ts';
import { decodeContinue, encodeContinue, pageSize, parseLabelSelector, type LabelRequirement } from '../label-selector.ts';
import {
  alreadyExistsMessage,
  checkExpectedVersion,
  indexedFields,
  jsonClone,
  notFoundMessage,
  planCreate,
  planDelete,
  planStageApproval,
  planStatus,
  planUpdate,
  stampVersion,
  type UpdatePlan,
} from '../store-semantics.ts';
import { AlreadyExistsError, NotFoundError } from '../../client/errors.ts';
import type { ListResult, WatchEvent } from '../../client/wire.ts';
import type { AuditOf, Store } from '../store.ts';
import type { SqliteContext } from './connection.ts';
import { insertAudit } from './records.ts';

interface ObjectRow {
  metadata: string;
  spec: string;
  status: string | null;
  kind: string;
}

/** The SQL condition (and its parameters) selecting objects whose labels JSON matches a requirement. */
function labelCondition(r: LabelRequirement): { sql: string; params: string[] } {
  // Keys are restricted by the selector parser to characters that are safe inside a quoted JSON path.
  const path = `$."${r.key}"`;
  switch (r.op) {
    case 'eq':
      return { sql: 'json_extract(labels, ?) = ?', params: [path, r.value] };
    case 'neq':
      return { sql: '(json_type(labels, ?) IS NULL OR json_extract(labels, ?) <> ?)', params: [path, path, r.value] };
    case 'in':
      return { sql: `json_extract(labels, ?) IN (${r.values.map(() => '?').join(',')})`, params: [path, ...r.values] };
    case 'notin':
      return {
        sql: `(json_type(labels, ?) IS NULL OR json_extract(labels, ?) NOT IN (${r.values.map(() => '?').join(',')}))`,
        params: [path, path, ...r.values],
      };
    case 'exists':
      return { sql: 'json_type(labels, ?) IS NOT NULL', params: [path] };
    case 'absent':
      return { sql: 'json_type(labels, ?) IS NULL', params: [path] };
  }
}

const rowToResource = (row: ObjectRow): Resource => {
  const obj: Resource = {
    apiVersion: API_VERSION,
    kind: row.kind as Kind,
    metadata: JSON.parse(row.metadata) as Resource['metadata'],
    spec: JSON.parse(row.spec) as unknown,
  };
  if (row.status !== null) obj.status = JSON.parse(row.status) as unknown;
  return obj;
};

/** The Store's object methods over `ctx`'s database. */
export function objectMethods(ctx: SqliteContext): Pick<Store, 'create' | 'get' | 'list' | 'update' | 'updateStatus' | 'recordStageApproval' | 'delete'> {
  const { stmt, writeTx, readTx, counter } = ctx;
  const nowIso = (): string => new Date(ctx.clock()).toISOString();
  const wake = (): void => void ctx.wakeups.emit('change');

  const readObject = (kind: Kind, name: string): Resource | undefined => {
    const row = stmt('SELECT kind, metadata, spec, status FROM objects WHERE kind = ? AND name = ?').get(kind, name) as
      | ObjectRow
      | undefined;
    return row ? rowToResource(row) : undefined;
  };

  const mustGet = (kind: Kind, name: string): Resource => {
    const stored = readObject(kind, name);
    if (!stored) throw new NotFoundError(notFoundMessage(kind, name));
    return stored;
  };

  /** Takes the next version; the caller records the event and writes the object in the same transaction. */
  const nextVersion = (): number => {
    const rv = counter() + 1;
    stmt(`UPDATE meta SET value = ? WHERE key = 'rv'`).run(rv);
    return rv;
  };
  const appendChange = (type: WatchEvent['type'], obj: Resource, rv: number): void => {
    stmt('INSERT INTO changes (rv, kind, name, type, object) VALUES (?, ?, ?, ?, ?)').run(
      rv,
      obj.kind,
      obj.metadata.name,
      type,
      JSON.stringify(obj),
    );
  };
  const upsertObject = (obj: Resource, rv: number): void => {
    const { ownerTeam, lifecycle } = indexedFields(obj);
    stmt(
      `INSERT INTO objects (kind, name, uid, generation, resource_version, owner_team, lifecycle, labels, deletion_timestamp, metadata, spec, status)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (kind, name) DO UPDATE SET uid = excluded.uid, generation = excluded.generation,
         resource_version = excluded.resource_version, owner_team = excluded.owner_team, lifecycle = excluded.lifecycle,
         labels = excluded.labels, deletion_timestamp = excluded.deletion_timestamp, metadata = excluded.metadata,
         spec = excluded.spec, status = excluded.status`,
    ).run(
      obj.kind,
      obj.metadata.name,
      obj.metadata.uid ?? '',
      obj.metadata.generation ?? 1,
      rv,
      ownerTeam,
      lifecycle,
      JSON.stringify(obj.metadata.labels ?? {}),
      obj.metadata.deletionTimestamp ?? null,
      JSON.stringify(obj.metadata),
      JSON.stringify(obj.spec ?? null),
      obj.status === undefined ? null : JSON.stringify(obj.status),
    );
  };

  /** Carries out a modify/remove plan inside the current transaction; returns the stored (or removed) object. */
  const applyPlan = (plan: UpdatePlan): Resource => {
    if (plan.action === 'unchanged') return plan.object;
    const rv = nextVersion();
    const obj = stampVersion(plan.object, rv);
    if (plan.action === 'remove') {
      stmt('DELETE FROM objects WHERE kind = ? AND name = ?').run(obj.kind, obj.metadata.name);
      appendChange('DELETED', obj, rv);
    } else {
      upsertObject(obj, rv);
      appendChange('MODIFIED', obj, rv);
    }
    return obj;
  };

  /**
   * Reads kind/name, checks the expected version and carries out `plan`'s answer
   * in one transaction; wakes waiters when something was written.
   */
  const writePlanned = (
    kind: Kind,
    name: string,
    expected: string | undefined,
    audit: AuditOf | undefined,
    plan: (stored: Resource) => UpdatePlan,
  ): { object: Resource; action: UpdatePlan['action'] } => {
    const done = writeTx(() => {
      const stored = mustGet(kind, name);
      checkExpectedVersion(stored, expected);
      const p = plan(stored);
      const object = applyPlan(p);
      if (audit && p.action !== 'unchanged') insertAudit(ctx, audit({ before: stored, after: p.action === 'remove' ? undefined : object }));
      return { object, action: p.action };
    });
    if (done.action !== 'unchanged') wake();
    return { object: jsonClone(done.object), action: done.action };
  };

  return {
    async create(obj, o) {
      if (o?.dryRun) {
        const planned = planCreate(obj, undefined, nowIso());
        if (readObject(planned.kind, planned.metadata.name)) throw new AlreadyExistsError(alreadyExistsMessage(planned.kind, planned.metadata.name));
        return planned;
      }
      const created = writeTx(() => {
        const probe = planCreate(obj, undefined, nowIso());
        if (readObject(probe.kind, probe.metadata.name)) throw new AlreadyExistsError(alreadyExistsMessage(probe.kind, probe.metadata.name));
        const rv = nextVersion();
        const stored = planCreate(obj, rv, nowIso());
        upsertObject(stored, rv);
        appendChange('ADDED', stored, rv);
        if (o?.audit) insertAudit(ctx, o.audit({ before: undefined, after: stored }));
        return stored;
      });
      wake();
      return jsonClone(created);
    },

    async get(kind, name) {
      ctx.assertOpen();
      return readObject(kind, name);
    },

    async list(kind, o = {}) {
      const limit = pageSize(o.limit);
      const requirements = parseLabelSelector(o.labelSelector);
      const position = o.continue ? decodeContinue(o.continue) : undefined;
      const where: string[] = ['kind = ?'];
      const params: (string | number)[] = [kind];
      if (position) {
        where.push('name > ?');
        params.push(position.lastName);
      }
      if (o.ownerTeam !== undefined) {
        where.push('owner_team = ?');
        params.push(o.ownerTeam);
      }
      if (o.lifecycle !== undefined) {
        where.push('lifecycle = ?');
        params.push(o.lifecycle);
      }
      for (const r of requirements) {
        const c = labelCondition(r);
        where.push(c.sql);
        params.push(...c.params);
      }
      // Without statistics the planner walks the primary key for ORDER BY name and scans every
      // row; the filter indexes already hold (kind, filter, name) in order, so name them.
      const index =
        o.ownerTeam !== undefined ? 'INDEXED BY objects_owner_team' : o.lifecycle !== undefined ? 'INDEXED BY objects_lifecycle' : '';
      const sql = `SELECT kind, metadata, spec, status FROM objects ${index} WHERE ${where.join(' AND ')} ORDER BY name LIMIT ?`;
      const { rows, rv } = readTx(() => ({
        rv: counter(),
        rows: stmt(sql).all(...params, limit + 1) as unknown as ObjectRow[],
      }));
      const more = rows.length > limit;
      const items = rows.slice(0, limit).map(rowToResource);
      // Later pages report the first page's version: a watcher starting there misses nothing
      // that happened while it paged (it may see some of those changes as events too).
      const resourceVersion = position ? position.resourceVersion : rv;
      const result: ListResult = { items, resourceVersion };
      const last = items.at(-1);
      if (more && last) result.continue = encodeContinue({ lastName: last.metadata.name, resourceVersion });
      return result;
    },

    async update(obj, o = {}) {
      if (o.dryRun) {
        const stored = mustGet(obj.kind, obj.metadata?.name);
        checkExpectedVersion(stored, o.expectedResourceVersion);
        return planUpdate(stored, obj).object;
      }
      return writePlanned(obj.kind, obj.metadata?.name, o.expectedResourceVersion, o.audit, (stored) => planUpdate(stored, obj)).object;
    },

    async updateStatus(kind, name, status, o = {}) {
      return writePlanned(kind, name, o.expectedResourceVersion, o.audit, (stored) => planStatus(stored, status)).object;
    },

    async recordStageApproval(kind, name, approval, o = {}) {
      return writePlanned(kind, name, o.expectedResourceVersion, o.audit, (stored) => planStageApproval(stored, approval)).object;
    },

    async delete(kind, name, o = {}) {
      const { object, action } = writePlanned(kind, name, o.expectedResourceVersion, o.audit, (stored) => planDelete(stored, nowIso()));
      return { removed: action === 'remove', object };
    },
  };
}
