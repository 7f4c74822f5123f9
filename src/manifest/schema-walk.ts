/**
 * Flattens a kind's schema into one entry per field, for the reference docs,
 * "this field belongs under …" hints and the list of server-owned fields.
 */
import { isSchemaNode, resolveRef, type SchemaNode } from './schemas.ts';

/** One field of a kind, as the schema describes it. */
export interface SchemaField {
  /** Display path: `spec.runtime.cpu`, `spec.tools[].name`, `metadata.labels.<key>`. */
  path: string;
  /** Last segment: the field's own name (`cpu`), or `[]` / `<key>` for items and map values. */
  name: string;
  /** The field's schema with `$ref` resolved. */
  schema: SchemaNode;
  /** Whether the parent object requires it. */
  required: boolean;
  /** Set by the registry (the schema marks it, or an ancestor, `readOnly`). */
  readOnly: boolean;
}

/**
 * Every field reachable from the root of `root`, depth first in declaration order.
 * Object properties of `oneOf` branches are merged into their parent.
 */
export function walkSchema(root: SchemaNode): SchemaField[] {
  const out: SchemaField[] = [];
  const visit = (node: SchemaNode, path: string, readOnly: boolean, depth: number): void => {
    if (depth > 12) return; // Berth's schemas are not recursive; this only guards against a future mistake.
    const schema = resolveRef(root, node);
    const required = new Set(Array.isArray(schema['required']) ? (schema['required'] as string[]) : []);
    const branches = Array.isArray(schema['oneOf']) ? schema['oneOf'].filter(isSchemaNode) : [];
    const propertySources: SchemaNode[] = [schema, ...branches.map((b) => resolveRef(root, b))];
    for (const source of propertySources) {
      const props = source['properties'];
      if (!isSchemaNode(props)) continue;
      const sourceRequired = new Set(Array.isArray(source['required']) ? (source['required'] as string[]) : []);
      for (const [name, raw] of Object.entries(props)) {
        if (!isSchemaNode(raw)) continue;
        const child = resolveRef(root, raw);
        const childPath = path ? `${path}.${name}` : name;
        const childReadOnly = readOnly || child['readOnly'] === true;
        out.push({
          path: childPath,
          name,
          schema: child,
          required: source === schema ? required.has(name) : sourceRequired.has(name) && branches.length <= 1,
          readOnly: childReadOnly,
        });
        visit(child, childPath, childReadOnly, depth + 1);
      }
    }
    const items = schema['items'];
    if (isSchemaNode(items)) {
      const itemSchema = resolveRef(root, items);
      if (hasFields(root, itemSchema)) visit(itemSchema, `${path}[]`, readOnly, depth + 1);
    }
    const values = schema['additionalProperties'];
    if (isSchemaNode(values)) {
      const valueSchema = resolveRef(root, values);
      if (hasFields(root, valueSchema)) visit(valueSchema, `${path}.<key>`, readOnly, depth + 1);
    }
  };
  visit(root, '', false, 0);
  return out;
}

function hasFields(root: SchemaNode, schema: SchemaNode): boolean {
  if (isSchemaNode(schema['properties'])) return true;
  return Array.isArray(schema['oneOf']) && schema['oneOf'].some((b) => isSchemaNode(b) && isSchemaNode(resolveRef(root, b)['properties']));
}
