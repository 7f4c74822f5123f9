/**
 * The gateway's agent-key verifier against a real registry (HTTP + SQLite): an
 * accepted key is trusted for the cache time without asking again, a revoked one
 * is refused once that time has passed, and an address that keeps presenting
 * made-up keys stops costing the registry reviews while known keys keep working.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpRegistryClient } from '../src/client/http-client.ts';
import type { RegistryClient } from '../src/client/registry-client.ts';
import { AgentKeyVerifier } from '../src/gateway/auth/agent-keys.ts';
import { TokenRejectedError } from '../src/gateway/auth/token-rejected.ts';
import { startHarness, type Harness } from './registry-api-harness.ts';

let h: Harness;
let reviews = 0;
let reviewer: Pick<RegistryClient, 'reviewToken'>;

beforeAll(async () => {
  h = await startHarness();
  const gateway = new HttpRegistryClient({ baseUrl: h.url, token: await h.token('gateway') });
  // Counts the reviews that reach the registry; the answers are the registry's own.
  reviewer = { reviewToken: (req) => ((reviews += 1), gateway.reviewToken(req)) };
});
afterAll(() => h.close());

function madeUp(i: number): string {
  return `berth_tok_${String(i).padStart(12, '0')}_${'x'.repeat(43)}`;
}

describe('AgentKeyVerifier', () => {
  it('trusts an accepted key for the cache time, then asks again and refuses it once revoked', async () => {
    let now = 0;
    const keys = new AgentKeyVerifier({ reviewer, acceptedForMs: 1_000, clock: { now: () => now } });
    const { token, record } = await h.admin.createToken({ role: 'agent', agent: 'cache-bot', groups: ['sales'] });
    reviews = 0;
    expect(await keys.verify(token)).toMatchObject({ kind: 'agent-key', agent: 'cache-bot', groups: ['sales'], tokenId: record.id });
    await keys.verify(token);
    expect(reviews).toBe(1);
    await h.admin.revokeToken(record.id);
    expect((await keys.verify(token)).agent).toBe('cache-bot'); // within the cache time
    now += 1_001;
    await expect(keys.verify(token)).rejects.toMatchObject({ code: 'revoked' });
    expect(reviews).toBe(2);
  });

  it('an address presenting too many refused keys is refused without a review; known keys and other addresses are not', async () => {
    const keys = new AgentKeyVerifier({ reviewer, refusalLimit: { requestsPerMinute: 1, burst: 5 } });
    const { token } = await h.admin.createToken({ role: 'agent', agent: 'good-bot' });
    await keys.verify(token, '10.0.0.1');
    reviews = 0;
    for (let i = 0; i < 5; i++) await expect(keys.verify(madeUp(i), '10.0.0.1')).rejects.toMatchObject({ code: 'unknown-agent-key' });
    expect(reviews).toBe(5);
    const throttled = await keys.verify(madeUp(99), '10.0.0.1').catch((e: unknown) => e);
    expect(throttled).toBeInstanceOf(TokenRejectedError);
    expect(throttled).toMatchObject({ code: 'too-many-refusals' });
    expect((throttled as TokenRejectedError).retryAfterSeconds).toBeGreaterThan(0);
    expect(reviews).toBe(5); // refused without asking the registry
    expect((await keys.verify(token, '10.0.0.1')).agent).toBe('good-bot'); // a known key still works
    await expect(keys.verify(madeUp(100), '10.0.0.2')).rejects.toMatchObject({ code: 'unknown-agent-key' }); // another address is asked about
    expect(reviews).toBe(6);
  });
});
