/**
 * Behaviour of the public manifest API: positions, validation of objects and sets,
 * defaults, hashing, server-owned fields, loading from disk and stdin.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { didYouMean, editDistance } from './did-you-mean.ts';
import { FARGATE_MEMORY, isValidFargatePair } from './fargate.ts';
import {
  applyDefaults,
  formatProblem,
  loadManifestPaths,
  ManifestPathError,
  parseManifestText,
  specHash,
  stripServerOwned,
  validateDocuments,
  validateObject,
  type AccessPolicy,
  type MCPServer,
} from './index.ts';
import { findExcessiveNesting } from './nesting.ts';
import { mcpServer } from '../../test/support/manifests.ts';

const repo = fileURLToPath(new URL('../../', import.meta.url));

function server(name = 'weather', extra: Partial<MCPServer['spec']> = {}): MCPServer {
  return mcpServer(name, { runtime: { image: 'ghcr.io/acme/weather:1.0.0', transport: 'streamable-http' }, ...extra });
}

const WEATHER_YAML = `apiVersion: berth.dev/v1alpha1
kind: MCPServer
metadata:
  name: weather
spec:
  owner:
    team: platform
  environment: dev
  lifecycle: approved-dev
  risk: low
  dataClassification: internal
  runtime:
    image: ghcr.io/acme/weather:1.0.0
    transport: streamable-http
    cpu: 300
`;

describe('parseManifestText', () => {
  it('keeps positions of keys and values, per document of a multi-document file', () => {
    const text = `# leading comment\n---\n${WEATHER_YAML}---\n${WEATHER_YAML.replace('name: weather', 'name: forecast')}`;
    const { documents, problems } = parseManifestText(text, 'servers/all.yaml');
    expect(problems).toEqual([]);
    expect(documents.map((d) => d.line)).toEqual([3, 19]);
    const [, second] = documents;
    expect(second?.positionOf(['spec', 'runtime', 'cpu'])).toEqual({ file: 'servers/all.yaml', line: 33, column: 10 });
    expect(second?.positionOf(['spec', 'runtime', 'cpu'], 'key')).toEqual({ file: 'servers/all.yaml', line: 33, column: 5 });
    // A missing field points at its deepest existing parent.
    expect(second?.positionOf(['spec', 'runtime', 'healthCheck', 'path'], 'key').line).toBe(30);
  });

  it('formats the issue example line exactly', () => {
    const { documents } = parseManifestText(WEATHER_YAML, 'servers/weather.yaml');
    const problems = validateDocuments(documents);
    expect(problems.map(formatProblem)).toEqual([
      'servers/weather.yaml:15:10  MCPServer/weather  spec.runtime.cpu  must be one of 256, 512, 1024, 2048, 4096, 8192, 16384 (got 300)',
    ]);
  });

  it('skips empty documents between separators but reports a file with none', () => {
    expect(parseManifestText(`---\n---\n${WEATHER_YAML}---\n`, 'f.yaml').documents).toHaveLength(1);
    expect(parseManifestText('', 'f.yaml').problems[0]?.code).toBe('empty');
    expect(parseManifestText('# nothing\n---\n~\n', 'f.yaml').problems[0]?.code).toBe('empty');
  });

  it('reports every syntax error, not only the first, and keeps the other documents', () => {
    const text = `a: [1, 2\n---\n${WEATHER_YAML}---\nb: 1\nb: 2\n`;
    const { documents, problems } = parseManifestText(text, 'f.yaml');
    expect(documents).toHaveLength(1);
    expect(problems.map((p) => p.code)).toEqual(['yaml-syntax', 'yaml-duplicate-key']);
    expect(problems[1]?.position?.line).toBe(20);
  });

  it('stops deep nesting before the parser recurses, in linear time', () => {
    const started = performance.now();
    const { problems } = parseManifestText(`a: ${'['.repeat(200_000)}${']'.repeat(200_000)}\n`, 'deep.yaml');
    expect(problems[0]?.code).toBe('nesting-too-deep');
    expect(performance.now() - started).toBeLessThan(1000);
    expect(findExcessiveNesting('a:\n  b:\n    - [1, {c: "[[[["}]\n')).toBeUndefined();
  });
});

describe('validateObject', () => {
  it('accepts a valid object and every example manifest shape', () => {
    expect(validateObject(server())).toEqual([]);
  });

  it('reports every error at once, without positions', () => {
    const bad = server('Bad_Name', { risk: 'extreme' as never, runtime: { image: 'x', transport: 'stdio', cpu: 300, replcas: 2 } as never });
    const problems = validateObject(bad);
    expect(problems.every((p) => p.position === undefined)).toBe(true);
    expect(problems.map((p) => [p.path, p.code])).toEqual(
      expect.arrayContaining([
        ['metadata.name', 'pattern'],
        ['spec.risk', 'enum'],
        ['spec.runtime.image', 'pattern'],
        ['spec.runtime.cpu', 'enum'],
        ['spec.runtime.replcas', 'additionalProperties'],
      ]),
    );
    expect(problems.find((p) => p.code === 'additionalProperties')?.message).toBe('unknown field "replcas"; did you mean "replicas"?');
  });

  it('rejects server-owned fields unless told they come from the registry', () => {
    const stored = { ...server(), metadata: { name: 'weather', generation: 2, resourceVersion: '17', uid: 'u-1' }, status: { phase: 'Ready' as const } };
    expect(validateObject(stored).map((p) => p.path).sort()).toEqual(['metadata.generation', 'metadata.resourceVersion', 'metadata.uid', 'status']);
    expect(validateObject(stored, { allowServerOwned: true })).toEqual([]);
    const stripped = stripServerOwned(stored);
    expect(validateObject(stripped)).toEqual([]);
    expect(stripped.metadata).toEqual({ name: 'weather' });
    expect(stored.metadata.generation).toBe(2); // input untouched
  });

  it('refuses absurdly deep API bodies without recursing', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const problems = validateObject({ ...server(), spec: { ...server().spec, runtime: { image: 'i:1', transport: 'stdio', args: deep } } });
    expect(problems.map((p) => p.code)).toEqual(['nesting-too-deep']);
  });

  it('never repeats a literal secret in its messages', () => {
    const key = 'AKIAIOSFODNN7EXAMPLE';
    const problems = validateObject(server('w', { runtime: { image: 'ghcr.io/a/b:1', transport: 'stdio', env: { X: key }, secrets: [{ name: 'Y', valueFrom: key }] } }));
    expect(problems).toHaveLength(2);
    expect(JSON.stringify(problems)).not.toContain(key);
  });

  it('validates access policies, including wildcard scopes', () => {
    const policy: AccessPolicy = {
      apiVersion: 'berth.dev/v1alpha1',
      kind: 'AccessPolicy',
      metadata: { name: 'p' },
      spec: { subjects: [{ agent: 'a' }, { group: 'g' }], allow: ['salesforce.*', '*', 'quote.read'], deny: ['customer.export'] },
    };
    expect(validateObject(policy)).toEqual([]);
    const both = { ...policy, spec: { ...policy.spec, subjects: [{ agent: 'a', group: 'g' }] } };
    expect(validateObject(both).map((p) => p.message)).toEqual(['set exactly one of `agent` or `group`, not both']);
  });
});

describe('validateDocuments across a set', () => {
  it('refuses the same route in another environment too: one gateway route table serves every environment', () => {
    const a = `${WEATHER_YAML.replace('cpu: 300', 'cpu: 256')}  routing:\n    path: /mcp/shared\n`;
    const b = a.replace('name: weather', 'name: other');
    const c = b.replace('name: other', 'name: prod-one').replace('environment: dev', 'environment: production').replace('approved-dev', 'approved-production');
    const docs = [a, b, c].flatMap((t, i) => parseManifestText(t, `${i}.yaml`).documents);
    const problems = validateDocuments(docs);
    expect(problems.map((p) => [p.position?.file, p.code, p.message])).toEqual([
      ['1.yaml', 'route-collision', 'route /mcp/shared is already used by MCPServer/weather; give one of them a different routing.path or routing.host'],
      ['2.yaml', 'route-collision', 'route /mcp/shared is already used by MCPServer/weather; give one of them a different routing.path or routing.host'],
    ]);
  });

  it('leaves servers with problems of their own out of the route check, as the registry refuses them first', () => {
    const a = `${WEATHER_YAML}  routing:\n    path: /mcp/shared\n`; // cpu 300: a problem of its own
    const b = `${WEATHER_YAML.replace('cpu: 300', 'cpu: 256').replace('name: weather', 'name: other')}  routing:\n    path: /mcp/shared\n`;
    const docs = [a, b].flatMap((t, i) => parseManifestText(t, `${i}.yaml`).documents);
    expect(validateDocuments(docs).map((p) => [p.position?.file, p.code])).toEqual([['0.yaml', 'enum']]);
  });
});

describe('applyDefaults', () => {
  it('fills every default in one place without touching the input', () => {
    const input = server('weather', { tools: [{ name: 't', scopes: ['a.b'] }] });
    const out = applyDefaults(input);
    expect(input.spec.runtime?.cpu).toBeUndefined();
    expect(out.spec.routing).toEqual({ path: '/mcp/weather' });
    expect(out.spec.runtime).toMatchObject({ cpu: 256, memory: 512, replicas: 1, port: 8080, mcpPath: '/mcp' });
    expect(out.spec.runtime?.healthCheck).toEqual({ intervalSeconds: 10, timeoutSeconds: 5, healthyThreshold: 2, unhealthyThreshold: 3, gracePeriodSeconds: 30 });
    expect(out.spec.tools?.[0]?.approval).toBe('none');
    expect(applyDefaults(out)).toEqual(out); // idempotent
  });

  it('picks the Fargate partner of whichever of cpu and memory was given', () => {
    expect(applyDefaults(server('a', { runtime: { image: 'i:1', transport: 'streamable-http', cpu: 1024 } })).spec.runtime).toMatchObject({ cpu: 1024, memory: 2048 });
    expect(applyDefaults(server('a', { runtime: { image: 'i:1', transport: 'streamable-http', memory: 4096 } })).spec.runtime).toMatchObject({ cpu: 512, memory: 4096 });
    expect(applyDefaults(server('a', { routing: { path: '/x' } })).spec.routing).toEqual({ path: '/x' });
  });
});

describe('specHash', () => {
  it('is the sha256 of canonical JSON: key order does not matter, values do', () => {
    const a = specHash({ b: 1, a: { y: [1, 2], x: 'z' } });
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(specHash({ a: { x: 'z', y: [1, 2] }, b: 1 })).toBe(a);
    expect(specHash({ a: { x: 'z', y: [2, 1] }, b: 1 })).not.toBe(a);
    expect(specHash({ a: 1, u: undefined })).toBe(specHash({ a: 1 }));
  });
});

describe('Fargate sizes and suggestions', () => {
  it('matches the AWS table', () => {
    expect(FARGATE_MEMORY[512]).toEqual([1024, 2048, 3072, 4096]);
    expect(FARGATE_MEMORY[8192]?.at(-1)).toBe(61440);
    expect(FARGATE_MEMORY[16384]?.[1]).toBe(40960);
    expect(isValidFargatePair(4096, 30720)).toBe(true);
    expect(isValidFargatePair(256, 4096)).toBe(false);
  });

  it('suggests near misses only', () => {
    expect(editDistance('memroy', 'memory')).toBe(1);
    expect(didYouMean('replcas', ['replicas', 'port'])).toBe('replicas');
    expect(didYouMean('Image', ['image'])).toBe('image');
    expect(didYouMean('sidecar', ['image', 'port'])).toBeUndefined();
  });
});

describe('loadManifestPaths', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-load-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('walks folders in sorted order, skipping node_modules, dot-folders and non-YAML files', async () => {
    for (const d of ['b', 'a', 'node_modules/x', '.hidden']) mkdirSync(join(dir, 'tree', d), { recursive: true });
    const write = (p: string, name: string): void => writeFileSync(join(dir, 'tree', p), WEATHER_YAML.replace('name: weather', `name: ${name}`).replace('cpu: 300', 'cpu: 256'));
    write('b/two.yml', 'two');
    write('a/one.yaml', 'one');
    write('a/zero.yaml', 'zero');
    write('node_modules/x/skip.yaml', 'skip-a');
    write('.hidden/skip.yaml', 'skip-b');
    writeFileSync(join(dir, 'tree', 'a', 'notes.txt'), 'not yaml');
    symlinkSync(join(dir, 'tree', 'a'), join(dir, 'tree', 'b', 'loop'));
    const result = await loadManifestPaths(['tree'], dir);
    expect(result.files).toEqual(['tree/a/one.yaml', 'tree/a/zero.yaml', 'tree/b/two.yml']);
    expect(result.documents.map((d) => (d.object as MCPServer).metadata.name)).toEqual(['one', 'zero', 'two']);
    expect(validateDocuments(result.documents)).toEqual([]);
  });

  it('reads "-" from stdin and names it "-"', async () => {
    const result = await loadManifestPaths(['-'], dir, async () => WEATHER_YAML);
    expect(result.files).toEqual(['-']);
    expect(validateDocuments(result.documents)[0]?.position).toEqual({ file: '-', line: 15, column: 10 });
  });

  it('lists every missing path before reading anything', async () => {
    const err = await loadManifestPaths(['nope.yaml', 'tree', 'gone/'], dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ManifestPathError);
    expect((err as ManifestPathError).paths).toEqual(['nope.yaml', 'gone/']);
  });
});

describe('the examples', () => {
  it('are all valid together, and cover both kinds, a remote server and approval-gated tools', async () => {
    const result = await loadManifestPaths(['examples'], repo);
    expect(result.problems).toEqual([]);
    expect(validateDocuments(result.documents)).toEqual([]);
    const names = result.documents.map((d) => (d.object as { metadata: { name: string } }).metadata.name);
    expect(names).toEqual(expect.arrayContaining(['salesforce-opportunity', 'knowledge-base', 'quote', 'everything', 'github', 'sales-copilot', 'deal-desk']));
  });
});
