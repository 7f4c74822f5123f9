/**
 * The JSON Schemas of each kind, as loaded from `schemas/` — the single source of
 * truth for field names, types, allowed values, defaults and descriptions.
 */
import mcpServerSchema from '../../schemas/mcpserver.schema.json' with { type: 'json' };
import accessPolicySchema from '../../schemas/accesspolicy.schema.json' with { type: 'json' };
import type { Kind } from './resource.ts';

/** A JSON Schema node, loosely typed: the validator and walkers read it as data. */
export type SchemaNode = { readonly [keyword: string]: unknown };

/** The schema of every kind, keyed by kind. Treat as read-only. */
export const SCHEMAS: Readonly<Record<Kind, SchemaNode>> = {
  MCPServer: mcpServerSchema as SchemaNode,
  AccessPolicy: accessPolicySchema as SchemaNode,
};

/** Repository-relative file each kind's schema lives in (for `$schema` comments and docs). */
export const SCHEMA_FILES: Readonly<Record<Kind, string>> = {
  MCPServer: 'schemas/mcpserver.schema.json',
  AccessPolicy: 'schemas/accesspolicy.schema.json',
};

/**
 * Resolves a local `$ref` (`#/$defs/name`) against `root`; returns the node itself when it has none.
 * Non-local refs are not used by Berth's schemas and are returned unresolved.
 */
export function resolveRef(root: SchemaNode, node: SchemaNode): SchemaNode {
  let current = node;
  for (let hops = 0; typeof current['$ref'] === 'string' && hops < 16; hops++) {
    const ref = current['$ref'];
    if (!ref.startsWith('#/')) return current;
    let target: unknown = root;
    for (const part of ref.slice(2).split('/')) {
      target = (target as Record<string, unknown> | undefined)?.[part.replaceAll('~1', '/').replaceAll('~0', '~')];
    }
    if (!isSchemaNode(target)) return current;
    // Keywords beside $ref (2020-12 allows them) override the target's annotations.
    const { $ref: _ignored, ...siblings } = current;
    current = { ...target, ...siblings };
  }
  return current;
}

/** True for a schema object (as opposed to `true`/`false` or a missing node). */
export function isSchemaNode(x: unknown): x is SchemaNode {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** The property schemas of an object schema (resolved), or an empty record. */
export function propertiesOf(root: SchemaNode, node: SchemaNode): Record<string, SchemaNode> {
  const props = resolveRef(root, node)['properties'];
  if (!isSchemaNode(props)) return {};
  const out: Record<string, SchemaNode> = {};
  for (const [k, v] of Object.entries(props)) if (isSchemaNode(v)) out[k] = resolveRef(root, v);
  return out;
}
