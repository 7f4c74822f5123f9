/**
 * The one piece of `node:crypto` the manifest's pure rules use — SHA-256 hex of a
 * string (`spec-hash.ts`) — for the browser, where the bundle maps `node:crypto`
 * here (esbuild `alias`, and `paths` in this room's tsconfig). Synchronous, because
 * the rules are (WebCrypto's digest is async). Only what spec hashes need:
 * `createHash('sha256').update(text).digest('hex')`. The hashing itself is
 * `@noble/hashes` (audited, dependency-free, a few KB), not ours.
 */

import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

/** A hash in progress: `update` text, then `digest('hex')`. */
export interface Hash {
  update(text: string): Hash;
  digest(encoding: 'hex'): string;
}

/**
 * `node:crypto`'s createHash, for sha256 only.
 * @throws Error for any other algorithm (nothing in the manifest asks for one)
 */
export function createHash(algorithm: string): Hash {
  if (algorithm !== 'sha256') throw new Error(`the browser shim of node:crypto has sha256 only, not ${algorithm}`);
  const parts: string[] = [];
  const hash: Hash = {
    update(text) {
      parts.push(text);
      return hash;
    },
    digest: () => bytesToHex(sha256(new TextEncoder().encode(parts.join('')))),
  };
  return hash;
}
