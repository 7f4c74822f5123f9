/**
 * A deprecated server is still listed by discovery while it runs, with a warning
 * naming its date and replacement, in Berth's listing and in the MCP Registry
 * listing's Berth metadata; a server that is not deprecated carries none.
 */
import { describe, expect, it } from 'vitest';
import { discover, registryListing } from '../src/gateway/governance/discovery.ts';
import { routeFromServer } from '../src/gateway/route.ts';
import { grantsFor } from '../src/manifest/policy.ts';
import type { AccessPolicy, MCPServer } from '../src/manifest/types.ts';
import { server } from './gateway-helpers.ts';
import { withApprovals } from './support/approvals.ts';

const policy: AccessPolicy = {
  apiVersion: 'berth.dev/v1alpha1',
  kind: 'AccessPolicy',
  metadata: { name: 'all' },
  spec: { subjects: [{ agent: 'agent-a' }], allow: ['catalog.*'] },
} as AccessPolicy;

/** An approved, Ready server with one tool the policy grants; deprecated when `deprecation` is given. */
function listed(name: string, deprecation?: { date: string; replacement?: string }): MCPServer {
  const s = server(name, { endpoint: 'http://10.0.0.7:8080/mcp', unapproved: true });
  s.spec.tools = [{ name: 'lookup', scopes: ['catalog.read'] }];
  if (deprecation !== undefined) {
    s.spec.lifecycle = 'deprecated';
    s.spec.deprecation = deprecation;
  }
  return withApprovals(s, ['approved-dev', 'approved-production']);
}

function deprecated(name: string, date: string, replacement?: string): MCPServer {
  return listed(name, { date, ...(replacement !== undefined ? { replacement } : {}) });
}

describe('discovery of deprecated servers', () => {
  it('lists a deprecated server that still runs with a warning, in both listings', () => {
    const now = new Date();
    const nextYear = `${now.getUTCFullYear() + 1}-06-30`;
    const servers = [deprecated('quote', nextYear, 'quote-v2'), deprecated('legacy', nextYear), listed('quote-v2')];
    const routes = servers.map((s) => routeFromServer(s));
    expect(routes.map((r) => [r.name, r.routable])).toEqual([
      ['quote', true],
      ['legacy', true],
      ['quote-v2', true],
    ]);
    const found = discover(routes, grantsFor([policy], { agent: 'agent-a', groups: [] }), false, 'https://gw.example', undefined);
    const byName = new Map(found.map((f) => [f.name, f]));
    expect(byName.get('quote')!.deprecation).toEqual({ date: nextYear, replacement: 'quote-v2', warning: `quote is deprecated and will be retired after ${nextYear}; use quote-v2 instead` });
    expect(byName.get('legacy')!.deprecation).toEqual({ date: nextYear, warning: `legacy is deprecated and will be retired after ${nextYear}` });
    expect(byName.get('quote-v2')!.deprecation).toBeUndefined();

    const listing = registryListing(found, new Map(servers.map((s) => [s.metadata.name, s])), { limit: 10 }) as { servers: Array<{ _meta: Record<string, { name: string; deprecation?: { warning: string } }> }> };
    const meta = new Map(listing.servers.map((e) => [e._meta['dev.berth/gateway']!.name, e._meta['dev.berth/gateway']!]));
    expect(meta.get('quote')!.deprecation?.warning).toContain('use quote-v2 instead');
    expect(meta.get('quote-v2')!.deprecation).toBeUndefined();
  });

  it('a deprecated server past its date is not routable, so discovery no longer lists it', () => {
    const past = deprecated('old', '2020-01-31', 'new');
    const route = routeFromServer(past);
    expect(route.routable).toBe(false);
    expect(discover([route], grantsFor([policy], { agent: 'agent-a', groups: [] }), false, 'https://gw.example', undefined)).toEqual([]);
  });
});
