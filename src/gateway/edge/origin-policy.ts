/**
 * Which browser origins may call the gateway. Browsers send `Origin` on
 * cross-origin requests (and on same-origin POSTs); other clients send none,
 * and a request without one is not a browser's, so it passes. A present
 * `Origin` passes when it is:
 * - the gateway's own: its authority is the request's `Host` (which the host
 *   check has already allowed), or it is a public URL's origin;
 * - listed with `--cors-origin` (`*` lists every origin; `null`, the origin of
 *   sandboxed frames and `file:` pages, passes only when listed itself).
 * Anything else is refused before anything is read or forwarded, so a page the
 * operator did not list cannot make a browser call an MCP server through the
 * gateway, with or without credentials.
 */
import { authorityKey, defaultPortOf, parseAuthority, publicUrl } from './authority.ts';

/** Options of {@link OriginPolicy}. */
export interface OriginPolicyOptions {
  /** The gateway's public URLs: their origins are the gateway's own. */
  publicUrls?: readonly string[];
  /** `--cors-origin` entries: `scheme://host[:port]`, `*`, or `null`. See {@link parseOriginEntry}. */
  corsOrigins?: readonly string[];
}

/** An `--cors-origin` entry, parsed: every origin, the `null` origin, or one origin (normalised). */
export type OriginEntry = { kind: 'any' } | { kind: 'null' } | { kind: 'origin'; origin: string };

/**
 * Parses an `--cors-origin` entry (`*`, `null`, or an http(s) origin without a
 * path), or returns why it is not one.
 * @example parseOriginEntry('https://App.Example.com:443') // { kind: 'origin', origin: 'https://app.example.com' }
 * @example parseOriginEntry('https://app.example.com/x') // "\"https://app.example.com/x\" must be an origin …"
 */
export function parseOriginEntry(text: string): OriginEntry | string {
  if (text === '*') return { kind: 'any' };
  if (text === 'null') return { kind: 'null' };
  const origin = normaliseOrigin(text)?.origin;
  if (origin === undefined) return `"${text}" must be an origin — http(s)://host[:port], without a path — or * (every origin), or null (sandboxed and file: pages)`;
  return { kind: 'origin', origin };
}

/** The allowed origins; see the module comment. */
export class OriginPolicy {
  /** Normalised origins that pass: the public URLs' and the listed ones. */
  readonly #allowed = new Set<string>();
  readonly #any: boolean;
  readonly #nullAllowed: boolean;

  /** @throws Error naming the entry when a `corsOrigins` entry is malformed. */
  constructor(opts: OriginPolicyOptions) {
    for (const url of opts.publicUrls ?? []) this.#allowed.add(publicUrl(url).origin);
    let any = false;
    let nullAllowed = false;
    for (const text of opts.corsOrigins ?? []) {
      const entry = parseOriginEntry(text);
      if (typeof entry === 'string') throw new Error(`CORS origin ${entry}`);
      if (entry.kind === 'any') any = true;
      else if (entry.kind === 'null') nullAllowed = true;
      else this.#allowed.add(entry.origin);
    }
    this.#any = any;
    this.#nullAllowed = nullAllowed;
  }

  /**
   * Why a request from `origin` with this `Host` header may not be served, or
   * undefined when it may.
   * @example policy.refusal('https://evil.example', 'gw.example.com') // "Origin \"https://evil.example\" may not call this gateway: …"
   */
  refusal(origin: string, hostHeader: string | undefined): string | undefined {
    if (origin === 'null') {
      return this.#nullAllowed ? undefined : 'Origin "null" (a sandboxed frame or a file: page) may not call this gateway; the operator allows it with --cors-origin null';
    }
    if (this.#allowed.has(origin) || this.#any) return undefined;
    const normalised = normaliseOrigin(origin);
    if (normalised !== undefined) {
      if (this.#allowed.has(normalised.origin) || sameAuthority(normalised, hostHeader)) return undefined;
    }
    return `Origin "${origin.slice(0, 200)}" may not call this gateway: a browser page may call it only from the gateway's own origin or from an origin the operator allows with --cors-origin`;
  }
}

/** An origin split for comparison with a Host. */
interface ParsedOrigin {
  /** `scheme://name[:port]`, default port left out. */
  origin: string;
  name: string;
  /** '' for the scheme's default port. */
  port: string;
  defaultPort: string;
}

/** Parses and normalises `http(s)://host[:port]` (no path, query or credentials), or undefined. */
function normaliseOrigin(text: string): ParsedOrigin | undefined {
  const sep = text.indexOf('://');
  if (sep === -1) return undefined;
  const scheme = text.slice(0, sep).toLowerCase();
  const defaultPort = defaultPortOf(scheme);
  const authority = parseAuthority(text.slice(sep + 3));
  if (defaultPort === undefined || authority === undefined) return undefined;
  const key = authorityKey(authority, defaultPort);
  return { origin: `${scheme}://${key}`, name: authority.name, port: authority.port === defaultPort ? '' : authority.port, defaultPort };
}

/** True when the origin's host and port are the request's Host (a Host without a port is on the origin scheme's default port). */
function sameAuthority(origin: ParsedOrigin, hostHeader: string | undefined): boolean {
  if (hostHeader === undefined) return false;
  const host = parseAuthority(hostHeader);
  if (host === undefined || host.name !== origin.name) return false;
  return (host.port === origin.defaultPort ? '' : host.port) === origin.port;
}
