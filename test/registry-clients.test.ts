/**
 * The registry client contract against both clients: over a real socket with
 * tokens, and in process through the same API handler with principals. The same
 * input must give the same result, error type and status either way.
 */
import { runClientContract } from '../src/client/client-contract.ts';
import { HttpRegistryClient } from '../src/client/http-client.ts';
import { startHarness } from './registry-api-harness.ts';

runClientContract({
  name: 'HTTP',
  async setup() {
    const h = await startHarness();
    return {
      client: async (role, team) => new HttpRegistryClient({ baseUrl: h.url, token: await h.token(role, team !== undefined ? { team } : {}) }),
      refusedClient: () => new HttpRegistryClient({ baseUrl: h.url, token: `berth_tok_aaaaaaaaaaaa_${'b'.repeat(43)}` }),
      compact: () => h.store.compact(1),
      close: () => h.close(),
    };
  },
});

runClientContract({
  name: 'in-process',
  async setup() {
    const h = await startHarness();
    let n = 0;
    return {
      client: async (role, team) => h.server.clientFor({ tokenId: `tok_inprocess${String(++n).padStart(2, '0')}`, role, ...(team !== undefined ? { team } : {}) }),
      compact: () => h.store.compact(1),
      close: () => h.close(),
    };
  },
});
