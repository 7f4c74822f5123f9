/**
 * Defaults, applied in this one place. Plain defaults come from the schemas'
 * `default` keywords; the few that depend on other fields (routing path, the
 * Fargate size) are computed here.
 */
import { minMemoryFor, smallestCpuFor } from './fargate.ts';
import { defaultRoutePath } from './route.ts';
import type { Kind } from './resource.ts';
import { isSchemaNode, resolveRef, SCHEMAS, type SchemaNode } from './schemas.ts';
import type { AnyResource } from './types.ts';

/**
 * Returns a copy of `obj` with every default filled in; `obj` is not changed.
 * After it, the fields types.ts marks "default" are present:
 * - `spec.routing.path` is `/mcp/<metadata.name>`;
 * - `spec.runtime.cpu`/`memory`: when only one is set, the other is the smallest valid
 *   Fargate partner; when neither, 256/512;
 * - port, replicas, mcpPath, health check timings, tool approval: the schema's defaults.
 * Objects of unknown kind, or not objects at all, are returned as an unchanged copy.
 * @example applyDefaults(server).spec.routing?.path // "/mcp/weather"
 */
export function applyDefaults<T extends AnyResource>(obj: T): T {
  const copy = structuredClone(obj);
  if (!isRecord(copy)) return copy;
  const kind = copy['kind'];
  const schema = typeof kind === 'string' && kind in SCHEMAS ? SCHEMAS[kind as Kind] : undefined;
  if (!schema) return copy;
  if (kind === 'MCPServer') computeServerDefaults(copy);
  fillSchemaDefaults(schema, schema, copy);
  return copy;
}

function computeServerDefaults(server: Record<string, unknown>): void {
  const spec = server['spec'];
  if (!isRecord(spec)) return;
  const meta = server['metadata'];
  const name = isRecord(meta) && typeof meta['name'] === 'string' ? meta['name'] : undefined;
  if (spec['routing'] === undefined) spec['routing'] = {};
  const routing = spec['routing'];
  if (isRecord(routing) && routing['path'] === undefined && name !== undefined) routing['path'] = defaultRoutePath(name);
  const runtime = spec['runtime'];
  if (isRecord(runtime)) {
    const { cpu, memory } = runtime;
    if (cpu === undefined && typeof memory === 'number') {
      const fitting = smallestCpuFor(memory);
      if (fitting !== undefined) runtime['cpu'] = fitting;
    }
    if (memory === undefined && typeof runtime['cpu'] === 'number') {
      const smallest = minMemoryFor(runtime['cpu']);
      if (smallest !== undefined) runtime['memory'] = smallest;
    }
  }
}

/** Fills `default`s of `schema` into `value` (mutates the copy), recursing into present objects and lists. */
function fillSchemaDefaults(root: SchemaNode, node: SchemaNode, value: unknown): void {
  const schema = resolveRef(root, node);
  if (isRecord(value)) {
    const props = schema['properties'];
    if (!isSchemaNode(props)) return;
    for (const [name, raw] of Object.entries(props)) {
      if (!isSchemaNode(raw)) continue;
      const prop = resolveRef(root, raw);
      if (value[name] === undefined && prop['default'] !== undefined && prop['readOnly'] !== true) {
        value[name] = structuredClone(prop['default']);
      }
      if (value[name] !== undefined) fillSchemaDefaults(root, prop, value[name]);
    }
  } else if (Array.isArray(value)) {
    const items = schema['items'];
    if (isSchemaNode(items)) for (const item of value) fillSchemaDefaults(root, items, item);
  }
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
