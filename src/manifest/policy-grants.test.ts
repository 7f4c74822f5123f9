/**
 * Scope patterns and the grants a caller's policies add up to: which policies
 * apply (agent and group subjects; never to an anonymous caller), the union of
 * their patterns with the policy each came from, and the tightest rate limits.
 */
import { describe, expect, it } from 'vitest';
import { grantsFor, scopeMatches } from './policy-grants.ts';
import { API_VERSION } from './resource.ts';
import type { AccessPolicy, AccessPolicySpec } from './types.ts';

function policy(name: string, spec: Partial<AccessPolicySpec> & Pick<AccessPolicySpec, 'subjects'>): AccessPolicy {
  return { apiVersion: API_VERSION, kind: 'AccessPolicy', metadata: { name }, spec: { allow: [], ...spec } };
}

describe('scopeMatches', () => {
  it.each([
    ['quote.read', 'quote.read', true],
    ['quote.read', 'quote.write', false],
    ['quote.read', 'quote.read.all', false],
    ['salesforce.*', 'salesforce.read', true],
    ['salesforce.*', 'salesforce.opportunity.update', true],
    ['salesforce.*', 'salesforcex.read', false],
    ['salesforce.*', 'salesforce', false],
    ['salesforce.opportunity.*', 'salesforce.opportunity.update', true],
    ['salesforce.opportunity.*', 'salesforce.read', false],
    ['*', 'anything.at.all', true],
    ['*', 'x', true],
    // Not admitted by the schema; a `*` elsewhere is no wildcard.
    ['sales*', 'salesforce.read', false],
    ['sales*', 'sales*', true],
  ] as const)('%s covers %s: %s', (pattern, scope, expected) => {
    expect(scopeMatches(pattern, scope)).toBe(expected);
  });
});

describe('grantsFor', () => {
  const policies = [
    policy('by-agent', { subjects: [{ agent: 'deal-desk' }], allow: ['quote.*'], deny: ['customer.export'] }),
    policy('by-group', { subjects: [{ group: 'analysts' }, { agent: 'someone-else' }], allow: ['salesforce.read'], requireApproval: ['discount.approve'] }),
    policy('other-group', { subjects: [{ group: 'admins' }], allow: ['*'] }),
    policy('other-agent', { subjects: [{ agent: 'deal-desk-2' }], allow: ['*'] }),
  ];

  it('unites every policy that names the agent or one of its groups, each pattern with its policy', () => {
    expect(grantsFor(policies, { agent: 'deal-desk', groups: ['analysts', 'sales'] })).toEqual({
      agent: 'deal-desk',
      allow: [
        { pattern: 'quote.*', policy: 'by-agent' },
        { pattern: 'salesforce.read', policy: 'by-group' },
      ],
      requireApproval: [{ pattern: 'discount.approve', policy: 'by-group' }],
      deny: [{ pattern: 'customer.export', policy: 'by-agent' }],
      policies: ['by-agent', 'by-group'],
    });
  });

  it.each([
    ['the agent alone', { agent: 'deal-desk', groups: [] }, ['by-agent']],
    ['a group alone', { agent: 'new-agent', groups: ['analysts'] }, ['by-group']],
    ['neither', { agent: 'stranger', groups: ['visitors'] }, []],
    ['an anonymous caller, whatever groups it claims', { groups: ['admins', 'analysts'] }, []],
    ['agent names exactly, not by prefix', { agent: 'deal', groups: [] }, []],
  ] as const)('%s', (_, caller, names) => {
    expect(grantsFor(policies, caller).policies).toEqual(names);
  });

  it('keeps no agent for an anonymous caller', () => {
    expect(grantsFor(policies, { groups: [] })).toEqual({ allow: [], requireApproval: [], deny: [], policies: [] });
  });

  describe('rate limits', () => {
    const subjects = [{ agent: 'a' }];
    it.each([
      ['none set: absent', [policy('p', { subjects })], undefined],
      ['burst defaults to the rate', [policy('p', { subjects, rateLimit: { requestsPerMinute: 60 } })], { requestsPerMinute: 60, burst: 60, policies: ['p'] }],
      [
        'the smallest rate and the smallest burst, each on its own',
        [
          policy('slow', { subjects, rateLimit: { requestsPerMinute: 30, burst: 100 } }),
          policy('small-burst', { subjects, rateLimit: { requestsPerMinute: 600, burst: 5 } }),
          policy('loose', { subjects, rateLimit: { requestsPerMinute: 1000, burst: 1000 } }),
        ],
        { requestsPerMinute: 30, burst: 5, policies: ['slow', 'small-burst'] },
      ],
      [
        'only from policies that apply',
        [policy('mine', { subjects, rateLimit: { requestsPerMinute: 100 } }), policy('theirs', { subjects: [{ agent: 'b' }], rateLimit: { requestsPerMinute: 1 } })],
        { requestsPerMinute: 100, burst: 100, policies: ['mine'] },
      ],
    ] as const)('%s', (_, list, expected) => {
      const grants = grantsFor(list, { agent: 'a', groups: [] });
      expect(grants.rateLimit).toEqual(expected);
      expect(grants.serverRateLimit).toBeUndefined();
    });

    it('keeps the per-server bucket apart from the per-agent one', () => {
      const list = [
        policy('p', { subjects, rateLimit: { requestsPerMinute: 600, burst: 50 }, serverRateLimit: { requestsPerMinute: 120, burst: 10 } }),
        policy('q', { subjects, serverRateLimit: { requestsPerMinute: 60 } }),
      ];
      const grants = grantsFor(list, { agent: 'a', groups: [] });
      expect(grants.rateLimit).toEqual({ requestsPerMinute: 600, burst: 50, policies: ['p'] });
      expect(grants.serverRateLimit).toEqual({ requestsPerMinute: 60, burst: 10, policies: ['p', 'q'] });
    });
  });
});
