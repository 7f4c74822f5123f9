/** Which peers the gateway believes, and the words for an entry that is no address or subnet. */
import { describe, expect, it } from 'vitest';
import { connectionOptions, isMcpParam } from './headers.ts';
import { TrustedProxies } from './trusted-proxies.ts';

describe('TrustedProxies', () => {
  it('matches addresses and CIDR subnets of both families, IPv4-mapped peers included', () => {
    const t = TrustedProxies.parse(['10.0.0.0/16', '192.0.2.7', '2600:1f18::/40']);
    expect(t.trusts('10.0.255.1')).toBe(true);
    expect(t.trusts('::ffff:10.0.3.4')).toBe(true);
    expect(t.trusts('10.1.0.1')).toBe(false);
    expect(t.trusts('192.0.2.7')).toBe(true);
    expect(t.trusts('192.0.2.8')).toBe(false);
    expect(t.trusts('2600:1f18:cd::1')).toBe(true); // /40: the third group's high byte is 00
    expect(t.trusts('2600:1f18:abcd::1')).toBe(false);
    expect(t.trusts('2600:1f19::1')).toBe(false);
    expect(t.trusts(undefined)).toBe(false);
    expect(t.trusts('not-an-address')).toBe(false);
  });

  it('trusts nobody when empty', () => {
    expect(TrustedProxies.parse([]).trusts('127.0.0.1')).toBe(false);
    expect(TrustedProxies.NONE.trusts('10.0.0.1')).toBe(false);
  });

  it('names an entry it cannot read and shows the forms it takes', () => {
    for (const bad of ['10.0.0.0/33', 'alb.internal', '10.0.0.0/', '10.0.0/8', 'fd00::/129', '10.0.0.0/8x']) {
      expect(() => TrustedProxies.parse([bad])).toThrow(`"${bad}" is not an IP address or CIDR subnet; write one like 10.0.0.5, 10.0.0.0/16 or 2600:1f18::/40`);
    }
  });
});

describe('header name helpers', () => {
  it('connectionOptions: nothing for keep-alive / close, the names otherwise', () => {
    expect(connectionOptions('keep-alive')).toBeUndefined();
    expect(connectionOptions('Keep-Alive')).toBeUndefined();
    expect(connectionOptions('close')).toBeUndefined();
    expect(connectionOptions('keep-alive, X-Debug ,,Mcp-Session-Id')).toEqual(['keep-alive', 'x-debug', 'mcp-session-id']);
    expect(connectionOptions(['close', 'x-a'])).toEqual(['close', 'x-a']);
  });

  it('isMcpParam: the prefix in any case, with a name after it', () => {
    expect(isMcpParam('Mcp-Param-Region')).toBe(true);
    expect(isMcpParam('MCP-PARAM-x')).toBe(true);
    expect(isMcpParam('mcp-param-')).toBe(false);
    expect(isMcpParam('mcp-protocol-version')).toBe(false);
    expect(isMcpParam('mcp_param-x')).toBe(false);
  });
});
