/**
 * `berth can-i` through the real CLI against a real registry holding the
 * example manifests and policies: the answer and the exit code follow the
 * gateway's own decision functions (policy, scopes, approval, traffic gate).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HttpRegistryClient } from '../src/client/http-client.ts';
import { cleanupAfterEach, REPO, runBerth, startRegistryProcess, tempDir } from './cli-services-harness.ts';

const { track, later } = cleanupAfterEach();

describe('berth can-i --agent A call <server>/<tool>', () => {
  it('explains allow, deny by policy, missing scope, approval and the traffic gate, with exit 0 / 1 / 2', async () => {
    const { dir, remove } = tempDir('can-i');
    later(remove);
    const reg = track(await startRegistryProcess(join(dir, 'registry')));
    const auth = ['--server', reg.url, '--token', reg.token];
    const applied = await runBerth(['apply', '-f', join(REPO, 'examples/manifests/quote.yaml'), '-f', join(REPO, 'examples/policies'), ...auth]);
    expect(applied.code, applied.stderr).toBe(0);
    expect((await runBerth(['approve', 'server', 'quote', '--stage', 'approved-dev', ...auth])).code).toBe(0);
    const can = (agent: string, target: string, ...more: string[]) => runBerth(['can-i', '--agent', agent, ...more, 'call', target, ...auth]);

    // Policy allows it, but the gateway would not route it yet: nothing reported Ready.
    const notReady = await can('sales-copilot', 'quote/getQuote');
    expect(notReady.code).toBe(1);
    expect(notReady.stdout).toMatch(/^no: agent `sales-copilot` calling tool `getQuote` on MCPServer `quote`/);
    expect(notReady.stdout).toContain('policy:    allow (allowed)');
    expect(notReady.stdout).toMatch(/traffic:\s+server "quote" is not Ready/);

    // Status as a reconciler writes it (the admin token may write status).
    const admin = new HttpRegistryClient({ baseUrl: reg.url, token: reg.token });
    const stored = (await admin.get('MCPServer', 'quote'))!;
    const now = new Date().toISOString();
    await admin.updateStatus('MCPServer', 'quote', {
      observedGeneration: stored.metadata.generation,
      phase: 'Ready',
      endpoint: 'http://127.0.0.1:9/mcp',
      conditions: [{ type: 'Ready', status: 'True', reason: 'Healthy', message: 'serving', lastTransitionTime: now, observedGeneration: stored.metadata.generation }],
    });

    const allowed = await can('sales-copilot', 'quote/getQuote');
    expect(allowed.code, allowed.stdout).toBe(0);
    expect(allowed.stdout).toMatch(/^yes: /);
    expect(allowed.stdout).toContain('policies:  sales-copilot');
    expect(allowed.stdout).toContain('scopes:    quote.read');
    expect(allowed.stdout).toContain('traffic:   routable (Ready at http://127.0.0.1:9/mcp)');

    const discount = await can('sales-copilot', 'quote/applyDiscount');
    expect(discount.code).toBe(1);
    expect(discount.stdout).toMatch(/^no: /);
    expect(discount.stdout).toContain('policy:    deny (denied-by-policy)');
    expect(discount.stdout).toContain('AccessPolicy `sales-copilot` denies');
    expect(discount.stdout).toContain('the manifest requires approval');

    const write = await can('sales-copilot', 'quote/createQuote');
    expect(write.code).toBe(1);
    expect(write.stdout).toContain('deny (missing-scope)');
    expect(write.stdout).toContain('quote.write');

    // Through a group: the deal-desk policy holds discount.approve only with an approval.
    const analyst = await can('alice-agent', 'quote/applyDiscount', '--group', 'deal-desk-analysts');
    expect(analyst.code, analyst.stdout).toBe(0);
    expect(analyst.stdout).toMatch(/^yes, after a human approval: agent `alice-agent` \(groups deal-desk-analysts\)/);
    expect(analyst.stdout).toContain('policies:  deal-desk');

    const stranger = await can('nobody', 'quote/getQuote');
    expect(stranger.code).toBe(1);
    expect(stranger.stdout).toContain('policies:  none apply to this agent');

    const ghost = await can('sales-copilot', 'ghost/getQuote');
    expect(ghost.code).toBe(1);
    expect(ghost.stdout).toContain('mcpserver/ghost does not exist');

    const noAgent = await runBerth(['can-i', 'call', 'quote/getQuote', ...auth]);
    expect(noAgent.code).toBe(2);
    expect(noAgent.stderr).toContain('--agent NAME is required');
    const badTarget = await can('sales-copilot', 'quote');
    expect(badTarget.code).toBe(2);
    expect(badTarget.stderr).toContain('expected <server>/<tool>');
  }, 90_000);
});
