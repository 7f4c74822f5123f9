/**
 * The remote-address rule (remote-address.ts): every spelling of loopback and
 * metadata refused at validation, the allow-list, the control plane's own ports,
 * and addresses checked after resolution.
 */
import { describe, expect, it } from 'vitest';
import { validateObject, type MCPServer } from './index.ts';
import { RemoteAddressRule, allowEntryProblem, urlForDisplay } from './remote-address.ts';
import { mcpServer } from '../../test/support/manifests.ts';

function remote(url: string): MCPServer {
  return mcpServer('crm', { remote: { url, transport: 'streamable-http' } });
}

/** Each spelling, and the address and rule the refusal must name. */
const REFUSED: Array<[string, string, string]> = [
  ['http://127.0.0.1:7070/mcp', '127.0.0.1', 'loopback'],
  ['http://127.1/mcp', '127.0.0.1', 'loopback'],
  ['http://0x7f000001/mcp', '127.0.0.1', 'loopback'],
  ['http://017700000001/mcp', '127.0.0.1', 'loopback'],
  ['http://2130706433/mcp', '127.0.0.1', 'loopback'],
  ['http://127.0.0.2:9000/mcp', '127.0.0.2', 'loopback'],
  ['http://[::1]:8080/mcp', '::1', 'loopback'],
  ['http://[::ffff:127.0.0.1]/mcp', '::ffff:7f00:1', 'loopback'],
  ['http://[0:0:0:0:0:ffff:7f00:1]/mcp', '::ffff:7f00:1', 'loopback'],
  ['http://[64:ff9b::7f00:1]/mcp', '127.0.0.1', 'loopback'],
  ['http://localhost:8080/mcp', 'localhost', 'loopback'],
  ['http://localhost./mcp', 'localhost', 'loopback'],
  ['http://LOCALHOST/mcp', 'localhost', 'loopback'],
  ['http://api.localhost/mcp', 'api.localhost', 'loopback'],
  ['http://169.254.169.254/latest/meta-data/', '169.254.169.254', 'cloud-metadata'],
  ['http://0xa9fea9fe/latest/meta-data/', '169.254.169.254', 'cloud-metadata'],
  ['http://169.254.170.2/v2/credentials', '169.254.170.2', 'cloud-metadata'],
  ['http://[fd00:ec2::254]/latest/meta-data/', 'fd00:ec2::254', 'cloud-metadata'],
  ['http://[::ffff:169.254.169.254]/', '::ffff:a9fe:a9fe', 'cloud-metadata'],
  ['http://100.100.100.200/latest/meta-data/', '100.100.100.200', 'cloud-metadata'],
  ['http://169.254.1.1/mcp', '169.254.1.1', 'link-local'],
  ['http://[fe80::1]/mcp', 'fe80::1', 'link-local'],
  ['http://0.0.0.0:8080/mcp', '0.0.0.0', 'unspecified'],
  ['http://0/mcp', '0.0.0.0', 'unspecified'],
  ['http://[::]/mcp', '::', 'unspecified'],
  ['http://[::7f00:1]/mcp', '::7f00:1', 'ipv4-compatible'],
  ['http://224.0.0.1/mcp', '224.0.0.1', 'multicast'],
];

describe('remote.url at validation (berth validate, registry admission)', () => {
  it.each(REFUSED)('refuses %s, naming the address, the rule and the flag', (url, address, rule) => {
    const problems = validateObject(remote(url));
    expect(problems.map((p) => [p.path, p.code])).toEqual([['spec.remote.url', `remote-${rule}`]]);
    expect(problems[0]!.message).toContain(address);
    expect(problems[0]!.message).toContain(`rule ${rule}`);
    expect(problems[0]!.message).toContain('--allow-remote');
  });

  it('accepts public names and addresses, and private ranges (RFC 1918, ULA)', () => {
    for (const url of ['https://crm.example.com/mcp', 'https://93.184.216.34/mcp', 'http://10.1.2.3:8080/mcp', 'http://192.168.1.10/mcp', 'http://172.16.0.5/mcp', 'http://[fd12:3456::1]/mcp', 'https://169.254.169.254.example.com/mcp']) {
      expect(validateObject(remote(url)), url).toEqual([]);
    }
  });

  it('never names the userinfo of a refused URL', () => {
    const problems = validateObject(remote('http://admin:hunter2@127.0.0.1/mcp'));
    expect(problems.some((p) => p.code === 'remote-loopback')).toBe(true);
    for (const p of problems) expect(p.message).not.toContain('hunter2');
  });

  it('lets allow-listed CIDRs, addresses and host names through', () => {
    const rule = new RemoteAddressRule({ allow: ['127.0.0.0/8', '::1', 'localhost', 'fd00:ec2::254/128'] });
    for (const url of ['http://127.0.0.1:4100/mcp', 'http://127.1/mcp', 'http://[::1]/mcp', 'http://localhost:4100/mcp', 'http://[fd00:ec2::254]/']) {
      expect(validateObject(remote(url), { remoteAddresses: rule }), url).toEqual([]);
    }
    // Not listed: still refused.
    expect(validateObject(remote('http://169.254.169.254/'), { remoteAddresses: rule }).map((p) => p.code)).toEqual(['remote-cloud-metadata']);
  });

  it('refuses the control plane own ports on this host even when allow-listed', () => {
    const rule = new RemoteAddressRule({ allow: ['127.0.0.0/8'], ownPorts: () => [7070, 8080], localAddresses: () => ['10.0.0.5'] });
    for (const url of ['http://127.0.0.1:7070/mcp', 'http://127.1:8080/mcp', 'http://10.0.0.5:7070/mcp', 'http://0.0.0.0:8080/']) {
      const refusal = rule.refuseUrl(url);
      expect(refusal?.rule, url).toBe('control-plane');
      expect(refusal?.message).toContain("Berth's own listeners");
    }
    expect(rule.refuseUrl('http://127.0.0.1:4100/mcp')).toBeUndefined();
    expect(rule.refuseUrl('http://10.0.0.6:7070/mcp')).toBeUndefined(); // another host's port 7070
  });

  it('checks resolved addresses: a public-looking name resolving to loopback or metadata is refused', () => {
    const rule = new RemoteAddressRule();
    expect(rule.refuseAddress('https://mcp.example.com/mcp', '127.0.0.1')?.rule).toBe('loopback');
    expect(rule.refuseAddress('https://mcp.example.com/mcp', '169.254.169.254')?.rule).toBe('cloud-metadata');
    expect(rule.refuseAddress('https://mcp.example.com/mcp', '::ffff:127.0.0.1')?.rule).toBe('loopback');
    expect(rule.refuseAddress('https://mcp.example.com/mcp', '93.184.216.34')).toBeUndefined();
    const message = rule.refuseConnection('mcp.example.com', 443, '127.0.0.1', 'https:')!.message;
    expect(message).toContain('https://mcp.example.com/');
    expect(message).toContain('--allow-remote mcp.example.com');
  });

  it('refuses allow-list entries that are neither CIDR, address nor host name', () => {
    for (const bad of ['10.0.0.0/33', '::1/129', 'http://x', '10.0.0.0/8/1', 'a b']) expect(allowEntryProblem(bad), bad).toBeDefined();
    for (const good of ['10.0.0.0/8', '127.0.0.1', '::1', 'fd00::/8', 'mcp.internal', 'localhost']) expect(allowEntryProblem(good), good).toBeUndefined();
    expect(() => new RemoteAddressRule({ allow: ['10.0.0.0/40'] })).toThrow(/prefix length/);
  });

  it('urlForDisplay drops userinfo and nothing else', () => {
    expect(urlForDisplay('https://bob:hunter2@crm.example.com/mcp?x=1')).toBe('https://crm.example.com/mcp?x=1');
    expect(urlForDisplay('https://crm.example.com/mcp')).toBe('https://crm.example.com/mcp');
  });
});
