import { describe, expect, it } from 'vitest';
import { compileJsonPath } from './jsonpath.ts';

const server = { metadata: { name: 'quote', labels: { 'berth.dev/source': 'servers' } }, spec: { tools: [{ name: 'getQuote' }, { name: 'createQuote' }] }, status: { phase: 'Ready' } };
const list = { kind: 'List', items: [server, { metadata: { name: 'kb' }, spec: {} }] };

describe('compileJsonPath: the -o jsonpath subset', () => {
  it('reads fields, indexes and [*], joining several values with a space', () => {
    expect(compileJsonPath('{.metadata.name}')(server)).toBe('quote');
    expect(compileJsonPath('{.status.phase}')(server)).toBe('Ready');
    expect(compileJsonPath('{.items[*].metadata.name}')(list)).toBe('quote kb');
    expect(compileJsonPath('{.spec.tools[1].name}')(server)).toBe('createQuote');
    expect(compileJsonPath('{.spec.tools[*]}')(server)).toBe('{"name":"getQuote"} {"name":"createQuote"}');
  });

  it('keeps the text around expressions; a path that leads nowhere prints nothing', () => {
    expect(compileJsonPath('name={.metadata.name} phase={.status.phase}\n')(server)).toBe('name=quote phase=Ready\n');
    expect(compileJsonPath('{.status.endpoint}')(server)).toBe('');
    expect(compileJsonPath('{.items[5].metadata.name}')(list)).toBe('');
  });

  it('refuses what it does not support, saying what it does', () => {
    expect(() => compileJsonPath('{.items[?(@.x)]}')).toThrow(/supported: \.field, \[N\], \[\*\]/);
    expect(() => compileJsonPath('{..name}')).toThrow(/cannot read/);
    expect(() => compileJsonPath('{.metadata.name')).toThrow(/unclosed/);
    expect(() => compileJsonPath('.metadata.name')).toThrow(/needs an expression in braces/);
  });
});
