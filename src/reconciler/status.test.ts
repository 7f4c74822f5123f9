import { describe, expect, it } from 'vitest';
import { ConditionType, Reason } from '../manifest/conditions.ts';
import type { MCPServerStatus } from '../manifest/types.ts';
import type { RuntimeState } from '../providers/provider.ts';
import { findCondition, setCondition, statusChanged, statusForFailure, statusForRetirement, statusFromRuntime } from './status.ts';

const approval = { status: 'True' as const, reason: Reason.LifecycleAllows, message: "lifecycle stage 'approved-dev' allows deployment to dev" };
const T1 = '2026-01-01T00:00:00.000Z';
const T2 = '2026-01-01T00:01:00.000Z';
const T3 = '2026-01-01T00:02:00.000Z';

function fromState(prior: MCPServerStatus | undefined, state: RuntimeState, now: string, generation = 1, drift: string[] = []): MCPServerStatus {
  return statusFromRuntime(prior, { generation, approval, state, provider: 'local', drift, now });
}

const ready: RuntimeState = {
  phase: 'Ready',
  reason: Reason.Ready,
  message: 'serving on http://127.0.0.1:4100/mcp',
  endpoint: 'http://127.0.0.1:4100/mcp',
  tools: [{ name: 'quote' }],
  health: { status: 'Healthy', lastChecked: T1 },
  details: { pid: 42 },
};

describe('status', () => {
  it('moves lastTransitionTime only when a condition flips', () => {
    let c = setCondition([], { type: 'Ready', status: 'False', reason: 'Starting', message: 'starting' }, T1, 1);
    c = setCondition(c, { type: 'Ready', status: 'False', reason: 'Unhealthy', message: 'health check failed' }, T2, 1);
    expect(c).toEqual([{ type: 'Ready', status: 'False', reason: 'Unhealthy', message: 'health check failed', lastTransitionTime: T1, observedGeneration: 1 }]);
    c = setCondition(c, { type: 'Ready', status: 'True', reason: 'Ready', message: 'ok' }, T3, 2);
    expect(c[0]?.lastTransitionTime).toBe(T3);
    expect(c[0]?.observedGeneration).toBe(2);
  });

  it('maps a Ready runtime to phase Ready with all conditions, endpoint, tools and runtime details', () => {
    const s = fromState(undefined, ready, T1, 3);
    expect(s.phase).toBe('Ready');
    expect(s.observedGeneration).toBe(3);
    expect(s.endpoint).toBe(ready.endpoint);
    expect(s.tools).toEqual([{ name: 'quote' }]);
    expect(s.runtime).toEqual({ provider: 'local', pid: 42 });
    expect(s.conditions?.map((c) => [c.type, c.status])).toEqual([
      [ConditionType.Approved, 'True'],
      [ConditionType.Ready, 'True'],
      [ConditionType.Progressing, 'False'],
      [ConditionType.Degraded, 'False'],
    ]);
  });

  it('a second identical pass is not a change, even though health.lastChecked moved', () => {
    const first = fromState(undefined, ready, T1);
    const second = fromState(first, { ...ready, health: { status: 'Healthy', lastChecked: T2 } }, T2);
    expect(statusChanged(first, second)).toBe(false);
    expect(findCondition(second, 'Ready')?.lastTransitionTime).toBe(T1);
  });

  it('a crash shows as Degraded with the reason, and Ready flips with a new transition time', () => {
    const first = fromState(undefined, ready, T1);
    const crashed = fromState(first, { phase: 'Degraded', reason: Reason.CrashLoop, message: 'exited with code 3 four times in 10 s' }, T2);
    expect(statusChanged(first, crashed)).toBe(true);
    expect(crashed.phase).toBe('Degraded');
    expect(findCondition(crashed, 'Degraded')).toMatchObject({ status: 'True', reason: 'CrashLoop', lastTransitionTime: T2 });
    expect(findCondition(crashed, 'Ready')).toMatchObject({ status: 'False', reason: 'CrashLoop', lastTransitionTime: T2 });
    expect(findCondition(crashed, 'Approved')?.lastTransitionTime).toBe(T1);
    // Tools are kept from the last time they were discovered while the server is only degraded.
    expect(crashed.tools).toEqual([{ name: 'quote' }]);
  });

  it('Conflict appears while a foreign resource blocks and disappears after; Drifted records a correction', () => {
    const blocked = fromState(undefined, { phase: 'Conflict', reason: Reason.ForeignResource, message: 'service berth-a exists without Berth tags' }, T1);
    expect(blocked.phase).toBe('Degraded');
    expect(findCondition(blocked, 'Conflict')?.status).toBe('True');
    const fine = fromState(blocked, ready, T2, 1, ['desired count 3 → 1']);
    expect(findCondition(fine, 'Conflict')).toBeUndefined();
    expect(findCondition(fine, 'Drifted')).toMatchObject({ status: 'True', reason: 'DriftCorrected' });
    expect(findCondition(fine, 'Drifted')?.message).toContain('desired count 3 → 1');
  });

  it('retirement: Retiring while in progress, then Retired without endpoint or tools', () => {
    const running = fromState(undefined, ready, T1);
    const base = { generation: 2, cause: 'retired' as const, approval: { status: 'False' as const, reason: Reason.LifecycleRetired, message: 'retired' }, message: 'lifecycle retired' };
    const retiring = statusForRetirement(running, { ...base, inProgress: true, now: T2 });
    expect(retiring.phase).toBe('Retiring');
    expect(findCondition(retiring, 'Progressing')).toMatchObject({ status: 'True', reason: 'Retiring' });
    const retired = statusForRetirement(retiring, { ...base, inProgress: false, now: T3 });
    expect(retired).toMatchObject({ phase: 'Retired', observedGeneration: 2 });
    expect(retired.endpoint).toBeUndefined();
    expect(retired.tools).toBeUndefined();
    expect(findCondition(retired, 'Ready')).toMatchObject({ status: 'False', reason: 'Retired', lastTransitionTime: T2 });
  });

  it('a retryable failure marks Degraded but leaves Ready alone; a terminal one records the generation', () => {
    const running = fromState(undefined, ready, T1);
    const flaky = statusForFailure(running, { generation: 1, message: 'ECS throttled', code: 'ThrottlingException', terminal: false, now: T2 });
    expect(findCondition(flaky, 'Ready')?.status).toBe('True');
    expect(findCondition(flaky, 'Degraded')).toMatchObject({ status: 'True', reason: 'ProviderError' });
    expect(flaky.phase).toBe('Ready');
    const dead = statusForFailure(running, { generation: 2, message: 'image not found', code: 'CannotPullImage', terminal: true, now: T2 });
    expect(dead.phase).toBe('Degraded');
    expect(findCondition(dead, 'Ready')?.message).toContain('not retried until the manifest changes');
    expect(dead.runtime?.['terminalError']).toEqual({ generation: 2, code: 'CannotPullImage', message: 'image not found' });
  });

  it('a retryable failure of a server that is not serving says when it is tried again and makes it Degraded; a terminal one records the restart marker', () => {
    const failed = statusForFailure(undefined, { generation: 1, message: 'could not start x: /opt/x.sh was not found', code: 'spawn_failed', terminal: false, now: T1, retryInMs: 20_000 });
    expect(failed.phase).toBe('Degraded');
    expect(findCondition(failed, 'Degraded')?.message).toBe(`could not start x: /opt/x.sh was not found; next retry in 20 s, at ${new Date(Date.parse(T1) + 20_000).toISOString()}`);
    const dead = statusForFailure(undefined, { generation: 1, message: 'bad', code: 'invalid_spec', terminal: true, now: T1, restartedAt: '2026-06-01T00:00:00.000Z' });
    expect(dead.runtime?.['terminalError']).toEqual({ generation: 1, code: 'invalid_spec', message: 'bad', restartedAt: '2026-06-01T00:00:00.000Z' });
    expect(findCondition(dead, 'Ready')?.message).toContain('berth rollout restart');
  });
});
