import { describe, expect, it } from 'vitest';
import { VerifiedTokenCache } from './token-cache.ts';

describe('VerifiedTokenCache', () => {
  it('answers until the deadline, then forgets', () => {
    const cache = new VerifiedTokenCache<string>(10);
    cache.set('t', 'alice', 1_000, 0);
    expect(cache.get('t', 999)).toBe('alice');
    expect(cache.get('t', 1_000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('stores nothing whose deadline has passed', () => {
    const cache = new VerifiedTokenCache<string>(10);
    cache.set('t', 'alice', 1_000, 1_000);
    expect(cache.size).toBe(0);
  });

  it('holds at most its bound, evicting the least recently used', () => {
    const cache = new VerifiedTokenCache<string>(2);
    cache.set('a', 'A', 10, 0);
    cache.set('b', 'B', 10, 0);
    expect(cache.get('a', 1)).toBe('A'); // a is now the most recently used
    cache.set('c', 'C', 10, 1);
    expect(cache.size).toBe(2);
    expect(cache.get('b', 1)).toBeUndefined();
    expect(cache.get('a', 1)).toBe('A');
    expect(cache.get('c', 1)).toBe('C');
  });

  it('evicts expired entries before used ones, and keeps a full cache at its bound', () => {
    const cache = new VerifiedTokenCache<number>(100);
    for (let i = 0; i < 100; i++) cache.set(`t${i}`, i, i < 50 ? 5 : 1_000, 0);
    for (let i = 50; i < 100; i++) cache.get(`t${i}`, 1);
    for (let i = 100; i < 150; i++) cache.set(`t${i}`, i, 1_000, 10);
    expect(cache.size).toBe(100);
    for (let i = 50; i < 150; i++) expect(cache.get(`t${i}`, 10)).toBe(i);
  });

  it('refuses a bound that is not a positive integer', () => {
    expect(() => new VerifiedTokenCache(0)).toThrow(RangeError);
  });
});
