/**
 * Payloads in call records: the arguments hash an approval is bound to, redaction of
 * secret-looking keys and values, and what a manifest's auditPayloads lets through.
 */
import { describe, expect, it } from 'vitest';
import { argumentsHash, payloadsToRecord, redactPayload, REDACTED } from './policy-payload.ts';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZ2VudCJ9.c2lnbmF0dXJlLXZhbHVl';

describe('argumentsHash', () => {
  it('is the SHA-256 hex of the canonical JSON, stable under key order at every level', () => {
    const a = argumentsHash({ quoteId: 'Q-1', line: { sku: 'P-9', percent: 10 }, tags: ['a', 'b'] });
    const b = argumentsHash({ tags: ['a', 'b'], line: { percent: 10, sku: 'P-9' }, quoteId: 'Q-1' });
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(b).toBe(a);
  });

  it.each([
    ['a value', { percent: 10 }, { percent: 11 }],
    ['a type', { percent: 10 }, { percent: '10' }],
    ['array order', { tags: ['a', 'b'] }, { tags: ['b', 'a'] }],
    ['an extra member', { a: 1 }, { a: 1, b: null }],
  ])('changes with %s', (_, x, y) => {
    expect(argumentsHash(x)).not.toBe(argumentsHash(y));
  });

  it('hashes absent arguments as {} and ignores undefined members', () => {
    expect(argumentsHash(undefined)).toBe(argumentsHash({}));
    expect(argumentsHash({ a: 1, b: undefined })).toBe(argumentsHash({ a: 1 }));
  });
});

describe('redactPayload', () => {
  it.each([
    ['password', { user: 'ann', password: 'hunter2' }, { user: 'ann', password: REDACTED }],
    ['camelCase keys', { apiKey: 'x', clientSecret: 'y', accessToken: 'z', privateKey: 'k' }, { apiKey: REDACTED, clientSecret: REDACTED, accessToken: REDACTED, privateKey: REDACTED }],
    ['env-style keys', { GITHUB_TOKEN: 'x', DB_PASSWORD: 'y' }, { GITHUB_TOKEN: REDACTED, DB_PASSWORD: REDACTED }],
    ['request credentials', { Authorization: 'Bearer x', cookie: 'sid=1' }, { Authorization: REDACTED, cookie: REDACTED }],
    ['whatever a secret key holds', { token: { nested: 1 } }, { token: REDACTED }],
    ['a credential under an innocent key', { note: 'AKIAIOSFODNN7EXAMPLE' }, { note: '[redacted: looks like an AWS access key]' }],
    ['a credential inside a longer string', { text: `use ${JWT} now` }, { text: '[redacted: looks like a JSON Web Token]' }],
    ['deep in arrays and objects', { rows: [{ ok: 1, secret: 's' }, [JWT]] }, { rows: [{ ok: 1, secret: REDACTED }, ['[redacted: looks like a JSON Web Token]']] }],
    ['ordinary data unchanged', { maxTokens: 100, key_count: 2, stage: 'Closed Won', n: null, ok: true }, { maxTokens: 100, key_count: REDACTED, stage: 'Closed Won', n: null, ok: true }],
    ['a bare string', JWT, '[redacted: looks like a JSON Web Token]'],
    ['a bare number', 42, 42],
  ])('%s', (_, input, expected) => {
    expect(redactPayload(input)).toEqual(expected);
  });

  it('does not change its input', () => {
    const input = { password: 'p', rows: [{ secret: 's' }] };
    const copy = structuredClone(input);
    redactPayload(input);
    expect(input).toEqual(copy);
  });

  it('takes more key names, case-insensitively', () => {
    expect(redactPayload({ SSN: '123', name: 'ann' }, { keys: ['ssn'] })).toEqual({ SSN: REDACTED, name: 'ann' });
  });

  it('cuts deep nesting and long strings when asked', () => {
    expect(redactPayload({ a: { b: { c: 1 } } }, { maxDepth: 2 })).toEqual({ a: { b: '[redacted: nested deeper than 2 levels]' } });
    expect(redactPayload({ s: 'abcdefgh' }, { maxStringLength: 3 })).toEqual({ s: 'abc…[5 more characters]' });
  });
});

describe('payloadsToRecord', () => {
  const call = { arguments: { q: 'acme', password: 'p' }, result: { rows: [JWT] } };
  it.each([
    ['no access block', undefined, {}],
    ['none', 'none', {}],
    ['arguments', 'arguments', { arguments: { q: 'acme', password: REDACTED } }],
    ['arguments-and-results', 'arguments-and-results', { arguments: { q: 'acme', password: REDACTED }, result: { rows: ['[redacted: looks like a JSON Web Token]'] } }],
  ] as const)('%s', (_, auditPayloads, expected) => {
    const server = { spec: auditPayloads === undefined ? {} : { access: { auditPayloads } } };
    expect(payloadsToRecord(server, call)).toEqual(expected);
  });

  it('records only what the call had', () => {
    expect(payloadsToRecord({ spec: { access: { auditPayloads: 'arguments-and-results' } } }, { arguments: {} })).toEqual({ arguments: {} });
  });
});
