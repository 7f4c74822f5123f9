import { describe, expect, it } from 'vitest';
import { changeSummary, MAX_CHANGED_PATHS, MAX_VALUE_CHARS } from './change-summary.ts';
import type { Resource } from './resource.ts';

function server(spec: Record<string, unknown>, metadata: Record<string, unknown> = {}): Resource {
  return { apiVersion: 'berth.dev/v1alpha1', kind: 'MCPServer', metadata: { name: 'shop', generation: 1, resourceVersion: '7', ...metadata }, spec } as Resource;
}

describe('changeSummary', () => {
  it('lists changed paths, old → new, sorted; unchanged fields, generation and status are not listed', () => {
    const before = server({ runtime: { image: 'a:1', port: 8080 }, risk: 'low' }, { labels: { team: 'red' } });
    const after = { ...server({ runtime: { image: 'a:2', port: 8080 }, risk: 'low', version: '2' }, { labels: { team: 'red', tier: 'gold' }, generation: 2, resourceVersion: '9' }), status: { phase: 'x' } } as Resource;
    expect(changeSummary(before, after)).toEqual([
      'metadata.labels.tier: ∅ → "gold"',
      'spec.runtime.image: "a:1" → "a:2"',
      'spec.version: ∅ → "2"',
    ]);
    expect(changeSummary(before, before)).toEqual([]);
  });

  it('never shows env values, headers, secret references, secret-looking names, flagged command words or secret-looking values', () => {
    const before = server({
      runtime: { env: { CURRENCY: 'EUR' }, secrets: [{ name: 'DB', valueFrom: 'arn:aws:secretsmanager:eu-west-1:1:secret:db' }], args: ['--port', '1'], local: { env: { X: 'plain-old' } } },
      remote: { headers: { Authorization: { valueFrom: 'arn:old' } } },
    }, { annotations: { 'acme.dev/api-token': 'tok-old' } });
    const after = server({
      runtime: { env: { CURRENCY: 'USD' }, secrets: [{ name: 'DB', valueFrom: 'arn:aws:secretsmanager:eu-west-1:1:secret:db2' }], args: ['--password', 'hunter2hunter2'], local: { env: { X: 'plain-new' } } },
      remote: { headers: { Authorization: { valueFrom: 'arn:new' } } },
      description: 'AKIAIOSFODNN7EXAMPLE',
    }, { annotations: { 'acme.dev/api-token': 'tok-new' } });
    const lines = changeSummary(before, after);
    expect(lines).toEqual([
      'metadata.annotations."acme.dev/api-token": (changed)',
      'spec.description: (changed)',
      'spec.remote.headers.Authorization.valueFrom: (changed)',
      'spec.runtime.args: (changed)',
      'spec.runtime.env.CURRENCY: (changed)',
      'spec.runtime.local.env.X: (changed)',
      'spec.runtime.secrets[0].valueFrom: (changed)',
    ]);
    const text = lines.join('\n');
    for (const secret of ['EUR', 'USD', 'hunter2', 'arn:', 'tok-', 'plain-', 'AKIA']) expect(text).not.toContain(secret);
  });

  it('shows harmless command words, and URLs without their userinfo', () => {
    const lines = changeSummary(server({ runtime: { args: ['--port', '1'] }, remote: { url: 'https://a.example/mcp' } }), server({ runtime: { args: ['--port', '2'] }, remote: { url: 'https://bob:pw@b.example/mcp' } }));
    expect(lines).toEqual(['spec.remote.url: (changed)', 'spec.runtime.args: ["--port","1"] → ["--port","2"]']);
    const plain = changeSummary(server({ remote: { url: 'https://a.example/mcp' } }), server({ remote: { url: 'https://b.example/mcp' } }));
    expect(plain).toEqual(['spec.remote.url: "https://a.example/mcp" → "https://b.example/mcp"']);
  });

  it('descends into arrays of objects by index', () => {
    const lines = changeSummary(server({ tools: [{ name: 'a', scopes: ['x.read'] }] }), server({ tools: [{ name: 'a', scopes: ['x.read', 'x.write'] }, { name: 'b' }] }));
    expect(lines).toEqual(['spec.tools[0].scopes: ["x.read"] → ["x.read","x.write"]', 'spec.tools[1].name: ∅ → "b"']);
  });

  it('a create lists every field from ∅, a removal every field to ∅, a deletion mark the timestamp', () => {
    const obj = server({ risk: 'low' }, { labels: { team: 'red' } });
    expect(changeSummary(undefined, obj)).toEqual(['metadata.labels.team: ∅ → "red"', 'spec.risk: ∅ → "low"']);
    expect(changeSummary(obj, undefined)).toEqual(['metadata.labels.team: "red" → ∅', 'spec.risk: "low" → ∅']);
    const marked = server({ risk: 'low' }, { labels: { team: 'red' }, deletionTimestamp: '2026-01-01T00:00:00Z' });
    expect(changeSummary(obj, marked)).toEqual(['metadata.deletionTimestamp: ∅ → "2026-01-01T00:00:00Z"']);
  });

  it(`caps at ${MAX_CHANGED_PATHS} paths and ${MAX_VALUE_CHARS} characters a value`, () => {
    const labels = Object.fromEntries(Array.from({ length: 25 }, (_, i) => [`l${String(i).padStart(2, '0')}`, 'v']));
    const lines = changeSummary(server({}), server({}, { labels }));
    expect(lines).toHaveLength(MAX_CHANGED_PATHS + 1);
    expect(lines[MAX_CHANGED_PATHS]).toBe('… and 5 more');
    const long = 'word '.repeat(100);
    const [line] = changeSummary(server({ description: 'short' }), server({ description: long }));
    const shown = line!.split(' → ')[1]!;
    expect(shown).toHaveLength(MAX_VALUE_CHARS);
    expect(shown.endsWith('…')).toBe(true);
  });
});
