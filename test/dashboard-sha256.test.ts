/**
 * The browser's stand-in for node:crypto's sha256 (src/dashboard/shims) gives the
 * same spec hashes as Node, so the dashboard's effective stages match the CLI's.
 */
import { createHash as nodeCreateHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createHash } from '../src/dashboard/shims/node-crypto.ts';

describe('dashboard sha256 shim', () => {
  it('equals node:crypto for empty, block-edge, multi-block and non-ASCII input', () => {
    for (const text of ['', 'abc', 'a'.repeat(55), 'a'.repeat(56), 'a'.repeat(64), 'x'.repeat(1000), '{"spec":"ü € 😀"}']) {
      expect(createHash('sha256').update(text).digest('hex'), `length ${text.length}`).toBe(nodeCreateHash('sha256').update(text).digest('hex'));
    }
  });

  it('refuses other algorithms, naming them', () => {
    expect(() => createHash('md5')).toThrow(/sha256 only, not md5/);
  });
});
