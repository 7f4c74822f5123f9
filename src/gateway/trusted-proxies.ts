/**
 * The proxies in front of the gateway whose forwarding headers it believes
 * (`berth gateway --trusted-proxy`, e.g. the ALB's subnets). A request whose
 * socket peer is one of them keeps the `X-Forwarded-For`, `-Host`, `-Proto` and
 * `Forwarded` it came with (the gateway appends its own hop); from any other
 * peer those headers are replaced by what the gateway saw itself, so a client
 * cannot make an upstream believe it calls from elsewhere.
 *
 * @example
 * const trusted = TrustedProxies.parse(['10.0.0.0/16', '2600:1f18::/40']);
 * trusted.trusts('10.0.3.7'); // true
 * trusted.trusts('::ffff:10.0.3.7'); // true (an IPv4 peer on a dual-stack socket)
 * trusted.trusts('203.0.113.9'); // false
 */
import { BlockList, isIP } from 'node:net';

/** Addresses and subnets whose forwarding headers the gateway believes. Immutable. */
export class TrustedProxies {
  /** Trusts no peer: every forwarding header is the gateway's own. */
  static readonly NONE = new TrustedProxies(undefined, []);

  readonly #list: BlockList | undefined;
  /** The entries as given, for logs and messages. */
  readonly entries: readonly string[];

  private constructor(list: BlockList | undefined, entries: readonly string[]) {
    this.#list = list;
    this.entries = entries;
  }

  /**
   * Parses addresses (`10.0.0.5`, `fd00::1`) and CIDR subnets (`10.0.0.0/16`,
   * `2600:1f18::/40`). An empty list trusts no peer.
   * @throws Error naming the entry and the expected form, e.g. `"10.0.0.0/33" is not an IP address or CIDR subnet …`
   */
  static parse(entries: readonly string[]): TrustedProxies {
    if (entries.length === 0) return TrustedProxies.NONE;
    const list = new BlockList();
    for (const entry of entries) {
      const slash = entry.indexOf('/');
      const address = slash === -1 ? entry : entry.slice(0, slash);
      const version = isIP(address);
      const prefixText = slash === -1 ? '' : entry.slice(slash + 1);
      const max = version === 6 ? 128 : 32;
      const prefix = slash === -1 ? max : /^[0-9]{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
      if (version === 0 || !(prefix >= 0 && prefix <= max)) {
        throw new Error(`"${entry}" is not an IP address or CIDR subnet; write one like 10.0.0.5, 10.0.0.0/16 or 2600:1f18::/40`);
      }
      list.addSubnet(address, prefix, version === 6 ? 'ipv6' : 'ipv4');
    }
    return new TrustedProxies(list, [...entries]);
  }

  /** True when `address` (a socket's `remoteAddress`) is a trusted proxy. IPv4-mapped IPv6 addresses match IPv4 entries. */
  trusts(address: string | undefined): boolean {
    const list = this.#list;
    if (list === undefined || address === undefined) return false;
    const version = isIP(address);
    if (version === 0) return false;
    return list.check(address, version === 6 ? 'ipv6' : 'ipv4');
  }
}
