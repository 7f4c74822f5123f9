/**
 * What the schemas and checks accept of the policy model: scope patterns in
 * policies (wildcards only at the end) and exact scopes in manifests, rate limits,
 * and `spec.access` (undeclaredTools: defaultScopes needs defaultScopes).
 */
import { describe, expect, it } from 'vitest';
import { mcpServer } from '../../test/support/manifests.ts';
import { validateObject } from './index.ts';
import { API_VERSION } from './resource.ts';
import type { AccessPolicySpec, AccessSpec, MCPServerSpec } from './types.ts';

const PATTERN_MESSAGE = 'must be a dotted scope like `salesforce.read`, optionally ending in `.*` (`salesforce.*`), or `*`';
const SCOPE_MESSAGE = "must be a dotted scope like `salesforce.opportunity.update`: lower-case segments of letters, digits, '_' and '-' (no wildcard here)";

function policyProblems(spec: Partial<AccessPolicySpec>): string[] {
  const obj = { apiVersion: API_VERSION, kind: 'AccessPolicy', metadata: { name: 'p' }, spec: { subjects: [{ agent: 'a' }], allow: [], ...spec } };
  return validateObject(obj).map((p) => `${p.path}: ${p.message}`);
}

function serverProblems(access: AccessSpec, extra: Partial<MCPServerSpec> = {}): string[] {
  const obj = mcpServer('shop', { runtime: { image: 'ghcr.io/acme/shop:1.0.0', transport: 'streamable-http' }, access, ...extra });
  return validateObject(obj).map((p) => `${p.path}: ${p.message}`);
}

describe('policy scope patterns', () => {
  it.each(['quote.read', 'salesforce.opportunity.update', 'salesforce.*', 'salesforce.opportunity.*', '*', 'a_b-c.d1'])('%s is valid in allow, requireApproval and deny', (pattern) => {
    expect(policyProblems({ allow: [pattern], requireApproval: [pattern], deny: [pattern] })).toEqual([]);
  });

  it.each(['sales*', '*.read', 'salesforce.*.update', 'salesforce.', 'Sales.read', '**', '.*', 'quote read'])('%s is refused with a readable message', (pattern) => {
    expect(policyProblems({ deny: [pattern] })).toEqual([`spec.deny[0]: ${PATTERN_MESSAGE} (got ${JSON.stringify(pattern)})`]);
  });
});

describe('rate limits', () => {
  it.each([{ requestsPerMinute: 1 }, { requestsPerMinute: 600, burst: 60 }, { requestsPerMinute: 100000, burst: 100000 }])('%j is valid', (limit) => {
    expect(policyProblems({ rateLimit: limit, serverRateLimit: limit })).toEqual([]);
  });

  it.each([
    [{ requestsPerMinute: 0 }, 'spec.rateLimit.requestsPerMinute: must be at least 1 (got 0)'],
    [{ requestsPerMinute: 10, burst: 0 }, 'spec.rateLimit.burst: must be at least 1 (got 0)'],
    [{ burst: 10 }, 'spec.rateLimit.requestsPerMinute: is required — Sustained rate: tokens added per minute'],
  ] as const)('%j is refused', (limit, message) => {
    expect(policyProblems({ rateLimit: limit as AccessPolicySpec['rateLimit'] })).toEqual([message]);
  });
});

describe('spec.access', () => {
  it('accepts every field', () => {
    const access: AccessSpec = {
      undeclaredTools: 'defaultScopes',
      anonymousScopes: ['shop.read'],
      resourceScopes: ['shop.read'],
      promptScopes: ['shop.prompts'],
      auditPayloads: 'arguments-and-results',
    };
    expect(serverProblems(access, { defaultScopes: ['shop.read'] })).toEqual([]);
  });

  it.each([
    [{ undeclaredTools: 'defaultScopes' }, {}, 'spec.access.undeclaredTools: undeclaredTools: defaultScopes needs spec.defaultScopes with at least one scope'],
    [{ undeclaredTools: 'defaultScopes' }, { defaultScopes: [] }, 'spec.access.undeclaredTools: undeclaredTools: defaultScopes needs spec.defaultScopes'],
    [{ anonymousScopes: ['shop.*'] }, {}, `spec.access.anonymousScopes[0]: ${SCOPE_MESSAGE}`],
    [{ resourceScopes: [] }, {}, 'spec.access.resourceScopes: '],
    [{ auditPayloads: 'everything' }, {}, 'spec.access.auditPayloads: must be one of none, arguments, arguments-and-results'],
  ] as const)('%j (with %j) is refused', (access, extra, message) => {
    const problems = serverProblems(access as AccessSpec, extra as Partial<MCPServerSpec>);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(message);
  });

  it('allows an empty anonymousScopes (the same as none) and defaultScopes without the rule (unused)', () => {
    expect(serverProblems({ anonymousScopes: [] }, { defaultScopes: ['shop.read'] })).toEqual([]);
  });
});
