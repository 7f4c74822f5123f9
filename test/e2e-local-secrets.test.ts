/**
 * Issue 17 item 7, "a local server can't be given its secrets": `berth up` as a
 * real process runs the HTTP fixture server on the local runtime with
 * `spec.runtime.secrets` from an `env:BERTH_SECRET_*` variable and a `file:` under
 * the state folder's `secrets/`. The server sees both in its environment (its
 * getEnv tool reports them through the gateway); neither value is in the registry
 * (`berth get -o yaml`, status), the runtime state file or berth.log; a reference that cannot be
 * resolved leaves its server Degraded, naming the secret and the reference.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpRegistryClient } from '../src/client/http-client.ts';
import type { MCPServer } from '../src/manifest/types.ts';
import { allAccessKey, berth, callThroughGateway, getServer, HTTP_FIXTURE, startBerthUp, tempDir, waitFor, waitReady, type BerthUp } from './e2e-harness.ts';
import { mcpServer } from './support/manifests.ts';

const ENV_SECRET = 'l0cal-s3cret-from-the-environment';
const FILE_SECRET = 'l0cal-k3y-from-a-file';

let up: BerthUp;
const state = tempDir('local-secrets');

/** The fixture server on the local runtime at /mcp/<name>, with these secrets. */
function withSecrets(name: string, secrets: Array<{ name: string; valueFrom: string }>): MCPServer {
  return mcpServer(name, {
    runtime: {
      image: 'ghcr.io/acme/e2e-fixture:1.0.0',
      transport: 'streamable-http',
      port: 8080,
      secrets,
      healthCheck: { path: '/healthz' },
      local: { command: 'node', args: [HTTP_FIXTURE] },
    },
    routing: { path: `/mcp/${name}` },
    defaultScopes: ['fixture.use'],
    access: { undeclaredTools: 'defaultScopes' },
  } as Partial<MCPServer['spec']>);
}

beforeAll(async () => {
  mkdirSync(join(state.dir, 'secrets', 'crm'), { recursive: true, mode: 0o700 });
  writeFileSync(join(state.dir, 'secrets', 'crm', 'api-key'), `${FILE_SECRET}\n`, { mode: 0o600 });
  up = await startBerthUp({ stateDir: state.dir, examples: false, env: { BERTH_SECRET_LOCAL_CRM: ENV_SECRET } });
  const admin = new HttpRegistryClient({ baseUrl: up.registryUrl, token: up.token });
  await admin.apply(withSecrets('crm-local', [
    { name: 'CRM_TOKEN', valueFrom: 'env:BERTH_SECRET_LOCAL_CRM' },
    { name: 'CRM_API_KEY', valueFrom: 'file:crm/api-key' },
  ]));
  await admin.apply(withSecrets('locked-local', [{ name: 'CRM_TOKEN', valueFrom: 'file:crm/missing' }]));
  for (const name of ['crm-local', 'locked-local']) await admin.decideStage(name, { stage: 'approved-dev', decision: 'approved' });
}, 60_000);

afterAll(async () => {
  await up?.stop();
  state.remove();
});

describe('spec.runtime.secrets on the local runtime through berth up', () => {
  it('the server process gets both values in its environment', async () => {
    await waitReady(up, 'crm-local');
    const key = await allAccessKey(up);
    expect((await callThroughGateway(up.gatewayUrl, '/mcp/crm-local', 'getEnv', { name: 'CRM_TOKEN' }, key)).text).toBe(ENV_SECRET);
    expect((await callThroughGateway(up.gatewayUrl, '/mcp/crm-local', 'getEnv', { name: 'CRM_API_KEY' }, key)).text).toBe(FILE_SECRET);
    // Berth's own variable is not passed on: only the named secret carries the value.
    expect((await callThroughGateway(up.gatewayUrl, '/mcp/crm-local', 'getEnv', { name: 'BERTH_SECRET_LOCAL_CRM' }, key)).text).not.toBe(ENV_SECRET);
  });

  it('an unresolvable reference leaves the server Degraded, naming the secret and the reference', async () => {
    const s = await waitFor('locked-local to be Degraded', async () => {
      const got = await getServer(up, 'locked-local');
      return got?.status?.conditions?.some((c) => c.type === 'Degraded' && c.status === 'True' && c.message?.includes('file:crm/missing')) ? got : false;
    });
    const degraded = s.status!.conditions!.find((c) => c.type === 'Degraded')!;
    expect(degraded.message).toContain('secret CRM_TOKEN of locked-local (valueFrom file:crm/missing) cannot be resolved');
    expect(degraded.message).toContain(join(state.dir, 'secrets', 'crm', 'missing'));
    expect(s.status?.phase).not.toBe('Ready');
  });

  it('neither value is in berth get -o yaml, the status, local-runtime.json or berth.log', async () => {
    const got = await berth(up, ['get', 'servers', '-o', 'yaml']);
    expect(got.code).toBe(0);
    expect(got.stdout).toContain('env:BERTH_SECRET_LOCAL_CRM'); // the reference is stored, the value is not
    expect(got.stdout).toContain('crm-local');
    for (const name of ['crm-local', 'locked-local']) {
      const text = JSON.stringify(await getServer(up, name));
      expect(text).not.toContain(ENV_SECRET);
      expect(text).not.toContain(FILE_SECRET);
    }
    expect(got.stdout).not.toContain(ENV_SECRET);
    expect(got.stdout).not.toContain(FILE_SECRET);
    const runtimeFile = await readFile(join(state.dir, 'local-runtime.json'), 'utf8');
    expect(runtimeFile).toContain('CRM_TOKEN=env:BERTH_SECRET_LOCAL_CRM'); // the runtime state names the reference only
    expect(runtimeFile).not.toContain(ENV_SECRET);
    expect(runtimeFile).not.toContain(FILE_SECRET);
    await up.stop();
    const log = await readFile(join(state.dir, 'berth.log'), 'utf8');
    expect(log).toContain('crm-local'); // the log is there and speaks of these servers
    expect(log).toContain('file:crm/missing');
    expect(log).not.toContain(ENV_SECRET);
    expect(log).not.toContain(FILE_SECRET);
  });
});
