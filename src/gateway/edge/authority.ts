/**
 * Host names with ports, as the edge compares them: a `Host` header, the
 * authority of an `Origin` or of a public URL, or an `--allowed-host` entry.
 * Normalised as the route rule normalises hosts (lower case, no trailing dot),
 * with the port kept apart so a default port can be treated as absent.
 */
import { normaliseHost } from '../../manifest/route.ts';

/** A host and its port, normalised. */
export interface Authority {
  /** Lower case, without a trailing dot; IPv6 literals keep their brackets, e.g. "[::1]". */
  name: string;
  /** The port as written (digits), or '' when none was. */
  port: string;
}

/** Characters that have no place in a host: whitespace, and URL delimiters other than ':' and the IPv6 brackets. */
const NOT_HOST = /[\s/\\?#@,"'<>`{}|^]/;

/**
 * Parses `host[:port]` (a `Host` header, an authority), or undefined when it is
 * not one: empty name, a port that is not 1–65535, stray delimiters.
 * @example parseAuthority('Gateway.Example.COM.:8443') // { name: 'gateway.example.com', port: '8443' }
 * @example parseAuthority('[::1]:8080') // { name: '[::1]', port: '8080' }
 * @example parseAuthority('evil.example/x') // undefined
 */
export function parseAuthority(text: string): Authority | undefined {
  if (text.length === 0 || text.length > 300 || NOT_HOST.test(text)) return undefined;
  let host = text;
  let port = '';
  if (text.startsWith('[')) {
    const end = text.indexOf(']');
    if (end === -1) return undefined;
    host = text.slice(0, end + 1);
    const rest = text.slice(end + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) return undefined;
      port = rest.slice(1);
    }
  } else {
    const colon = text.indexOf(':');
    if (colon !== -1) {
      host = text.slice(0, colon);
      port = text.slice(colon + 1);
    }
  }
  if (port !== '' && !isPort(port)) return undefined;
  if (text.endsWith(':')) return undefined;
  const name = normaliseHost(host);
  return name === undefined || name.includes(':') !== name.startsWith('[') ? undefined : { name, port };
}

/**
 * The authority as one string, with `defaultPort` left out (an authority on its
 * scheme's default port is the same as one without a port).
 * @example authorityKey({ name: 'gw.example.com', port: '443' }, '443') // "gw.example.com"
 */
export function authorityKey(a: Authority, defaultPort?: string): string {
  return a.port === '' || a.port === defaultPort ? a.name : `${a.name}:${a.port}`;
}

/**
 * Parses a public URL, or throws an Error naming it.
 * @example publicUrl('https://mcp.example.com/base').origin // "https://mcp.example.com"
 */
export function publicUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch (cause) {
    throw new Error(`public URL "${text}" is not an absolute URL`, { cause });
  }
  if (defaultPortOf(url.protocol) === undefined) throw new Error(`public URL "${text}" is not an http(s) URL`);
  return url;
}

/** The default port of an http(s) scheme ('http:' or 'http'), else undefined. */
export function defaultPortOf(scheme: string): string | undefined {
  const s = scheme.endsWith(':') ? scheme.slice(0, -1) : scheme;
  return s === 'http' ? '80' : s === 'https' ? '443' : undefined;
}

function isPort(text: string): boolean {
  if (!/^\d{1,5}$/.test(text)) return false;
  const n = Number(text);
  return n >= 1 && n <= 65_535;
}
