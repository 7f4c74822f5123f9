/**
 * The effective stage: what approvals for the CURRENT spec support. Spec and
 * image changes after an approval, the per-risk rules (two distinct approvers for
 * high-risk production), rejections, and what the two hashes cover.
 */
import { describe, expect, it } from 'vitest';
import { codeHash, reviewHash } from './approval-hash.ts';
import { DEFAULT_APPROVAL_POLICY, effectiveStageOf, type ApprovalPolicy } from './approval.ts';
import type { ApprovableStage, MCPServerSpec, Risk, StageApproval } from './types.ts';

const NOW = new Date('2026-06-01T00:00:00Z');

function spec(over: Partial<MCPServerSpec> = {}): MCPServerSpec {
  return {
    owner: { team: 'sales' },
    environment: 'production',
    lifecycle: 'approved-production',
    risk: 'low',
    dataClassification: 'internal',
    runtime: { image: 'ghcr.io/acme/quote:1', transport: 'streamable-http', env: { MODE: 'x' }, replicas: 1 },
    tools: [{ name: 'getQuote', scopes: ['quotes.read'] }],
    ...over,
  };
}

function decision(s: MCPServerSpec, stage: ApprovableStage, by: string, d: 'approved' | 'rejected' = 'approved', note?: string): StageApproval {
  return { stage, decision: d, by, role: 'approver', at: '2026-05-01T00:00:00.000Z', specHash: reviewHash(s), codeHash: codeHash(s), ...(note ? { note } : {}) };
}

const effective = (s: MCPServerSpec, approvals: StageApproval[], policy?: ApprovalPolicy) => effectiveStageOf({ metadata: { approvals }, spec: s }, NOW, policy);

describe('effectiveStage', () => {
  it('a publisher requesting approved-production without approvals gets security-review, naming the approval missing', () => {
    const s = spec();
    expect(effective(s, [])).toEqual({
      requested: 'approved-production',
      effective: 'security-review',
      approvedFor: 'none',
      spec8: reviewHash(s).slice(0, 8),
      missing: { stage: 'approved-production', reason: `no approval of spec ${reviewHash(s).slice(0, 8)} for approved-production` },
    });
  });

  it('draft, submitted and security-review need no approval', () => {
    for (const lifecycle of ['draft', 'submitted', 'security-review'] as const) expect(effective(spec({ lifecycle }), []).effective).toBe(lifecycle);
  });

  it('a spec change after a production approval falls back; the stale approval is named', () => {
    const s = spec();
    const approvals = [decision(s, 'approved-dev', 'tok_a'), decision(s, 'approved-production', 'tok_a')];
    expect(effective(s, approvals).effective).toBe('approved-production');
    const scoped = spec({ tools: [{ name: 'getQuote', scopes: ['quotes.read', 'quotes.write'] }] });
    const after = effective(scoped, approvals);
    // Low risk: the dev approval is bound to the code only, which did not change.
    expect(after).toMatchObject({ effective: 'approved-dev', approvedFor: 'dev' });
    expect(after.missing?.reason).toBe(`no approval of spec ${reviewHash(scoped).slice(0, 8)} for approved-production; approvals of an earlier spec no longer count (the spec changed since)`);
  });

  it('a changed image always needs re-approval, for dev too', () => {
    const s = spec({ lifecycle: 'approved-dev', environment: 'dev' });
    const approvals = [decision(s, 'approved-dev', 'tok_a')];
    expect(effective(s, approvals).effective).toBe('approved-dev');
    const moved = spec({ lifecycle: 'approved-dev', environment: 'dev', runtime: { ...s.runtime!, image: 'ghcr.io/acme/quote:2' } });
    expect(effective(moved, approvals)).toMatchObject({ effective: 'security-review', missing: { stage: 'approved-dev' } });
    expect(effective(moved, approvals).missing?.reason).toContain('what runs changed since');
    const shell = spec({ lifecycle: 'approved-dev', environment: 'dev', runtime: { ...s.runtime!, local: { command: '/bin/sh' } } });
    expect(effective(shell, approvals).effective).toBe('security-review');
  });

  it('capacity changes keep a dev approval of a low-risk server (code binding), not of a high-risk one (review binding)', () => {
    const low = spec({ lifecycle: 'approved-dev', environment: 'dev' });
    const lowScaled = spec({ lifecycle: 'approved-dev', environment: 'dev', runtime: { ...low.runtime!, replicas: 3 } });
    expect(effective(lowScaled, [decision(low, 'approved-dev', 'tok_a')]).effective).toBe('approved-dev');
    const high = spec({ lifecycle: 'approved-dev', environment: 'dev', risk: 'high' });
    const highScaled = spec({ lifecycle: 'approved-dev', environment: 'dev', risk: 'high', runtime: { ...high.runtime!, replicas: 3 } });
    expect(effective(highScaled, [decision(high, 'approved-dev', 'tok_a')]).effective).toBe('security-review');
  });

  it('lifecycle, deprecation and description changes keep approvals', () => {
    const s = spec();
    const approvals = [decision(s, 'approved-production', 'tok_a')];
    const dep = spec({ lifecycle: 'deprecated', deprecation: { date: '2026-12-31' }, description: 'old' });
    expect(effective(dep, approvals)).toMatchObject({ effective: 'deprecated', approvedFor: 'production' });
    expect(effective(spec({ lifecycle: 'monitored' }), approvals).effective).toBe('monitored');
  });

  it('a deprecated server past its date is retired', () => {
    const dep = spec({ lifecycle: 'deprecated', deprecation: { date: '2026-05-31' } });
    expect(effective(dep, [decision(dep, 'approved-production', 'tok_a')])).toMatchObject({ effective: 'retired', expired: '2026-05-31' });
  });

  it('high risk: one approval leaves production unapproved, the same approver twice still counts once, two distinct approvers approve', () => {
    const s = spec({ risk: 'high' });
    const one = [decision(s, 'approved-production', 'tok_a')];
    expect(effective(s, one)).toMatchObject({
      effective: 'approved-dev',
      missing: { stage: 'approved-production', reason: `1 of 2 distinct approvals (high risk) of spec ${reviewHash(s).slice(0, 8)} for approved-production` },
    });
    expect(effective(s, [...one, decision(s, 'approved-production', 'tok_a')]).effective).toBe('approved-dev');
    expect(effective(s, [...one, decision(s, 'approved-production', 'tok_b')]).effective).toBe('approved-production');
  });

  it("a rejection vetoes its stage until that approver approves again; each approver's latest decision counts", () => {
    const s = spec();
    const approvals = [decision(s, 'approved-production', 'tok_a'), decision(s, 'approved-production', 'tok_b', 'rejected', 'no rate limit')];
    // tok_a's production approval still approves dev; tok_b rejected production only.
    expect(effective(s, approvals)).toMatchObject({ effective: 'approved-dev', missing: { reason: expect.stringContaining('rejected by tok_b') as string } });
    expect(effective(s, [...approvals, decision(s, 'approved-production', 'tok_b')]).effective).toBe('approved-production');
    // A rejected dev stage vetoes production too.
    expect(effective(s, [decision(s, 'approved-production', 'tok_a'), decision(s, 'approved-dev', 'tok_b', 'rejected')]).approvedFor).toBe('none');
  });

  it('the policy is a parameter: e.g. three approvers for medium-risk production', () => {
    const s = spec({ risk: 'medium' });
    const policy = { ...DEFAULT_APPROVAL_POLICY, medium: { ...DEFAULT_APPROVAL_POLICY.medium, 'approved-production': { approvers: 3, binding: 'review' as const } } };
    const two = [decision(s, 'approved-production', 'tok_a'), decision(s, 'approved-production', 'tok_b')];
    expect(effective(s, two).effective).toBe('approved-production');
    expect(effective(s, two, policy).effective).toBe('approved-dev');
  });

  it.each(['low', 'medium', 'high'] as Risk[])('%s risk: the review hash covers tools, scopes, env and routing; the code hash image, command, env and transport', (risk) => {
    const s = spec({ risk });
    const r = reviewHash(s);
    const c = codeHash(s);
    expect(reviewHash(spec({ risk, routing: { path: '/mcp/other' } }))).not.toBe(r);
    expect(reviewHash(spec({ risk, tools: [{ name: 'getQuote', scopes: ['admin'] }] }))).not.toBe(r);
    expect(codeHash(spec({ risk, runtime: { ...s.runtime!, env: { MODE: 'y' } } }))).not.toBe(c);
    expect(codeHash(spec({ risk, runtime: { ...s.runtime!, transport: 'stdio' } }))).not.toBe(c);
    expect(codeHash(spec({ risk, runtime: { ...s.runtime!, command: ['sh'] } }))).not.toBe(c);
    expect(codeHash(spec({ risk, runtime: { ...s.runtime!, replicas: 4 } }))).toBe(c);
    expect(reviewHash(spec({ risk, lifecycle: 'draft', description: 'x' }))).toBe(r);
  });
});
