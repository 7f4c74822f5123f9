/**
 * Outbound connections that check the address they are about to connect to:
 * after DNS resolution, inside the connect itself, so a name that resolves to an
 * allowed address when checked and to a forbidden one a moment later (DNS
 * rebinding) cannot get through — the address checked is the address used.
 *
 * The rule itself is the caller's (`check`); this file only makes sure it runs on
 * every address of every connection an undici dispatcher opens, redirects and
 * reconnects included.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { Agent, buildConnector, fetch as undiciFetch } from 'undici';

/**
 * Decides one connection: `hostname` and `port` as the URL says them, `address`
 * the IP about to be connected to. Returns a sentence saying why it is refused,
 * or undefined to allow it.
 */
export type AddressCheck = (target: { hostname: string; port: number; protocol: string }, address: string) => string | undefined;

/** A connection refused by an {@link AddressCheck}; `message` is the check's sentence. */
export class AddressRefusedError extends Error {
  readonly code = 'ADDRESS_REFUSED';
  constructor(message: string) {
    super(message);
    this.name = 'AddressRefusedError';
  }
}

/** Resolves a name to all its addresses, as `dns.lookup(name, { all: true })` does (the default). */
export type ResolveAll = (hostname: string, options: { family?: number }, callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

const systemResolve: ResolveAll = (hostname, options, callback) => dnsLookup(hostname, { ...options, all: true }, callback);

/**
 * An undici connector that resolves names itself, runs `check` on every address
 * the name resolves to (all must pass: a name with one forbidden address is
 * refused, so which record the socket picks cannot matter), and connects only to
 * those addresses. Literal IPs are checked before connecting too. Each new
 * connection resolves again, so a name that changes its answer is judged anew.
 * `resolve` defaults to the system resolver (tests give their own).
 */
export function guardedConnector(unsafeCheck: AddressCheck, options: buildConnector.BuildOptions = {}, resolve: ResolveAll = systemResolve): buildConnector.connector {
  // A check that throws refuses (fail closed), and never escapes into a DNS callback, where it would end the process.
  const check: AddressCheck = (target, address) => {
    try {
      return unsafeCheck(target, address);
    } catch (err) {
      return `the address check of ${address} failed: ${err instanceof Error ? err.message : String(err)}`;
    }
  };
  const byTarget = new Map<string, buildConnector.connector>();
  const connectorFor = (target: { hostname: string; port: number; protocol: string }): buildConnector.connector => {
    const key = `${target.protocol}//${target.hostname}:${target.port}`;
    let connector = byTarget.get(key);
    if (!connector) {
      connector = buildConnector({ ...options, lookup: guardedLookup(check, target, resolve) } as buildConnector.BuildOptions);
      if (byTarget.size > 1000) byTarget.clear(); // a bound, not a cache policy: connectors are cheap to rebuild
      byTarget.set(key, connector);
    }
    return connector;
  };
  return (opts, callback) => {
    const hostname = opts.hostname.replace(/^\[|\]$/g, '');
    const port = opts.port !== '' && opts.port !== undefined ? Number(opts.port) : opts.protocol === 'https:' ? 443 : 80;
    const target = { hostname, port, protocol: opts.protocol };
    if (isIP(hostname) !== 0) {
      const why = check(target, hostname);
      if (why !== undefined) {
        callback(new AddressRefusedError(why), null);
        return;
      }
    }
    connectorFor(target)(opts, callback);
  };
}

/** A `lookup` for net.connect that refuses a name when any address it resolves to fails `check`. */
function guardedLookup(check: AddressCheck, target: { hostname: string; port: number; protocol: string }, resolve: ResolveAll): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, options.family ? { family: Number(options.family) } : {}, (err, addresses) => {
      if (err) return callback(err, '', 0);
      for (const a of addresses) {
        const why = check(target, a.address);
        if (why !== undefined) return callback(new AddressRefusedError(why), '', 0);
      }
      if (options.all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`${hostname} resolved to no address`), { code: 'ENOTFOUND' }), '', 0);
      return callback(null, first.address, first.family);
    });
  };
}

/** An undici Agent whose every connection passes `check` ({@link guardedConnector}); `resolve` is for tests. */
export function guardedAgent(check: AddressCheck, options: Omit<Agent.Options, 'connect'> = {}, resolve?: ResolveAll): Agent {
  return new Agent({ ...options, connect: guardedConnector(check, {}, resolve) });
}

/**
 * A `fetch` whose connections pass `check`, for code that takes a fetch
 * function (the MCP SDK's transports). Close `agent` when done.
 */
export function guardedFetch(check: AddressCheck): { fetch: typeof globalThis.fetch; agent: Agent } {
  const agent = guardedAgent(check);
  const fetchImpl = ((input: string | URL | Request, init?: RequestInit) =>
    undiciFetch(input as Parameters<typeof undiciFetch>[0], { ...(init as Parameters<typeof undiciFetch>[1]), dispatcher: agent })) as unknown as typeof globalThis.fetch;
  return { fetch: fetchImpl, agent };
}
