/**
 * The remote-address rule: which addresses a server hosted elsewhere
 * (`spec.remote.url`) may point Berth at. Written once and used at every check:
 * `berth validate` and the registry's admission (addresses written literally),
 * and the remote runtime's probe and the gateway's upstream connections (every
 * address a host name resolves to, at connect time, so DNS rebinding between a
 * check and the connection cannot pass).
 *
 * Refused by default: loopback, link-local, cloud metadata services, unspecified
 * and multicast addresses, and the control plane's own listeners on this host.
 * Private ranges (RFC 1918, IPv6 ULA) are allowed: enterprise MCP servers live in
 * VPCs. An operator allow-list (`--allow-remote <CIDR|host>`) lets legitimate
 * endpoints through; the control plane's own ports stay refused whatever it says.
 */
import { BlockList, isIP } from 'node:net';
import { redactUserinfo } from '../kit/redact.ts';

/** Why an address is refused. */
export type RemoteAddressRuleName = 'loopback' | 'link-local' | 'cloud-metadata' | 'unspecified' | 'multicast' | 'ipv4-compatible' | 'control-plane';

/** The operator's choices; every field is optional and the default is the safe one. */
export interface RemoteAddressPolicy {
  /**
   * Allowed despite the default rules: CIDRs (`10.1.0.0/16`, `fd12::/16`), single
   * addresses (`127.0.0.1`), or host names (`mcp.internal`, matched exactly, any case).
   */
  allow?: readonly string[];
  /** Ports of the control plane's own listeners (registry, gateway, metrics); read at each check, so ports chosen at listen time count. */
  ownPorts?: () => readonly number[];
  /** This host's own addresses besides loopback (its interfaces); with {@link ownPorts}, the listeners it must not be pointed at. */
  localAddresses?: () => readonly string[];
}

/** A refusal: what was refused, the address, the rule, and a sentence saying how to allow it. */
export interface RemoteAddressRefusal {
  rule: RemoteAddressRuleName;
  /** The address (or host name) refused. */
  address: string;
  /** The URL without userinfo. */
  url: string;
  /** One line for people: URL, address, rule, and the flag that allows it. */
  message: string;
}

interface Range {
  rule: Exclude<RemoteAddressRuleName, 'control-plane'>;
  what: string;
  list: BlockList;
}

/** The most specific ranges first: the first match names the rule. */
function defaultRanges(): Range[] {
  const range = (rule: Range['rule'], what: string, cidrs: string[]): Range => ({ rule, what, list: blockListOf(cidrs) });
  return [
    range('cloud-metadata', 'a cloud metadata service', ['169.254.169.254/32', '169.254.170.2/32', 'fd00:ec2::254/128', '100.100.100.200/32', '192.0.0.192/32']),
    range('loopback', 'a loopback address', ['127.0.0.0/8', '::1/128']),
    range('unspecified', 'an unspecified address (this host)', ['0.0.0.0/8', '::/128']),
    range('link-local', 'a link-local address', ['169.254.0.0/16', 'fe80::/10']),
    range('multicast', 'a multicast or broadcast address', ['224.0.0.0/4', '255.255.255.255/32', 'ff00::/8']),
    range('ipv4-compatible', 'a deprecated IPv4-compatible IPv6 address', ['::/96']),
  ];
}

function blockListOf(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [net, bits] = cidr.split('/') as [string, string | undefined];
    const family = isIP(net) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(net, family);
    else list.addSubnet(net, Number(bits), family);
  }
  return list;
}

/** `[::1]` → `::1`; a trailing dot and case removed from names. */
function bareHost(hostname: string): string {
  const h = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return h.replace(/\.$/, '').toLowerCase();
}

/** The IPv4 address a NAT64 (64:ff9b::/96) address carries, else the address itself. */
function unwrapNat64(address: string): string {
  const m = /^64:ff9b::(?:ffff:)?([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (!m) return address;
  const hi = parseInt(m[1]!, 16);
  const lo = parseInt(m[2]!, 16);
  return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
}

/**
 * `url` without userinfo (`https://u:p@host/x` → `https://host/x`), for messages,
 * logs and status (kit/redact.ts).
 * @example urlForDisplay('https://bob:hunter2@crm.example.com/mcp') // 'https://crm.example.com/mcp'
 */
export function urlForDisplay(url: string): string {
  return redactUserinfo(url);
}

/**
 * The rule compiled once from a {@link RemoteAddressPolicy}.
 *
 * @example
 * const rule = new RemoteAddressRule({ allow: ['10.0.0.0/8'] });
 * rule.refuseUrl('http://0x7f000001/mcp')?.message
 * // 'remote URL http://0x7f000001/mcp points at 127.0.0.1, a loopback address; … --allow-remote 127.0.0.1'
 * rule.refuseAddress('https://mcp.example.com/mcp', '169.254.169.254') // cloud-metadata refusal
 */
export class RemoteAddressRule {
  readonly #ranges = defaultRanges();
  readonly #allowed = new BlockList();
  readonly #allowedHosts = new Set<string>();
  readonly #policy: RemoteAddressPolicy;

  /** @throws Error naming an allow-list entry that is neither a CIDR, an address nor a host name */
  constructor(policy: RemoteAddressPolicy = {}) {
    this.#policy = policy;
    for (const entry of policy.allow ?? []) {
      const problem = allowEntryProblem(entry);
      if (problem) throw new Error(problem);
      const [net, bits] = entry.split('/') as [string, string | undefined];
      const family = isIP(bareHost(net));
      if (family === 0) this.#allowedHosts.add(bareHost(entry));
      else if (bits === undefined) this.#allowed.addAddress(bareHost(net), family === 6 ? 'ipv6' : 'ipv4');
      else this.#allowed.addSubnet(bareHost(net), Number(bits), family === 6 ? 'ipv6' : 'ipv4');
    }
  }

  /**
   * Checks what a URL says literally: an IP address in any spelling WHATWG URL
   * parsing normalises (`127.1`, `0x7f000001`, `[::ffff:127.0.0.1]`) or a name that
   * always means this host (`localhost`, `*.localhost`). Other host names are
   * checked when they are resolved ({@link refuseAddress}). Undefined: allowed so far.
   */
  refuseUrl(url: string): RemoteAddressRefusal | undefined {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return undefined; // the schema reports a URL that does not parse
    }
    const host = bareHost(u.hostname);
    const port = portOf(u);
    if (isIP(host) !== 0) return this.#check(u, host, port);
    if (this.#allowedHosts.has(host)) return undefined; // its addresses are checked at connect time (own listeners)
    if (host === 'localhost' || host.endsWith('.localhost')) {
      return this.#refusal(u, host, 'loopback', `a name for this host (${host})`);
    }
    return undefined;
  }

  /**
   * Checks one address `url`'s host resolved to (or its literal address), just
   * before connecting. Undefined: the connection may go ahead.
   */
  refuseAddress(url: string | URL, address: string): RemoteAddressRefusal | undefined {
    const u = typeof url === 'string' ? new URL(url) : url;
    return this.#check(u, bareHost(address), portOf(u));
  }

  /** As {@link refuseAddress} for a connection known by host and port only (the gateway's pools). */
  refuseConnection(hostname: string, port: number, address: string, protocol = 'http:'): RemoteAddressRefusal | undefined {
    const host = hostname.includes(':') && !hostname.startsWith('[') ? `[${hostname}]` : hostname;
    return this.refuseAddress(`${protocol}//${host}:${port}/`, address);
  }

  #check(u: URL, rawAddress: string, port: number): RemoteAddressRefusal | undefined {
    const address = unwrapNat64(rawAddress);
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    const hostAllowed = this.#allowedHosts.has(bareHost(u.hostname));
    const allowed = hostAllowed || this.#allowed.check(address, family);
    const own = this.#ownListener(u, address, port, allowed);
    if (own) return own;
    if (allowed) return undefined;
    const range = this.#ranges.find((r) => r.list.check(address, family));
    return range ? this.#refusal(u, address, range.rule, range.what) : undefined;
  }

  /** The control plane's own listeners are refused even when allow-listed: no allow-list entry is meant to reach them. */
  #ownListener(u: URL, address: string, port: number, allowed: boolean): RemoteAddressRefusal | undefined {
    const ports = this.#policy.ownPorts?.() ?? [];
    if (!ports.includes(port)) return undefined;
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    const local = this.#ranges.some((r) => (r.rule === 'loopback' || r.rule === 'unspecified') && r.list.check(address, family)) || (this.#policy.localAddresses?.() ?? []).some((a) => bareHost(a) === address);
    if (!local) return undefined;
    const display = urlForDisplay(u.href);
    return {
      rule: 'control-plane',
      address,
      url: display,
      message: `remote URL ${display} points at ${address} port ${port}, one of Berth's own listeners (registry, gateway or metrics); a server hosted elsewhere cannot be the control plane itself${allowed ? ' (an --allow-remote entry does not change that)' : ''}`,
    };
  }

  #refusal(u: URL, address: string, rule: RemoteAddressRefusal['rule'], what: string): RemoteAddressRefusal {
    const display = urlForDisplay(u.href);
    const host = bareHost(u.hostname);
    const flag = isIP(host) !== 0 || host === address ? address : host;
    return {
      rule,
      address,
      url: display,
      message: `remote URL ${display} points at ${address}, ${what} (rule ${rule}); Berth refuses these for servers hosted elsewhere — if this endpoint is legitimate, start Berth with --allow-remote ${flag}`,
    };
  }
}

/** Why an `--allow-remote` entry is unusable, or undefined when it is a CIDR, an address or a host name. */
export function allowEntryProblem(entry: string): string | undefined {
  const [net, bits, extra] = entry.split('/');
  const host = bareHost(net ?? '');
  const family = isIP(host);
  if (extra === undefined && bits !== undefined && family !== 0) {
    const max = family === 6 ? 128 : 32;
    if (/^\d{1,3}$/.test(bits) && Number(bits) <= max) return undefined;
    return `--allow-remote ${entry}: the prefix length must be 0–${max}`;
  }
  if (bits === undefined && (family !== 0 || /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(host))) return undefined;
  return `--allow-remote ${entry}: give a CIDR (10.1.0.0/16), an address (127.0.0.1) or a host name (mcp.internal)`;
}

function portOf(u: URL): number {
  if (u.port !== '') return Number(u.port);
  return u.protocol === 'https:' ? 443 : 80;
}
