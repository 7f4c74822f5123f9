/**
 * The edge's decisions, table-driven: authorities, the Host allow-list, the
 * Origin policy and the CORS helpers. The sockets, gateway and upstream are in
 * test/gateway-edge.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { AllowedHosts, MAX_LEARNT, parseHostPattern, type AllowedHostsOptions } from './allowed-hosts.ts';
import { authorityKey, parseAuthority } from './authority.ts';
import { isCorsResponseHeader } from './cors.ts';
import { OriginPolicy, parseOriginEntry } from './origin-policy.ts';
import { isOwnPath } from './own-endpoints.ts';

describe('parseAuthority', () => {
  it.each([
    ['gw.example.com', { name: 'gw.example.com', port: '' }],
    ['GW.Example.COM.:8443', { name: 'gw.example.com', port: '8443' }],
    ['127.0.0.1:8080', { name: '127.0.0.1', port: '8080' }],
    ['[::1]:8080', { name: '[::1]', port: '8080' }],
    ['[::1]', { name: '[::1]', port: '' }],
  ])('%j → %j', (text, want) => {
    expect(parseAuthority(text)).toEqual(want);
  });

  it.each(['', ':80', 'gw:', 'gw:0', 'gw:65536', 'gw:80x', 'a b', 'evil.example/x', 'user@gw', 'gw?x', 'a,b', '::1', '[::1', '[::1]x', 'a:b:c'])('%j is not an authority', (text) => {
    expect(parseAuthority(text)).toBeUndefined();
  });

  it('leaves the default port out of the key', () => {
    expect(authorityKey({ name: 'gw', port: '443' }, '443')).toBe('gw');
    expect(authorityKey({ name: 'gw', port: '8443' }, '443')).toBe('gw:8443');
  });
});

describe('parseHostPattern', () => {
  it.each([
    ['gw.internal', { name: 'gw.internal', wildcard: false, port: '' }],
    ['GW.internal:8443', { name: 'gw.internal', wildcard: false, port: '8443' }],
    ['*.Example.com', { name: '.example.com', wildcard: true, port: '' }],
    ['*.example.com:443', { name: '.example.com', wildcard: true, port: '443' }],
  ])('%j → %j', (text, want) => {
    expect(parseHostPattern(text)).toEqual(want);
  });

  it.each(['https://gw', '*', '*.', 'a.*.com', 'gw:99999', '*.[::1]', ''])('%j is refused with what an entry looks like', (text) => {
    expect(parseHostPattern(text)).toMatch(/must be a host name or address, optionally with :port .* or \*\.domain/);
  });
});

describe('AllowedHosts', () => {
  const routeHosts = new Set(['sales.example.com']);
  const make = (opts: Partial<AllowedHostsOptions> = {}) =>
    new AllowedHosts({ listenHost: '127.0.0.1', routeHost: (n) => routeHosts.has(n), ...opts });
  const loopback = { localAddress: '127.0.0.1', localPort: 8080 };
  const lan = { localAddress: '10.0.0.5', localPort: 8080 };

  it.each([
    // [options, Host, arrived at, allowed]
    [{}, '127.0.0.1:8080', loopback, true],
    [{}, 'localhost:8080', loopback, true],
    [{}, 'LOCALHOST.:8080', loopback, true],
    [{}, '[::1]:8080', loopback, true],
    [{}, 'localhost:9090', loopback, false],
    [{}, 'localhost', loopback, false],
    [{}, 'evil.example:8080', loopback, false],
    [{}, 'evil.example', loopback, false],
    [{}, undefined, loopback, false],
    [{}, 'evil.example/x', loopback, false],
    // Bound to every interface: the address the connection arrived at, never loopback names off loopback.
    [{ listenHost: '0.0.0.0' }, '10.0.0.5:8080', lan, true],
    [{ listenHost: '0.0.0.0' }, '10.0.0.6:8080', lan, false],
    [{ listenHost: '0.0.0.0' }, 'localhost:8080', lan, false],
    [{ listenHost: '::' }, '127.0.0.1:8080', { localAddress: '::ffff:127.0.0.1', localPort: 8080 }, true],
    [{ listenHost: '::' }, '[::1]:8080', { localAddress: '::1', localPort: 8080 }, true],
    // A listen host that is a name is allowed with the port.
    [{ listenHost: 'gw.internal' }, 'gw.internal:8080', lan, true],
    [{ listenHost: 'gw.internal' }, 'gw.internal:9090', lan, false],
    // Public URLs: host and port, the default port also without it.
    [{ publicUrls: ['https://mcp.example.com'] }, 'mcp.example.com', lan, true],
    [{ publicUrls: ['https://mcp.example.com'] }, 'MCP.example.com:443', lan, true],
    [{ publicUrls: ['https://mcp.example.com'] }, 'mcp.example.com:8443', lan, false],
    [{ publicUrls: ['https://mcp.example.com/base/'] }, 'mcp.example.com', lan, true],
    [{ publicUrls: ['http://mcp.example.com:8000'] }, 'mcp.example.com:8000', lan, true],
    [{ publicUrls: ['http://mcp.example.com:8000'] }, 'mcp.example.com', lan, false],
    // --allowed-host: a name on any port, a name:port, a wildcard below a domain.
    [{ allowedHosts: ['gw.corp'] }, 'gw.corp:1234', lan, true],
    [{ allowedHosts: ['gw.corp:443'] }, 'gw.corp:443', lan, true],
    [{ allowedHosts: ['gw.corp:443'] }, 'gw.corp:444', lan, false],
    [{ allowedHosts: ['*.mcp.corp'] }, 'a.b.mcp.corp:8080', lan, true],
    [{ allowedHosts: ['*.mcp.corp'] }, 'mcp.corp:8080', lan, false],
    [{ allowedHosts: ['*.mcp.corp'] }, 'evilmcp.corp', lan, false],
    [{ allowedHosts: ['*.mcp.corp:443'] }, 'a.mcp.corp:80', lan, false],
    // routing.host of a server in the table, on any port.
    [{}, 'Sales.Example.com:8443', lan, true],
    [{}, 'sales.example.com.evil', lan, false],
  ] as const)('%j: Host %j arriving at %j → %j', (opts, host, at, allowed) => {
    expect(make(opts).allows(host, at)).toBe(allowed);
  });

  it('remembers a bounded number of hosts allowed by where their connection arrived', () => {
    const hosts = make({ listenHost: '0.0.0.0' });
    for (let i = 0; i < MAX_LEARNT + 10; i++) expect(hosts.allows(`10.0.${i >> 8}.${i & 255}:8080`, { localAddress: `10.0.${i >> 8}.${i & 255}`, localPort: 8080 })).toBe(true);
    // Learnt: allowed again from anywhere (an IP literal cannot be a rebinding).
    expect(hosts.allows('10.0.0.1:8080', lan)).toBe(true);
    // Past the bound, still decided by where the connection arrived.
    expect(hosts.allows(`10.0.0.${MAX_LEARNT + 5}:8080`, lan)).toBe(false);
  });

  it('refuses malformed configuration, naming the entry', () => {
    expect(() => make({ allowedHosts: ['https://x'] })).toThrow(/^allowed host "https:\/\/x" must be a host name/);
    expect(() => make({ publicUrls: ['mcp.example.com'] })).toThrow('public URL "mcp.example.com" is not an absolute URL');
    expect(() => make({ publicUrls: ['ftp://mcp.example.com'] })).toThrow('public URL "ftp://mcp.example.com" is not an http(s) URL');
  });
});

describe('OriginPolicy', () => {
  const at = 'gw.example.com:8080';
  it.each([
    // [options, Origin, Host, allowed]
    [{}, 'http://gw.example.com:8080', at, true],
    [{}, 'HTTP://GW.example.com:8080', at, true],
    [{}, 'https://gw.example.com:8080', at, true],
    [{}, 'http://gw.example.com', 'gw.example.com', true],
    [{}, 'http://gw.example.com:80', 'gw.example.com', true],
    [{}, 'http://gw.example.com', 'gw.example.com:80', true],
    [{}, 'https://gw.example.com', 'gw.example.com:80', false],
    [{}, 'http://gw.example.com:9090', at, false],
    [{}, 'http://evil.example', at, false],
    [{}, 'null', at, false],
    [{}, 'http://evil.example/path', at, false],
    [{}, 'file://', at, false],
    [{}, 'http://gw.example.com:8080', undefined, false],
    [{ publicUrls: ['https://mcp.example.com/base'] }, 'https://mcp.example.com', at, true],
    [{ publicUrls: ['https://mcp.example.com'] }, 'http://mcp.example.com', at, false],
    [{ corsOrigins: ['https://App.example.com:443'] }, 'https://app.example.com', at, true],
    [{ corsOrigins: ['https://app.example.com'] }, 'https://app.example.com:443', at, true],
    [{ corsOrigins: ['https://app.example.com'] }, 'http://app.example.com', at, false],
    [{ corsOrigins: ['*'] }, 'https://anyone.example', at, true],
    [{ corsOrigins: ['*'] }, 'null', at, false],
    [{ corsOrigins: ['null'] }, 'null', at, true],
  ] as const)('%j: Origin %j with Host %j → %j', (opts, origin, host, allowed) => {
    const why = new OriginPolicy(opts).refusal(origin, host);
    expect(why === undefined).toBe(allowed);
  });

  it('says why and how to allow it', () => {
    expect(new OriginPolicy({}).refusal('https://evil.example', at)).toBe(
      'Origin "https://evil.example" may not call this gateway: a browser page may call it only from the gateway\'s own origin or from an origin the operator allows with --cors-origin',
    );
    expect(new OriginPolicy({}).refusal('null', at)).toMatch(/--cors-origin null$/);
  });

  it('parses --cors-origin entries, or says what one looks like', () => {
    expect(parseOriginEntry('https://App.Example.com:443')).toEqual({ kind: 'origin', origin: 'https://app.example.com' });
    expect(parseOriginEntry('http://localhost:6274')).toEqual({ kind: 'origin', origin: 'http://localhost:6274' });
    expect(parseOriginEntry('*')).toEqual({ kind: 'any' });
    expect(parseOriginEntry('null')).toEqual({ kind: 'null' });
    for (const bad of ['https://app.example.com/', 'app.example.com', 'ftp://x', 'https://u@x', '']) {
      expect(parseOriginEntry(bad)).toMatch(/must be an origin — http\(s\):\/\/host\[:port\], without a path — or \*/);
    }
    expect(() => new OriginPolicy({ corsOrigins: ['x'] })).toThrow(/^CORS origin "x" must be an origin/);
  });
});

describe('CORS and own-path helpers', () => {
  it.each([
    ['Access-Control-Allow-Origin', true],
    ['access-control-expose-headers', true],
    ['ACCESS-CONTROL-MAX-AGE', true],
    ['authorization', false],
    ['accept-ranges', false],
    ['access-controlx', false],
  ])('isCorsResponseHeader(%j) = %j', (name, want) => {
    expect(isCorsResponseHeader(name)).toBe(want);
  });

  it.each([
    ['/-', true],
    ['/-/', true],
    ['/-/healthz', true],
    ['/-/metrics/x', true],
    ['/-x', false],
    ['/mcp/-/x', false],
    ['/', false],
    ['', false],
    ['-/healthz', false],
  ])('isOwnPath(%j) = %j', (path, want) => {
    expect(isOwnPath(path)).toBe(want);
  });
});
