/**
 * Fields the registry owns (metadata.uid, generation, resourceVersion, timestamps,
 * finalizers, and the whole status). The schemas mark them `readOnly`; this file
 * reads that mark, so adding a server-owned field means editing only the schema.
 *
 * Policy: manifests people write must not contain them (`validateObject` reports each
 * one). An object read back from the registry (`berth get -o yaml`) does contain
 * them; callers that accept such round trips pass it through {@link stripServerOwned}
 * first — a deliberate step, so the registry never silently trusts client-sent
 * generation or status.
 */
import type { Finding } from './finding.ts';
import type { Kind } from './resource.ts';
import { walkSchema } from './schema-walk.ts';
import { SCHEMAS } from './schemas.ts';

/** Top-most server-owned field paths per kind, e.g. ["metadata", "generation"], ["status"]. */
export const SERVER_OWNED_PATHS: Readonly<Record<Kind, readonly (readonly string[])[]>> = {
  MCPServer: topReadOnlyPaths('MCPServer'),
  AccessPolicy: topReadOnlyPaths('AccessPolicy'),
};

function topReadOnlyPaths(kind: Kind): string[][] {
  const fields = walkSchema(SCHEMAS[kind]).filter((f) => f.readOnly && !f.path.includes('[]') && !f.path.includes('<key>'));
  const paths = fields.map((f) => f.path.split('.'));
  // Keep only the outermost: "status" covers "status.phase".
  return paths.filter((p) => !paths.some((q) => q.length < p.length && q.every((s, i) => p[i] === s)));
}

/** One finding per server-owned field present in `obj` (a manifest people wrote). */
export function serverOwnedFindings(obj: unknown): Finding[] {
  const kind = kindOf(obj);
  if (!kind) return [];
  const out: Finding[] = [];
  for (const path of SERVER_OWNED_PATHS[kind]) {
    if (getPath(obj, path) === undefined) continue;
    out.push({
      path,
      target: 'key',
      code: 'server-owned',
      message:
        path[0] === 'status'
          ? 'is written by Berth, not by manifests; remove it'
          : 'is set by the registry, not by manifests; remove it (objects read back from the registry keep it only in API responses)',
    });
  }
  return out;
}

/**
 * Returns a copy of `obj` without any server-owned field, for accepting an object the
 * registry itself sent out (e.g. edited output of `berth get -o yaml`). `obj` is not changed.
 * Unknown kinds and non-objects are returned as an unchanged copy.
 */
export function stripServerOwned<T>(obj: T): T {
  const copy = structuredClone(obj);
  const kind = kindOf(copy);
  if (!kind) return copy;
  for (const path of SERVER_OWNED_PATHS[kind]) {
    const parent = getPath(copy, path.slice(0, -1));
    const last = path[path.length - 1];
    if (typeof parent === 'object' && parent !== null && last !== undefined) delete (parent as Record<string, unknown>)[last];
  }
  return copy;
}

function kindOf(obj: unknown): Kind | undefined {
  if (typeof obj !== 'object' || obj === null) return undefined;
  const kind = (obj as Record<string, unknown>)['kind'];
  return kind === 'MCPServer' || kind === 'AccessPolicy' ? kind : undefined;
}

function getPath(obj: unknown, path: readonly string[]): unknown {
  let cur: unknown = obj;
  for (const seg of path) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}
