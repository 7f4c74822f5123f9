import { describe, expect, it } from 'vitest';
import { decodeContinue, encodeContinue, matchesLabels, pageSize, parseLabelSelector } from './label-selector.ts';
import { InvalidRequestError } from '../client/errors.ts';

describe('parseLabelSelector', () => {
  it('parses every supported requirement form', () => {
    expect(parseLabelSelector('a=1, b==2,c!=3,d,!e,f in (x, y),g notin (z),berth.dev/source=repo')).toEqual([
      { op: 'eq', key: 'a', value: '1' },
      { op: 'eq', key: 'b', value: '2' },
      { op: 'neq', key: 'c', value: '3' },
      { op: 'exists', key: 'd' },
      { op: 'absent', key: 'e' },
      { op: 'in', key: 'f', values: ['x', 'y'] },
      { op: 'notin', key: 'g', values: ['z'] },
      { op: 'eq', key: 'berth.dev/source', value: 'repo' },
    ]);
    expect(parseLabelSelector(undefined)).toEqual([]);
    expect(parseLabelSelector('  ')).toEqual([]);
    expect(parseLabelSelector('a=')).toEqual([{ op: 'eq', key: 'a', value: '' }]);
  });

  it('rejects malformed selectors with a message naming the bad part', () => {
    for (const bad of ['a=1,', ',a', 'a b', 'a="x"', 'a=1=2', 'k in (a', '$x=1', 'a/b/c=1']) {
      expect(() => parseLabelSelector(bad), bad).toThrow(InvalidRequestError);
    }
    expect(() => parseLabelSelector('a=x y')).toThrow(/"x y" is not a valid label value/);
  });
});

describe('matchesLabels', () => {
  const m = (sel: string, labels?: Record<string, string>): boolean => matchesLabels(parseLabelSelector(sel), labels);
  it('follows Kubernetes semantics, including != and notin matching absent keys', () => {
    expect(m('a=1', { a: '1' })).toBe(true);
    expect(m('a=1', { a: '2' })).toBe(false);
    expect(m('a!=1', {})).toBe(true);
    expect(m('a!=1', { a: '1' })).toBe(false);
    expect(m('a', { a: '' })).toBe(true);
    expect(m('!a', undefined)).toBe(true);
    expect(m('a in (1,2)', { a: '2' })).toBe(true);
    expect(m('a in (1,2)', {})).toBe(false);
    expect(m('a notin (1,2)', {})).toBe(true);
    expect(m('a notin (1,2)', { a: '1' })).toBe(false);
    expect(m('a=1,b', { a: '1' })).toBe(false);
    expect(m('toString', {})).toBe(false); // no prototype leaks
  });
});

describe('continue tokens', () => {
  it('round-trip opaquely and reject anything else', () => {
    const token = encodeContinue({ lastName: 'weather', resourceVersion: 42 });
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeContinue(token)).toEqual({ lastName: 'weather', resourceVersion: 42 });
    for (const bad of ['', 'garbage', Buffer.from('{"n":1,"rv":2}').toString('base64url'), Buffer.from('{"n":"a","rv":-1}').toString('base64url')]) {
      expect(() => decodeContinue(bad), bad).toThrow(InvalidRequestError);
    }
  });
});

describe('pageSize', () => {
  it('defaults to 500, caps at 500, and rejects non-positive or fractional limits', () => {
    expect(pageSize(undefined)).toBe(500);
    expect(pageSize(10)).toBe(10);
    expect(pageSize(10_000)).toBe(500);
    expect(() => pageSize(0)).toThrow(InvalidRequestError);
    expect(() => pageSize(1.5)).toThrow(InvalidRequestError);
  });
});

describe('selector limits', () => {
  const keys = (n: number): string => Array.from({ length: n }, (_, i) => `k${i}=v`).join(',');

  it('accepts up to 32 requirements and 64 values in a set', () => {
    expect(parseLabelSelector(keys(32))).toHaveLength(32);
    expect(parseLabelSelector(`env in (${Array.from({ length: 64 }, (_, i) => `v${i}`).join(',')})`)[0]).toMatchObject({ op: 'in' });
  });

  it('refuses 33 requirements, a 3,000-key selector, more than 4 KiB and 65 values, without echoing the whole selector', () => {
    expect(() => parseLabelSelector(keys(33))).toThrow(/33 requirements, more than the 32 allowed/);
    for (const bad of [keys(3000), `a=${'x'.repeat(60)},`.repeat(70), `env in (${Array.from({ length: 65 }, (_, i) => `v${i}`).join(',')})`]) {
      let message = '';
      try {
        parseLabelSelector(bad);
      } catch (err) {
        expect(err).toBeInstanceOf(InvalidRequestError);
        message = (err as Error).message;
      }
      expect(message, bad.slice(0, 40)).toMatch(/more than|longer than/);
      expect(message.length).toBeLessThan(400);
    }
  });
});
