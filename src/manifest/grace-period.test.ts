/**
 * `runtime.healthCheck.gracePeriodSeconds` has a floor: 0 made a server that needs
 * a moment to start fail its checks at once and crash-loop for ever. The refusal
 * says why and what to write.
 */
import { describe, expect, it } from 'vitest';
import { validateObject, type MCPServer } from './index.ts';
import { mcpServer } from '../../test/support/manifests.ts';

function withGrace(gracePeriodSeconds: number): MCPServer {
  return mcpServer('slow-start', { runtime: { image: 'ghcr.io/acme/slow:1.0.0', transport: 'streamable-http', healthCheck: { path: '/healthz', gracePeriodSeconds } } });
}

describe('healthCheck.gracePeriodSeconds', () => {
  it('refuses 0 with a message naming the field, the floor and why', () => {
    const problems = validateObject(withGrace(0));
    expect(problems).toHaveLength(1);
    expect(problems[0]!.path).toBe('spec.runtime.healthCheck.gracePeriodSeconds');
    expect(problems[0]!.message).toMatch(/must be at least 1 \(got 0\): .*0 makes slow starters crash-loop/);
  });

  it('accepts 1 and above', () => {
    expect(validateObject(withGrace(1))).toEqual([]);
    expect(validateObject(withGrace(120))).toEqual([]);
  });
});
