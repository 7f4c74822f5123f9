/**
 * Renders the manifest reference (every field: path, type, default, description,
 * allowed values) from the schemas, for the README. The schemas' descriptions are
 * the text; nothing is written here by hand, so the docs cannot drift.
 */
import { KINDS, type Kind } from './resource.ts';
import { walkSchema, type SchemaField } from './schema-walk.ts';
import { isSchemaNode, resolveRef, SCHEMA_FILES, SCHEMAS, type SchemaNode } from './schemas.ts';

/** Start of the line that opens the generated section in README.md (the rest of that line is kept). */
export const REFERENCE_BEGIN = '<!-- BEGIN MANIFEST REFERENCE';
/** The line that closes the generated section in README.md. */
export const REFERENCE_END = '<!-- END MANIFEST REFERENCE -->';

/**
 * The Markdown reference of every kind: one table per kind, rows in schema order.
 * Deterministic: the same schemas always give the same text.
 */
export function renderReference(): string {
  return KINDS.map(renderKind).join('\n');
}

function renderKind(kind: Kind): string {
  const root = SCHEMAS[kind];
  const lines = [
    `### ${kind}`,
    '',
    `${text(root['description'])} Schema: [\`${SCHEMA_FILES[kind]}\`](${SCHEMA_FILES[kind]}).`,
    '',
    '| Field | Type | Required | Default | Description |',
    '|---|---|---|---|---|',
  ];
  for (const field of walkSchema(root)) lines.push(row(root, field));
  lines.push('');
  return lines.join('\n');
}

function row(root: SchemaNode, field: SchemaField): string {
  const s = field.schema;
  const required = field.readOnly ? 'set by Berth' : field.required ? 'yes' : '';
  const def = s['default'] !== undefined && !isSchemaNode(s['default']) ? `\`${JSON.stringify(s['default'])}\`` : '';
  const details: string[] = [text(s['description'])];
  if (Array.isArray(s['enum'])) details.push(`One of ${s['enum'].map((v) => `\`${String(v)}\``).join(', ')}.`);
  const bounds = rangeOf(s);
  if (bounds) details.push(bounds);
  if (typeof s['patternErrorMessage'] === 'string') details.push(capitalise(s['patternErrorMessage'].replace(/^must be /, 'Must be ')) + '.');
  if (s['format'] === 'date') details.push('Format: `YYYY-MM-DD`.');
  if (s['format'] === 'date-time') details.push('Format: RFC 3339 time.');
  const items = isSchemaNode(s['items']) ? resolveRef(root, s['items']) : undefined;
  if (items && typeof items['patternErrorMessage'] === 'string' && !isSchemaNode(items['properties'])) {
    details.push(`Each item ${items['patternErrorMessage'].replace(/^must be /, 'must be ')}.`);
  }
  if (s['uniqueItems'] === true) details.push('No duplicates.');
  return `| \`${field.path}\` | ${typeOf(root, s)} | ${required} | ${def} | ${cell(details.filter(Boolean).join(' '))} |`;
}

function typeOf(root: SchemaNode, s: SchemaNode): string {
  if (s['const'] !== undefined) return `\`${JSON.stringify(s['const'])}\``;
  if (Array.isArray(s['oneOf']) && s['type'] === undefined) return 'object (one of)';
  const type = typeof s['type'] === 'string' ? s['type'] : 'any';
  if (type === 'array' && isSchemaNode(s['items'])) return `list of ${plural(typeOf(root, resolveRef(root, s['items'])))}`;
  if (type === 'object' && isSchemaNode(s['additionalProperties'])) {
    return `map of ${typeOf(root, resolveRef(root, s['additionalProperties']))}`;
  }
  return type;
}

function plural(t: string): string {
  if (t.startsWith('list') || t.startsWith('map') || t.startsWith('`')) return t;
  if (t === 'object (one of)') return 'objects (one of)';
  return `${t}s`;
}

function rangeOf(s: SchemaNode): string {
  const parts: string[] = [];
  if (typeof s['minimum'] === 'number' && typeof s['maximum'] === 'number') parts.push(`Range ${s['minimum']}–${s['maximum']}.`);
  else if (typeof s['minimum'] === 'number') parts.push(`At least ${s['minimum']}.`);
  else if (typeof s['maximum'] === 'number') parts.push(`At most ${s['maximum']}.`);
  if (typeof s['maxLength'] === 'number') parts.push(`At most ${s['maxLength']} characters.`);
  if (typeof s['minItems'] === 'number') parts.push(`At least ${s['minItems']} item${s['minItems'] === 1 ? '' : 's'}.`);
  return parts.join(' ');
}

function text(x: unknown): string {
  return typeof x === 'string' ? x : '';
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Makes text safe inside a Markdown table cell. */
function cell(s: string): string {
  return s.replaceAll('|', '\\|').replaceAll('\n', ' ');
}

/**
 * `readme` with the text between the reference markers replaced by `reference`.
 * The BEGIN marker line and everything outside the markers are kept byte for byte.
 * @throws Error when either marker is missing or they are out of order.
 */
export function replaceReferenceSection(readme: string, reference: string): string {
  const begin = readme.indexOf(REFERENCE_BEGIN);
  const end = readme.indexOf(REFERENCE_END);
  if (begin === -1 || end === -1 || end < begin) {
    throw new Error(`README.md must contain "${REFERENCE_BEGIN} … -->" followed by "${REFERENCE_END}"; add them where the reference belongs`);
  }
  const beginLineEnd = readme.indexOf('\n', begin);
  if (beginLineEnd === -1 || beginLineEnd > end) throw new Error(`the ${REFERENCE_BEGIN} marker must be on its own line`);
  return `${readme.slice(0, beginLineEnd + 1)}\n${reference.trimEnd()}\n\n${readme.slice(end)}`;
}
