/**
 * The keys that seal session ids (session-seal.ts), shared by every replica of
 * a gateway so that any of them can open an id another one issued. A ring, for
 * rotation: the first key seals, every key opens. Each key is 32 random bytes as
 * the operator holds it; what is used is derived from it with HKDF-SHA256 — the
 * AES-256-GCM key, and a 4-byte key id written in the clear at the front of each
 * id so the right key is tried first. Keys are never logged or printed; nothing
 * here says where they come from (the CLI reads them from a file).
 */
import { createSecretKey, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';

/** Bytes of a session key as the operator holds it. */
export const SESSION_KEY_BYTES = 32;

/** One key of the ring, as the seal uses it. */
export interface SessionKey {
  /** 4 bytes naming the key in a sealed id (derived, so it reveals nothing of the key). */
  readonly id: Buffer;
  /** The AES-256-GCM key. */
  readonly aes: KeyObject;
}

const KEY_ID_INFO = 'berth gateway session id: key id';
const AES_INFO = 'berth gateway session id v1: aes-256-gcm';

/**
 * The ring of session keys.
 * @example
 * const keys = new SessionKeys([newKey, oldKey]); // seals with newKey, opens ids of either
 * const lone = SessionKeys.random();              // one process only: its ids die with it
 */
export class SessionKeys {
  /** The key new ids are sealed with. */
  readonly sealing: SessionKey;
  /** Every key, sealing key first. */
  readonly all: readonly SessionKey[];

  /**
   * `keys`: raw keys of {@link SESSION_KEY_BYTES} bytes each, the sealing key first.
   * @throws Error when there is none, or one has another length (saying which, never its bytes)
   */
  constructor(keys: readonly Uint8Array[]) {
    if (keys.length === 0) throw new Error('a gateway needs at least one session key');
    this.all = keys.map((raw, i) => {
      if (raw.length !== SESSION_KEY_BYTES) throw new Error(`session key ${i + 1} has ${raw.length} bytes; a session key is ${SESSION_KEY_BYTES} random bytes`);
      return {
        id: Buffer.from(hkdfSync('sha256', raw, Buffer.alloc(0), KEY_ID_INFO, 4)),
        aes: createSecretKey(Buffer.from(hkdfSync('sha256', raw, Buffer.alloc(0), AES_INFO, 32))),
      };
    });
    this.sealing = this.all[0]!;
  }

  /** A ring of one fresh random key: ids it seals open only in this process, for as long as it runs. */
  static random(): SessionKeys {
    return new SessionKeys([randomBytes(SESSION_KEY_BYTES)]);
  }

  /** The keys whose id is `id` (4 bytes), in ring order: usually one, none for an id sealed elsewhere. */
  withId(id: Uint8Array): SessionKey[] {
    return this.all.filter((k) => k.id.equals(id));
  }
}
