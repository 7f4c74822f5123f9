/**
 * The schemas as artefacts: strict everywhere, documented everywhere (the README
 * reference is generated from their descriptions), and the README kept fresh.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderReference, replaceReferenceSection } from './reference.ts';
import { API_VERSION, KINDS } from './resource.ts';
import { SCHEMAS, type SchemaNode } from './schemas.ts';

/** Every schema node under `node`, with a JSON-pointer-ish location. */
function nodes(node: unknown, at = '#'): { at: string; node: SchemaNode }[] {
  if (typeof node !== 'object' || node === null || Array.isArray(node)) return [];
  const out = [{ at, node: node as SchemaNode }];
  const n = node as Record<string, unknown>;
  for (const key of ['properties', '$defs']) {
    const group = n[key];
    if (group && typeof group === 'object') for (const [k, v] of Object.entries(group)) out.push(...nodes(v, `${at}/${key}/${k}`));
  }
  for (const key of ['items', 'additionalProperties', 'propertyNames']) out.push(...nodes(n[key], `${at}/${key}`));
  if (Array.isArray(n['oneOf'])) n['oneOf'].forEach((b, i) => out.push(...nodes(b, `${at}/oneOf/${i}`)));
  return out;
}

describe.each(KINDS)('%s schema', (kind) => {
  const schema = SCHEMAS[kind];
  const all = nodes(schema);

  it('is draft 2020-12 with a berth.dev $id and the current apiVersion', () => {
    expect(schema['$schema']).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema['$id']).toBe(`https://berth.dev/schemas/v1alpha1/${kind.toLowerCase()}.json`);
    expect((schema['properties'] as Record<string, SchemaNode>)['apiVersion']?.['const']).toBe(API_VERSION);
  });

  it('closes every object: additionalProperties is false wherever properties are listed', () => {
    const open = all.filter(({ node }) => node['properties'] !== undefined && node['additionalProperties'] !== false).map((n) => n.at);
    expect(open).toEqual([]);
    // Maps (labels, env) declare what their values are; status.runtime is the one deliberate free-form bag.
    const untyped = all
      .filter(({ node }) => node['type'] === 'object' && node['properties'] === undefined && node['additionalProperties'] === undefined)
      .map((n) => n.at);
    expect(untyped).toEqual([]);
  });

  it('describes every property (the README reference is generated from these)', () => {
    const undocumented = all
      .filter(({ at, node }) => /\/properties\/[^/]+$/.test(at) && node['$ref'] === undefined && typeof node['description'] !== 'string')
      .map((n) => n.at);
    expect(undocumented).toEqual([]);
    const defs = all.filter(({ at, node }) => /\/\$defs\/[^/]+$/.test(at) && typeof node['description'] !== 'string').map((n) => n.at);
    expect(defs).toEqual([]);
  });

  it('gives every pattern a human explanation', () => {
    const bare = all.filter(({ node }) => typeof node['pattern'] === 'string' && typeof node['patternErrorMessage'] !== 'string').map((n) => n.at);
    expect(bare).toEqual([]);
  });
});

describe('shared definitions', () => {
  it('metadata is defined identically in both schemas', () => {
    const defs = (k: (typeof KINDS)[number]): Record<string, unknown> => SCHEMAS[k]['$defs'] as Record<string, unknown>;
    expect(defs('AccessPolicy')['objectMeta']).toEqual(defs('MCPServer')['objectMeta']);
  });
});

describe('README manifest reference', () => {
  it('is up to date with the schemas (regenerate: node src/manifest/write-reference.ts)', () => {
    const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
    expect(replaceReferenceSection(readme, renderReference()) === readme, 'README.md reference section is stale').toBe(true);
  });

  it('lists every field with its default and allowed values', () => {
    const ref = renderReference();
    expect(ref).toContain('| `spec.runtime.cpu` | integer |  | `256` |');
    expect(ref).toContain('One of `256`, `512`, `1024`, `2048`, `4096`, `8192`, `16384`.');
    expect(ref).toContain('| `spec.subjects[].agent` | string |');
    expect(ref).toContain('| `status.conditions[].reason` | string | set by Berth |');
  });

  it('replaces only the text between the markers', () => {
    const readme = 'intro\n<!-- BEGIN MANIFEST REFERENCE (x) -->\nold\n<!-- END MANIFEST REFERENCE -->\noutro\n';
    expect(replaceReferenceSection(readme, 'NEW')).toBe('intro\n<!-- BEGIN MANIFEST REFERENCE (x) -->\n\nNEW\n\n<!-- END MANIFEST REFERENCE -->\noutro\n');
    expect(() => replaceReferenceSection('no markers', 'x')).toThrow(/must contain/);
  });
});
