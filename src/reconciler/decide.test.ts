import { afterAll, describe, expect, it } from 'vitest';
import { RECONCILER_FINALIZER } from '../manifest/conditions.ts';
import type { MCPServer } from '../manifest/types.ts';
import { createLocalProvider } from '../providers/local/index.ts';
import { createRemoteProvider } from '../providers/remote/index.ts';
import { serverManifest, tempDir, testLogger } from '../../test/fixtures/reconciler/helpers.ts';
import { withApprovals } from '../../test/support/approvals.ts';
import { decide, type Decision } from './decide.ts';
import { actionCount, explain, planServer, planToJson } from './plan.ts';

// Real providers: creating them starts nothing; decide only asks handles().
const state = tempDir('decide');
const local = createLocalProvider({ logger: testLogger(), stateDir: state.dir, nodePath: process.execPath });
const remote = createRemoteProvider({ logger: testLogger() });
const providers = [local, remote];
afterAll(async () => {
  await local.close();
  await remote.close();
  state.remove();
});

function stored(name: string, spec: Parameters<typeof serverManifest>[1] = {}, meta: Partial<MCPServer['metadata']> = {}, status?: MCPServer['status']): MCPServer {
  // Approved for production (by two approvers), so each test is about its own gate; approval itself is tested in src/manifest/approval.test.ts.
  const s = withApprovals(serverManifest(name, spec));
  return { ...s, metadata: { ...s.metadata, generation: 1, resourceVersion: '7', ...meta }, ...(status ? { status } : {}) };
}
const withFinalizer = { finalizers: [RECONCILER_FINALIZER] };
const remoteSpec = { runtime: undefined, remote: { url: 'https://crm.example.com/mcp', transport: 'streamable-http' as const } };
const NOW = new Date('2026-06-01T00:00:00Z');
const names = (d: Decision) => (d.kind === 'skip' ? [] : d.retireFrom.map((p) => p.name));

describe('decide', () => {
  it('absent object: retire whatever any provider still runs (orphan)', () => {
    const d = decide('ghost', undefined, { providers, now: NOW });
    expect(d).toMatchObject({ kind: 'retire', cause: 'orphan', removeFinalizer: false });
    expect(names(d)).toEqual(['local', 'remote']);
  });

  it('another environment is left entirely alone, even when deleting', () => {
    expect(decide('a', stored('a', { environment: 'staging' }), { providers, environment: 'dev', now: NOW })).toMatchObject({ kind: 'skip', cause: 'other-environment' });
    const deleting = stored('a', { environment: 'staging' }, { ...withFinalizer, deletionTimestamp: '2026-01-01T00:00:00Z' });
    expect(decide('a', deleting, { providers, environment: 'dev', now: NOW }).kind).toBe('skip');
  });

  it('deletion retires through every provider, then removes the finalizer; without our finalizer there is nothing to do', () => {
    const d = decide('a', stored('a', {}, { ...withFinalizer, deletionTimestamp: '2026-01-01T00:00:00Z' }), { providers, now: NOW });
    expect(d).toMatchObject({ kind: 'retire', cause: 'deleted', removeFinalizer: true });
    expect(names(d)).toEqual(['local', 'remote']);
    expect(decide('a', stored('a', {}, { deletionTimestamp: '2026-01-01T00:00:00Z' }), { providers, now: NOW })).toMatchObject({ kind: 'skip', cause: 'nothing' });
  });

  it("lifecycle 'retired' retires and keeps the object; only a finalized object can have a runtime", () => {
    const d = decide('a', stored('a', { lifecycle: 'retired' }, withFinalizer), { providers, now: NOW });
    expect(d).toMatchObject({ kind: 'retire', cause: 'retired', removeFinalizer: true, approval: { status: 'False', reason: 'LifecycleRetired' } });
    const never = decide('a', stored('a', { lifecycle: 'retired' }), { providers, now: NOW });
    expect(names(never)).toEqual([]);
  });

  it.each(['draft', 'submitted', 'security-review'] as const)("lifecycle '%s' is not deployed and says how to deploy", (stage) => {
    const d = decide('a', stored('a', { lifecycle: stage }), { providers, now: NOW });
    expect(d).toMatchObject({
      kind: 'retire',
      cause: 'not-deployed',
      removeFinalizer: false,
      approval: { status: 'False', reason: 'LifecycleDraft', message: `lifecycle stage '${stage}' is not deployed; request approved-dev in spec.lifecycle and ask an approver to approve it` },
    });
    expect(names(d)).toEqual([]);
    // Moved back to draft after running: whatever runs is retired.
    expect(names(decide('a', stored('a', { lifecycle: stage }, withFinalizer), { providers, now: NOW }))).toEqual(['local', 'remote']);
  });

  it('production needs approved-production; deprecated still runs', () => {
    expect(decide('a', stored('a', { environment: 'production', lifecycle: 'approved-dev' }), { providers, now: NOW })).toMatchObject({
      kind: 'retire',
      cause: 'not-deployed',
      approval: { reason: 'NotDeployed', message: "lifecycle stage 'approved-dev' is not deployed to production; request approved-production and ask an approver to approve it" },
    });
    expect(decide('a', stored('a', { environment: 'production', lifecycle: 'approved-production' }), { providers, now: NOW }).kind).toBe('deploy');
    const dep = decide('a', stored('a', { lifecycle: 'deprecated', deprecation: { date: '2026-12-31', replacement: 'quote-v2' } }), { providers, now: NOW });
    expect(dep).toMatchObject({ kind: 'deploy', approval: { status: 'True', reason: 'LifecycleAllows', message: "lifecycle stage 'deprecated' still runs (until 2026-12-31; use quote-v2 instead)" } });
  });

  it.each(['submitted', 'security-review'] as const)("lifecycle '%s' in production is not deployed and says to approve it for production", (stage) => {
    expect(decide('a', stored('a', { environment: 'production', lifecycle: stage }), { providers, now: NOW })).toMatchObject({
      kind: 'retire',
      cause: 'not-deployed',
      approval: { status: 'False', reason: 'LifecycleDraft', message: `lifecycle stage '${stage}' is not deployed; request approved-production in spec.lifecycle and ask an approver to approve it` },
    });
  });

  it('the first provider that handles the spec deploys it; a move between runtimes retires the old one', () => {
    expect(decide('a', stored('a'), { providers, now: NOW })).toMatchObject({ kind: 'deploy', provider: { name: 'local' }, retireFrom: [] });
    const moved = decide('a', stored('a', remoteSpec, withFinalizer, { runtime: { provider: 'local' } }), { providers, now: NOW });
    expect(moved).toMatchObject({ kind: 'deploy', provider: { name: 'remote' } });
    expect(names(moved)).toEqual(['local']);
  });

  it('no provider for the spec: not deployed, saying what would fix it', () => {
    const d = decide('a', stored('a'), { providers: [remote], now: NOW });
    expect(d).toMatchObject({ kind: 'retire', cause: 'not-deployed' });
    expect(d.reason).toBe('no runtime provider of this reconciler (remote) handles spec.runtime.local; add spec.runtime.local to run it locally, or run a reconciler with a provider for it');
  });

  it('a terminal failure blocks retries of that generation only', () => {
    const failed = { runtime: { terminalError: { generation: 1, code: 'invalid_spec', message: 'command not found' } } };
    expect(decide('a', stored('a', {}, withFinalizer, failed), { providers, now: NOW })).toMatchObject({ kind: 'skip', cause: 'blocked' });
    expect(decide('a', stored('a', {}, { ...withFinalizer, generation: 2 }, failed), { providers, now: NOW }).kind).toBe('deploy');
  });

  it('a rollout restart (a new berth.dev/restartedAt) tries a permanently failed generation again; the same marker stays blocked', () => {
    const failed = { runtime: { terminalError: { generation: 1, code: 'invalid_spec', message: 'bad', restartedAt: '2026-06-01T00:00:00.000Z' } } };
    const same = { ...withFinalizer, annotations: { 'berth.dev/restartedAt': '2026-06-01T00:00:00.000Z' } };
    const blocked = decide('a', stored('a', {}, same, failed), { providers, now: NOW });
    expect(blocked).toMatchObject({ kind: 'skip', cause: 'blocked' });
    expect(blocked.reason).toContain('berth rollout restart server a');
    const restarted = { ...withFinalizer, annotations: { 'berth.dev/restartedAt': '2026-06-01T00:05:00.000Z' } };
    expect(decide('a', stored('a', {}, restarted, failed), { providers, now: NOW }).kind).toBe('deploy');
  });
});

describe('planServer / explain', () => {
  it('combines the decision with the provider’s own plan, purely', async () => {
    const server = stored('alpha');
    const d = decide('alpha', server, { providers, now: NOW });
    const observed = new Map<string, unknown>([['local', await local.observe('alpha')]]);
    const a = planServer('alpha', server, d, observed);
    const b = planServer('alpha', server, d, observed);
    expect(planToJson(a)).toEqual(planToJson(b));
    expect(actionCount(a)).toBe(1);
    expect(a.desired?.specHash).toMatch(/^[0-9a-f]{64}$/);
    expect(explain(a)).toBe(
      [
        'MCPServer/alpha (generation 1): deploy with local',
        "  why: lifecycle stage 'approved-dev' allows deployment to dev; runtime 'local' handles it",
        '  + start process alpha [local]: not running',
      ].join('\n'),
    );
    const skip = planServer('x', stored('x', { environment: 'staging' }), decide('x', stored('x', { environment: 'staging' }), { providers, environment: 'dev', now: NOW }), new Map());
    expect(explain(skip)).toBe("MCPServer/x (generation 1): skip (other-environment)\n  why: environment 'staging' is served by another reconciler (this one serves 'dev')");
  });
});
