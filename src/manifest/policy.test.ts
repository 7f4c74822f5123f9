/**
 * The gateway's authorization rules, path by path: every verdict of a tool call,
 * every method family, whether a server may be used at all, what tools/list shows,
 * and the model on the example manifests and policies.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { mcpServer } from '../../test/support/manifests.ts';
import { loadManifestPaths } from './load.ts';
import { decideMethod, decideToolCall, grantsFor, mayUseServer, visibleTools, type Caller, type Decision, type GovernedServer } from './policy.ts';
import { API_VERSION } from './resource.ts';
import type { AccessPolicy, AccessPolicySpec, AccessSpec, MCPServer } from './types.ts';

function policy(name: string, subjects: AccessPolicySpec['subjects'], spec: Partial<AccessPolicySpec>): AccessPolicy {
  return { apiVersion: API_VERSION, kind: 'AccessPolicy', metadata: { name }, spec: { subjects, allow: [], ...spec } };
}

const POLICIES = [
  policy('readers', [{ agent: 'reader' }], { allow: ['shop.read'] }),
  policy('shop-staff', [{ group: 'staff' }], { allow: ['shop.*'] }),
  policy('careful', [{ agent: 'careful' }], { allow: ['shop.*'], requireApproval: ['shop.write'] }),
  policy('everything', [{ group: 'contractors' }], { allow: ['*'] }),
  policy('no-export', [{ group: 'contractors' }], { deny: ['customer.*'] }),
  policy('no-refunds', [{ agent: 'refund-blocked' }], { allow: ['shop.*'], requireApproval: ['shop.refund'], deny: ['shop.refund'] }),
];

const grants = (caller: Caller) => grantsFor(POLICIES, caller);
const agent = (name: string, ...groups: string[]) => grants({ agent: name, groups });
const ANONYMOUS = grants({ groups: [] });

/** A shop: reads, writes, refunds that always need approval, a customer export, and a tool needing two scopes. */
function shop(access?: AccessSpec, extra: Partial<MCPServer['spec']> = {}): MCPServer {
  return mcpServer('shop', {
    runtime: { image: 'ghcr.io/acme/shop:1.0.0', transport: 'streamable-http' },
    tools: [
      { name: 'list', scopes: ['shop.read'] },
      { name: 'edit', scopes: ['shop.write'] },
      { name: 'refund', scopes: ['shop.refund'], approval: 'required' },
      { name: 'exportCustomers', scopes: ['customer.export'] },
      { name: 'restock', scopes: ['shop.read', 'shop.write'] },
    ],
    ...(access ? { access } : {}),
    ...extra,
  });
}

type Expected = Pick<Decision, 'verdict' | 'code'> & Partial<Pick<Decision, 'missing' | 'deniedBy'>> & { says: string };

describe('decideToolCall', () => {
  const cases: Array<[string, ReturnType<typeof grants>, MCPServer, string, boolean, Expected]> = [
    ['allowed by an agent policy', agent('reader'), shop(), 'list', false, { verdict: 'allow', code: 'allowed', says: 'agent `reader` holds `shop.read` for tool `list` on MCPServer `shop` (AccessPolicy `readers`)' }],
    ['allowed by a group wildcard', agent('bob', 'staff'), shop(), 'restock', false, { verdict: 'allow', code: 'allowed', says: 'holds `shop.read` and `shop.write`' }],
    [
      'missing scope, named with the fix',
      agent('reader'),
      shop(),
      'edit',
      false,
      {
        verdict: 'deny',
        code: 'missing-scope',
        missing: ['shop.write'],
        says: 'tool `edit` on MCPServer `shop` needs scope `shop.write`, which agent `reader` does not hold; ask for an AccessPolicy that allows `shop.write`',
      },
    ],
    ['missing scopes, all named', agent('stranger'), shop(), 'restock', false, { verdict: 'deny', code: 'missing-scope', missing: ['shop.read', 'shop.write'], says: 'allows `shop.read` and `shop.write`' }],
    [
      'denied by policy beats an allow of `*`',
      agent('temp', 'contractors'),
      shop(),
      'exportCustomers',
      false,
      {
        verdict: 'deny',
        code: 'denied-by-policy',
        deniedBy: 'no-export',
        says: 'tool `exportCustomers` on MCPServer `shop` needs `customer.export`, which AccessPolicy `no-export` denies to agent `temp` (deny `customer.*`); deny beats allow and approval',
      },
    ],
    ['denied by policy beats approval', agent('refund-blocked'), shop(), 'refund', false, { verdict: 'deny', code: 'denied-by-policy', deniedBy: 'no-refunds', says: 'deny `shop.refund`' }],
    ['denied beats a missing scope too', agent('temp', 'contractors'), shop(undefined, { tools: [{ name: 'both', scopes: ['customer.export', 'x.y'] }] }), 'both', false, { verdict: 'deny', code: 'denied-by-policy', deniedBy: 'no-export', says: 'denies' }],
    ['approval by the manifest', agent('bob', 'staff'), shop(), 'refund', false, { verdict: 'approval', code: 'approval-by-manifest', says: 'tool `refund` on MCPServer `shop` waits for a human approval of each call (its manifest says approval: required)' }],
    [
      'approval by policy: requireApproval beats allow',
      agent('careful'),
      shop(),
      'edit',
      false,
      { verdict: 'approval', code: 'approval-by-policy', says: 'waits for a human approval of each call: agent `careful` holds `shop.write` only with approval (AccessPolicy `careful` requireApproval)' },
    ],
    ['approval is still missing-scope first', agent('reader'), shop(), 'refund', false, { verdict: 'deny', code: 'missing-scope', missing: ['shop.refund'], says: '`shop.refund`' }],
    [
      'undeclared tool, default rule: refused',
      agent('bob', 'contractors'),
      shop(),
      'secretTool',
      false,
      { verdict: 'deny', code: 'undeclared-tool', says: "tool `secretTool` is not declared in MCPServer `shop`'s manifest and undeclared tools are refused (spec.access.undeclaredTools: deny)" },
    ],
    [
      'undeclared tool with defaultScopes but rule deny: says why defaultScopes do not apply',
      agent('bob', 'contractors'),
      shop(undefined, { defaultScopes: ['shop.read'] }),
      'secretTool',
      false,
      { verdict: 'deny', code: 'undeclared-tool', says: 'spec.defaultScopes applies only with undeclaredTools: defaultScopes' },
    ],
    ['undeclared tool, defaultScopes held', agent('reader'), shop({ undeclaredTools: 'defaultScopes' }, { defaultScopes: ['shop.read'] }), 'other', false, { verdict: 'allow', code: 'allowed', says: 'for tool `other`' }],
    ['undeclared tool, defaultScopes not held', agent('stranger'), shop({ undeclaredTools: 'defaultScopes' }, { defaultScopes: ['shop.read'] }), 'other', false, { verdict: 'deny', code: 'missing-scope', missing: ['shop.read'], says: 'needs scope `shop.read`' }],
    ['undeclared tool, defaultScopes rule without scopes: refused', agent('bob', 'contractors'), shop({ undeclaredTools: 'defaultScopes' }), 'other', false, { verdict: 'deny', code: 'undeclared-tool', says: 'spec.defaultScopes is empty' }],
    [
      'anonymous, server without anonymousScopes',
      ANONYMOUS,
      shop(),
      'list',
      true,
      { verdict: 'deny', code: 'anonymous-refused', says: 'MCPServer `shop` admits no anonymous callers (spec.access.anonymousScopes is not set); authenticate with an agent key or token' },
    ],
    ['anonymous, empty anonymousScopes: refused as absent', ANONYMOUS, shop({ anonymousScopes: [] }), 'list', true, { verdict: 'deny', code: 'anonymous-refused', says: 'admits no anonymous callers' }],
    ['anonymous holding the scope', ANONYMOUS, shop({ anonymousScopes: ['shop.read'] }), 'list', true, { verdict: 'allow', code: 'allowed', says: 'an anonymous caller holds `shop.read` for tool `list` on MCPServer `shop` (spec.access.anonymousScopes)' }],
    [
      'anonymous lacking the scope',
      ANONYMOUS,
      shop({ anonymousScopes: ['shop.read'] }),
      'edit',
      true,
      { verdict: 'deny', code: 'missing-scope', missing: ['shop.write'], says: 'which an anonymous caller does not hold (it holds only `shop.read`); authenticate as an agent whose AccessPolicy allows `shop.write`' },
    ],
    ['anonymous never passes an approval', ANONYMOUS, shop({ anonymousScopes: ['shop.refund'] }), 'refund', true, { verdict: 'deny', code: 'approval-unavailable', says: 'which an anonymous caller cannot get' }],
    ['anonymous: grants passed in are ignored', agent('bob', 'staff'), shop({ anonymousScopes: ['shop.read'] }), 'edit', true, { verdict: 'deny', code: 'missing-scope', missing: ['shop.write'], says: 'an anonymous caller' }],
    ['an agent holds the anonymous scopes too', agent('stranger'), shop({ anonymousScopes: ['shop.read'] }), 'list', false, { verdict: 'allow', code: 'allowed', says: '(spec.access.anonymousScopes)' }],
    ['…unless its policy denies them', agent('temp', 'contractors'), shop({ anonymousScopes: ['customer.export'] }), 'exportCustomers', false, { verdict: 'deny', code: 'denied-by-policy', deniedBy: 'no-export', says: 'deny `customer.*`' }],
  ];

  it.each(cases)('%s', (_, g, server, tool, anonymous, expected) => {
    const { says, ...fields } = expected;
    const d = decideToolCall(g, server, tool, { anonymous });
    expect(d).toMatchObject(fields);
    expect(d.reason).toContain(says);
    if (expected.code !== 'missing-scope') expect(d.missing).toBeUndefined();
    if (expected.code !== 'denied-by-policy') expect(d.deniedBy).toBeUndefined();
  });

  it('reports the scopes the tool needs', () => {
    expect(decideToolCall(agent('reader'), shop(), 'restock').scopes).toEqual(['shop.read', 'shop.write']);
    expect(decideToolCall(agent('reader'), shop(), 'nope').scopes).toEqual([]);
  });
});

describe('decideMethod', () => {
  const exposed = shop({ resourceScopes: ['shop.read'], promptScopes: ['shop.prompts'] });
  const SESSION = ['initialize', 'ping', 'tools/list', 'notifications/initialized', 'notifications/cancelled', 'completion/complete', 'logging/setLevel'];

  it.each(SESSION)('%s: allowed when the caller may use the server', (method) => {
    expect(decideMethod(agent('reader'), shop(), method)).toMatchObject({ verdict: 'allow', code: 'allowed', scopes: [] });
  });

  it.each(SESSION)('%s: refused when it may use nothing there', (method) => {
    const d = decideMethod(agent('stranger'), shop(), method);
    expect(d).toMatchObject({ verdict: 'deny', code: 'no-access' });
    expect(d.reason).toContain('no AccessPolicy names agent `stranger`');
  });

  it.each(SESSION)('%s: anonymous without anonymousScopes is refused with the 401 code', (method) => {
    expect(decideMethod(ANONYMOUS, shop(), method, undefined, { anonymous: true }).code).toBe('anonymous-refused');
  });

  it('tools/call is decideToolCall', () => {
    expect(decideMethod(agent('reader'), shop(), 'tools/call', 'edit')).toEqual(decideToolCall(agent('reader'), shop(), 'edit'));
    expect(decideMethod(agent('reader'), shop(), 'tools/call')).toMatchObject({ verdict: 'deny', code: 'undeclared-tool', reason: 'tools/call names no tool; there is nothing to authorize' });
  });

  it.each([
    ['resources/list', agent('reader'), exposed, { verdict: 'allow', code: 'allowed' }, '`resources/list` on MCPServer `shop`'],
    ['resources/read', agent('reader'), exposed, { verdict: 'allow', code: 'allowed' }, 'holds `shop.read`'],
    ['resources/templates/list', agent('stranger'), exposed, { verdict: 'deny', code: 'missing-scope', missing: ['shop.read'] }, 'ask for an AccessPolicy that allows `shop.read`'],
    ['resources/subscribe', agent('bob', 'contractors'), shop(), { verdict: 'deny', code: 'not-exposed' }, 'MCPServer `shop` does not expose resources through the gateway (spec.access.resourceScopes is not set)'],
    ['prompts/list', agent('bob', 'staff'), exposed, { verdict: 'allow', code: 'allowed' }, 'holds `shop.prompts`'],
    ['prompts/get', agent('reader'), exposed, { verdict: 'deny', code: 'missing-scope', missing: ['shop.prompts'] }, 'needs scope `shop.prompts`'],
    ['prompts/get', agent('bob', 'contractors'), shop(), { verdict: 'deny', code: 'not-exposed' }, 'spec.access.promptScopes is not set'],
    ['prompts/get', agent('temp', 'contractors'), shop({ promptScopes: ['customer.export'] }), { verdict: 'deny', code: 'denied-by-policy', deniedBy: 'no-export' }, 'deny beats'],
    ['prompts/get', agent('careful'), shop({ promptScopes: ['shop.write'] }), { verdict: 'deny', code: 'approval-unavailable' }, 'approvals are given per tool call; ask for an AccessPolicy that allows `shop.write`'],
    ['resources/read', ANONYMOUS, shop({ anonymousScopes: ['shop.read'], resourceScopes: ['shop.read'] }), { verdict: 'allow', code: 'allowed' }, 'an anonymous caller holds'],
    ['resources/read', ANONYMOUS, exposed, { verdict: 'deny', code: 'anonymous-refused' }, 'admits no anonymous callers'],
    ['sampling/createMessage', agent('bob', 'contractors'), exposed, { verdict: 'deny', code: 'unknown-method' }, 'method `sampling/createMessage` is outside what the gateway forwards'],
    ['tools/frobnicate', agent('bob', 'contractors'), exposed, { verdict: 'deny', code: 'unknown-method' }, 'refused'],
  ] as const)('%s for %#', (method, g, server, expected, says) => {
    const d = decideMethod(g, server, method, undefined, { anonymous: g.agent === undefined });
    expect(d).toMatchObject(expected);
    expect(d.reason).toContain(says);
  });
});

describe('mayUseServer', () => {
  it.each([
    ['a declared tool it may call', agent('reader'), shop(), false, true, 'agent `reader` may call tool `list` on MCPServer `shop`'],
    ['a tool held for approval counts', agent('careful'), shop(undefined, { tools: [{ name: 'edit', scopes: ['shop.write'] }] }), false, true, 'may call tool `edit`'],
    ['no policy names it', agent('stranger'), shop(), false, false, 'agent `stranger` may use nothing on MCPServer `shop`: it would need one of `shop.read`, `shop.write`, `shop.refund`, `customer.export`, and no AccessPolicy names agent `stranger`; ask for an AccessPolicy that allows one of them'],
    ['its policies grant nothing here', agent('temp', 'contractors'), shop(undefined, { tools: [{ name: 'exportCustomers', scopes: ['customer.export'] }] }), false, false, 'it would need `customer.export`, and AccessPolicies `everything`, `no-export` do not grant it; ask for an AccessPolicy that allows `customer.export`'],
    ['resource scopes only', agent('reader'), shop({ resourceScopes: ['shop.read'] }, { tools: [] }), false, true, 'may use resources on MCPServer `shop`'],
    ['prompt scopes only', agent('reader'), shop({ promptScopes: ['shop.read'] }, { tools: [] }), false, true, 'may use prompts'],
    ['undeclared tools with their default scopes held', agent('reader'), shop({ undeclaredTools: 'defaultScopes' }, { tools: [], defaultScopes: ['shop.read'] }), false, true, 'does not list'],
    ['undeclared tools refused by default', agent('reader'), shop(undefined, { tools: [], defaultScopes: ['shop.read'] }), false, false, 'declares no tool, resource or prompt'],
    ['anonymous without anonymousScopes', ANONYMOUS, shop(), true, false, 'admits no anonymous callers'],
    ['anonymous with a usable scope', ANONYMOUS, shop({ anonymousScopes: ['shop.read'] }), true, true, 'an anonymous caller may call tool `list`'],
    ['anonymous whose scopes open only approval tools', ANONYMOUS, shop({ anonymousScopes: ['shop.refund'] }), true, false, 'an anonymous caller may use nothing on MCPServer `shop`'],
  ] as const)('%s', (_, g, server, anonymous, allowed, says) => {
    const access = mayUseServer(g, server, { anonymous });
    expect(access.allowed).toBe(allowed);
    expect(access.code).toBe(allowed ? 'allowed' : anonymous && !server.spec.access?.anonymousScopes ? 'anonymous-refused' : 'no-access');
    expect(access.reason).toContain(says);
  });
});

describe('visibleTools', () => {
  const names = ['restock', 'refund', 'list', 'undeclared', 'exportCustomers', 'edit'];
  it.each([
    ['read only', agent('reader'), false, ['list']],
    ['staff: approval tools are shown, order kept', agent('bob', 'staff'), false, ['restock', 'refund', 'list', 'edit']],
    ['approval by policy is shown', agent('careful'), false, ['restock', 'refund', 'list', 'edit']],
    ['denied tools are hidden', agent('temp', 'contractors'), false, ['restock', 'refund', 'list', 'edit']],
    ['nobody', agent('stranger'), false, []],
  ] as const)('%s', (_, g, anonymous, expected) => {
    expect(visibleTools(g, shop(), names, { anonymous })).toEqual(expected);
  });

  it('anonymous callers see what they may call without approval', () => {
    expect(visibleTools(ANONYMOUS, shop({ anonymousScopes: ['shop.read', 'shop.refund'] }), names, { anonymous: true })).toEqual(['list']);
    expect(visibleTools(ANONYMOUS, shop(), names, { anonymous: true })).toEqual([]);
  });

  it('agrees with decideToolCall on every tool: may see iff not refused', () => {
    for (const g of [agent('reader'), agent('careful'), agent('temp', 'contractors'), agent('stranger')]) {
      const visible = new Set(visibleTools(g, shop(), names));
      for (const n of names) expect(visible.has(n)).toBe(decideToolCall(g, shop(), n).verdict !== 'deny');
    }
  });
});

describe('the examples', () => {
  const repo = fileURLToPath(new URL('../../', import.meta.url));
  async function load(): Promise<{ servers: Map<string, GovernedServer>; policies: AccessPolicy[] }> {
    const { documents, problems } = await loadManifestPaths(['examples/manifests', 'examples/policies'], repo);
    expect(problems).toEqual([]);
    const objects = documents.map((d) => d.object as MCPServer | AccessPolicy);
    return {
      servers: new Map(objects.filter((o): o is MCPServer => o.kind === 'MCPServer').map((s) => [s.metadata.name, s])),
      policies: objects.filter((o): o is AccessPolicy => o.kind === 'AccessPolicy'),
    };
  }

  it('the sales copilot reads quotes and products; creating quotes and discounts are not even listed', async () => {
    const { servers, policies } = await load();
    const quote = servers.get('quote')!;
    const g = grantsFor(policies, { agent: 'sales-copilot', groups: [] });
    expect(visibleTools(g, quote, ['searchProducts', 'createQuote', 'getQuote', 'applyDiscount'])).toEqual(['searchProducts', 'getQuote']);
    expect(decideToolCall(g, quote, 'applyDiscount')).toMatchObject({ verdict: 'deny', code: 'denied-by-policy', deniedBy: 'sales-copilot' });
    expect(decideToolCall(g, quote, 'createQuote').reason).toContain('ask for an AccessPolicy that allows `quote.write`');
  });

  it('the deal desk creates quotes and waits for approval of discounts', async () => {
    const { servers, policies } = await load();
    const g = grantsFor(policies, { agent: 'analyst-7', groups: ['deal-desk-analysts'] });
    expect(decideToolCall(g, servers.get('quote')!, 'createQuote').verdict).toBe('allow');
    expect(decideToolCall(g, servers.get('quote')!, 'applyDiscount').code).toBe('approval-by-manifest');
    expect(decideToolCall(g, servers.get('salesforce-opportunity')!, 'updateOpportunityStage').code).toBe('approval-by-manifest');
    expect(mayUseServer(g, servers.get('knowledge-base')!).allowed).toBe(false);
  });

  it('everything: its tools, resources and prompts for the platform group, nothing for anyone else', async () => {
    const { servers, policies } = await load();
    const everything = servers.get('everything')!;
    const platform = grantsFor(policies, { agent: 'conformance', groups: ['platform-engineers'] });
    for (const [method, name] of [['tools/call', 'echo'], ['resources/read', 'demo://resource/static/document/1'], ['prompts/get', 'simple-prompt'], ['tools/list', undefined]] as const) {
      expect(decideMethod(platform, everything, method, name).verdict, method).toBe('allow');
    }
    expect(mayUseServer(grantsFor(policies, { agent: 'sales-copilot', groups: [] }), everything).allowed).toBe(false);
  });
});
