/**
 * The sealed session id: what the gateway hands a client as `Mcp-Session-Id` in
 * place of the upstream's own, so that any gateway replica holding the keys
 * (session-keys.ts) can serve any request of the session without a session table.
 * It says, authenticated and encrypted, which upstream session it stands for,
 * which endpoint of the server holds it, and who opened it.
 *
 * Format, version 1: base64url (no padding) of
 *
 *     version (1 byte: 1) ‖ key id (4) ‖ nonce (12, random) ‖ AES-256-GCM ciphertext ‖ tag (16)
 *
 * with the additional authenticated data `version ‖ key id ‖ UTF-8 server name`, so
 * an id opens only for the server (route) it was issued on, and the plaintext
 *
 *     issued-at (uint32, Unix seconds) ‖ flags (1: bit 0 = has subject) ‖ [subject hash (16)]
 *     ‖ endpoint hash (8) ‖ upstream session id (the rest, latin1 as it came in the header)
 *
 * The hashes are SHA-256 prefixes: the id stays short (about 130 characters for a
 * UUID upstream id, inside the audit's 256) however long subjects and endpoint URLs
 * are, and the gateway only ever routes to an endpoint that is still among the
 * server's targets, found by its hash. Random 96-bit nonces are safe for about 2³²
 * ids per key (NIST SP 800-38D, §8.3); rotate keys well before that.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { SessionKeys } from './session-keys.ts';

/** What a sealed id holds. */
export interface SessionSeal {
  /** The upstream's own `Mcp-Session-Id`. */
  upstreamSessionId: string;
  /** {@link endpointHash} of the target URL that holds the session. */
  endpoint: Buffer;
  /** {@link subjectHash} of the caller that opened it; undefined on an ungoverned gateway. */
  subject: Buffer | undefined;
  /** When the gateway issued it, in Unix seconds. */
  issuedAt: number;
}

const VERSION = 1;
const HEADER_BYTES = 1 + 4 + 12;
const TAG_BYTES = 16;
const SUBJECT_BYTES = 16;
const ENDPOINT_BYTES = 8;
/** Longer ids are not looked at: none the gateway issues comes near (an upstream id of 3 KB would). */
const MAX_ID_CHARS = 4_096;

/** The 8-byte name of an endpoint (target URL) inside a sealed id. */
export function endpointHash(url: string): Buffer {
  return createHash('sha256').update(url).digest().subarray(0, ENDPOINT_BYTES);
}

/** The 16-byte name of a caller (its identity's subject) inside a sealed id. */
export function subjectHash(subject: string): Buffer {
  return createHash('sha256').update(subject).digest().subarray(0, SUBJECT_BYTES);
}

/**
 * Seals `seal` into an id for `server` with the ring's sealing key.
 * @example const id = sealSessionId(keys, 'crm', { upstreamSessionId, endpoint: endpointHash(target.url), subject: subjectHash(who.subject), issuedAt: nowSeconds });
 */
export function sealSessionId(keys: SessionKeys, server: string, seal: SessionSeal): string {
  const key = keys.sealing;
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header[0] = VERSION;
  key.id.copy(header, 1);
  randomBytes(12).copy(header, 5);
  const upstream = Buffer.from(seal.upstreamSessionId, 'latin1');
  const plain = Buffer.allocUnsafe(5 + (seal.subject ? SUBJECT_BYTES : 0) + ENDPOINT_BYTES + upstream.length);
  plain.writeUInt32BE(seal.issuedAt >>> 0, 0);
  plain[4] = seal.subject ? 1 : 0;
  let at = 5;
  if (seal.subject) at += seal.subject.copy(plain, at, 0, SUBJECT_BYTES);
  at += seal.endpoint.copy(plain, at, 0, ENDPOINT_BYTES);
  upstream.copy(plain, at);
  const cipher = createCipheriv('aes-256-gcm', key.aes, header.subarray(5), { authTagLength: TAG_BYTES });
  cipher.setAAD(aad(header, server));
  const sealed = Buffer.concat([header, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
  return sealed.toString('base64url');
}

/**
 * Opens `id` for `server`: its contents, or undefined when it is not an id this
 * ring sealed for this server — garbage, tampered with, sealed under a key the
 * ring no longer holds, or issued for another server. Only the canonical
 * base64url form opens, so one session has one id.
 */
export function openSessionId(keys: SessionKeys, server: string, id: string): SessionSeal | undefined {
  if (id.length > MAX_ID_CHARS || id.length < Math.ceil(((HEADER_BYTES + 5 + ENDPOINT_BYTES + TAG_BYTES) * 4) / 3)) return undefined;
  const raw = Buffer.from(id, 'base64url');
  if (raw[0] !== VERSION || raw.toString('base64url') !== id) return undefined;
  const header = raw.subarray(0, HEADER_BYTES);
  const body = raw.subarray(HEADER_BYTES, raw.length - TAG_BYTES);
  for (const key of keys.withId(header.subarray(1, 5))) {
    let plain: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.aes, header.subarray(5), { authTagLength: TAG_BYTES });
      decipher.setAAD(aad(header, server));
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      plain = Buffer.concat([decipher.update(body), decipher.final()]);
    } catch {
      continue; // not authentic under this key
    }
    return parsePlaintext(plain);
  }
  return undefined;
}

/** The additional authenticated data: the id's header and the server it is for. */
function aad(header: Buffer, server: string): Buffer {
  return Buffer.concat([header.subarray(0, 5), Buffer.from(server, 'utf8')]);
}

/** The plaintext's fields; undefined when it is too short for them (an authentic id never is). */
function parsePlaintext(plain: Buffer): SessionSeal | undefined {
  const hasSubject = (plain[4]! & 1) === 1;
  const upstreamAt = 5 + (hasSubject ? SUBJECT_BYTES : 0) + ENDPOINT_BYTES;
  if (plain.length <= upstreamAt) return undefined;
  return {
    issuedAt: plain.readUInt32BE(0),
    subject: hasSubject ? Buffer.from(plain.subarray(5, 5 + SUBJECT_BYTES)) : undefined,
    endpoint: Buffer.from(plain.subarray(upstreamAt - ENDPOINT_BYTES, upstreamAt)),
    upstreamSessionId: plain.subarray(upstreamAt).toString('latin1'),
  };
}
