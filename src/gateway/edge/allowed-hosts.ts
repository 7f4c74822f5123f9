/**
 * Which `Host` a request may name: the gateway's defence against DNS rebinding.
 * A page on `evil.example` whose name the attacker re-points at the gateway's
 * address makes the victim's browser send `Host: evil.example` — a name that is
 * none of the gateway's — so a Host outside this list is refused before
 * anything is read, authenticated or forwarded (upstreams get their own Host,
 * never the client's, so they cannot tell).
 *
 * Allowed:
 * - the host and port of each public URL (on its scheme's default port, also without the port);
 * - `--allowed-host` entries: `name` (any port), `name:port`, `*.example.com[:port]`
 *   (any name ending in `.example.com`, not `example.com` itself);
 * - every `routing.host` of the route table's servers, on any port (such a route is
 *   chosen by its Host anyway);
 * - the address and port the connection arrived at, written as the connection's
 *   local address (an IP literal), or as the listen host's name: a browser sends an
 *   IP literal only for a page served from that very address, so it cannot be a
 *   rebinding; this is what load balancer health checks and scrapers send;
 * - `localhost`, `127.0.0.1` and `[::1]` with that port, when the connection
 *   arrived over loopback.
 * Names compare in lower case without a trailing dot; a Host without a port
 * stands for the default port. The common case costs one Set lookup of the raw
 * header: configured entries are precomputed, and a Host allowed by where the
 * connection arrived joins them (at most {@link MAX_LEARNT}).
 */
import { authorityKey, defaultPortOf, parseAuthority, publicUrl, type Authority } from './authority.ts';

/** How many Host values allowed by where their connection arrived are remembered for the fast path. */
export const MAX_LEARNT = 64;

/** Options of {@link AllowedHosts}. */
export interface AllowedHostsOptions {
  /** The gateway's public URLs (absolute http(s) URLs). */
  publicUrls?: readonly string[];
  /** Extra entries: `name`, `name:port`, `*.domain`, `*.domain:port`. See {@link parseHostPattern}. */
  allowedHosts?: readonly string[];
  /** The address or name the gateway listens on (`127.0.0.1`, `0.0.0.0`, `gw.internal`). */
  listenHost: string;
  /** Whether a server of the route table is routed at this host name (normalised, no port). */
  routeHost: (name: string) => boolean;
}

/** Where a connection arrived: a `net.Socket`'s local address and port. */
export interface ArrivedAt {
  readonly localAddress?: string | undefined;
  readonly localPort?: number | undefined;
}

/** An `--allowed-host` entry, parsed. */
export interface HostPattern {
  /** The name, or for a wildcard the suffix it must end with (".example.com"). */
  name: string;
  wildcard: boolean;
  /** '' for any port. */
  port: string;
}

/**
 * Parses an `--allowed-host` entry, or returns why it is not one.
 * @example parseHostPattern('*.Example.com') // { name: '.example.com', wildcard: true, port: '' }
 * @example parseHostPattern('gw.internal:8443') // { name: 'gw.internal', wildcard: false, port: '8443' }
 * @example parseHostPattern('https://gw') // "must be a host name …"
 */
export function parseHostPattern(text: string): HostPattern | string {
  const wildcard = text.startsWith('*.');
  const authority = parseAuthority(wildcard ? text.slice(2) : text);
  if (authority === undefined || authority.name.includes('*') || (wildcard && authority.name.startsWith('['))) {
    return `"${text}" must be a host name or address, optionally with :port (gw.example.com, gw.internal:8443, [::1]:8080), or *.domain for every name under a domain`;
  }
  return { name: wildcard ? `.${authority.name}` : authority.name, wildcard, port: authority.port };
}

/** The allow-list of `Host` values; see the module comment. */
export class AllowedHosts {
  /** Raw or normalised `name[:port]` values that pass as they are. */
  readonly #exact = new Set<string>();
  /** Names allowed on any port. */
  readonly #anyPort = new Set<string>();
  readonly #wildcards: HostPattern[] = [];
  readonly #listenName: string | undefined;
  readonly #routeHost: (name: string) => boolean;
  #learnt = 0;

  /** @throws Error naming the entry when an allowed host or a public URL is malformed. */
  constructor(opts: AllowedHostsOptions) {
    this.#routeHost = opts.routeHost;
    for (const text of opts.publicUrls ?? []) {
      const url = publicUrl(text);
      const name = parseAuthority(url.host)?.name;
      if (name === undefined) throw new Error(`public URL ${text} has no usable host`);
      const port = url.port === '' ? defaultPortOf(url.protocol)! : url.port;
      this.#exact.add(`${name}:${port}`);
      if (port === defaultPortOf(url.protocol)) this.#exact.add(name);
    }
    for (const text of opts.allowedHosts ?? []) {
      const pattern = parseHostPattern(text);
      if (typeof pattern === 'string') throw new Error(`allowed host ${pattern}`);
      if (pattern.wildcard) this.#wildcards.push(pattern);
      else if (pattern.port === '') this.#anyPort.add(pattern.name);
      else this.#exact.add(`${pattern.name}:${pattern.port}`);
    }
    const listen = parseAuthority(opts.listenHost.includes(':') && !opts.listenHost.startsWith('[') ? `[${opts.listenHost}]` : opts.listenHost)?.name;
    // An address is matched against the connection's local address; only a name needs remembering.
    this.#listenName = listen !== undefined && !isAddress(listen) ? listen : undefined;
  }

  /**
   * Whether a request with this `Host` header, on a connection that arrived at
   * `socket`'s local address and port, may be served. No header: refused.
   */
  allows(hostHeader: string | undefined, socket: ArrivedAt): boolean {
    if (hostHeader === undefined) return false;
    if (this.#exact.has(hostHeader)) return true;
    const a = parseAuthority(hostHeader);
    if (a === undefined) return false;
    if (this.#exact.has(authorityKey(a)) || this.#anyPort.has(a.name) || this.#routeHost(a.name)) return true;
    for (const w of this.#wildcards) if ((w.port === '' || w.port === a.port) && a.name.endsWith(w.name)) return true;
    if (!this.#arrivedAt(a, socket)) return false;
    if (this.#learnt < MAX_LEARNT) {
      this.#learnt++;
      this.#exact.add(hostHeader);
    }
    return true;
  }

  /** True when `a` names the address and port the connection arrived at (see the module comment). */
  #arrivedAt(a: Authority, socket: ArrivedAt): boolean {
    const port = socket.localPort;
    if (port === undefined) return false;
    if (a.port === '' ? port !== 80 && port !== 443 : a.port !== String(port)) return false;
    let local = socket.localAddress ?? '';
    if (local.startsWith('::ffff:')) local = local.slice(7);
    if (a.name === (local.includes(':') ? `[${local}]` : local)) return true;
    if (a.name === this.#listenName) return true;
    return (local.startsWith('127.') || local === '::1') && LOOPBACK_NAMES.has(a.name);
  }
}

/** The names of the loopback interface a browser on this machine may use. */
const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/** True for an IPv4 or bracketed IPv6 literal (what a listen address is, unless it is a name). */
function isAddress(name: string): boolean {
  return name.startsWith('[') || /^\d{1,3}(\.\d{1,3}){3}$/.test(name);
}
