/**
 * Bits every fake service shares: the account and region, deterministic ids,
 * and the read-visibility rule for eventual consistency.
 */
import { seededRandom } from './faults.ts';

/** The fake account id in every ARN. */
export const ACCOUNT_ID = '123456789012';
/** The only region the fake serves. */
export const REGION = 'us-east-1';

/**
 * Deterministic id source: the same sequence of creates yields the same ARNs in
 * every run, so failures are reproducible and snapshots comparable.
 */
export class IdGenerator {
  readonly #random = seededRandom(0x5eed);

  /** `length` lower-case hex characters. */
  hex(length: number): string {
    let out = '';
    while (out.length < length) out += Math.floor(this.#random() * 0x100000000).toString(16).padStart(8, '0');
    return out.slice(0, length);
  }

  /** `length` decimal digits, not starting with 0. */
  digits(length: number): string {
    let out = String(1 + Math.floor(this.#random() * 9));
    while (out.length < length) out += String(Math.floor(this.#random() * 10));
    return out;
  }

  /** `length` upper-case alphanumerics (Route 53 style ids). */
  upper(length: number): string {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
    let out = '';
    while (out.length < length) out += alphabet[Math.floor(this.#random() * alphabet.length)];
    return out;
  }
}

/** What each service model needs from the fake as a whole. */
export interface World {
  /** Simulated time, epoch ms. */
  now(): number;
  /** Current read-after-write delay (ms) for newly created resources. */
  readAfterWriteDelayMs(): number;
  ids: IdGenerator;
  /** Catches the simulated world up with the clock; fake-only APIs call it so they act on the present. */
  sync(): void;
}

/** Structured deep copy for handing internal state out without aliasing. */
export function clone<T>(value: T): T {
  return structuredClone(value);
}

/** JSON with object keys sorted, so "same parameters" comparisons ignore key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  });
}

/** Paging over a sorted list with an opaque token that names the next item's key. */
export function page<T>(items: readonly T[], keyOf: (item: T) => string, token: string | undefined, size: number): { items: T[]; next?: string } {
  let start = 0;
  if (token !== undefined) {
    start = items.findIndex((item) => keyOf(item) === decodeToken(token));
    if (start < 0) start = items.length;
  }
  const slice = items.slice(start, start + size);
  const after = items[start + size];
  return after === undefined ? { items: slice } : { items: slice, next: encodeToken(keyOf(after)) };
}

function encodeToken(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

function decodeToken(token: string): string {
  return Buffer.from(token, 'base64url').toString('utf8');
}
