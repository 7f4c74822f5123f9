/**
 * The registry HTTP API over a real socket and a real SQLite file: CRUD, apply
 * semantics, every kind of bad input (→ the right 4xx problem AND nothing stored
 * changes), roles, status path, watch (reconnect exactly once, 410 + relist),
 * graceful shutdown, metrics and OpenAPI.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, ForbiddenError, GoneError, UnauthorizedError } from '../src/client/errors.ts';
import { HttpRegistryClient } from '../src/client/http-client.ts';
import type { WatchEvent } from '../src/client/wire.ts';
import type { Resource } from '../src/manifest/resource.ts';
import type { MCPServer } from '../src/manifest/types.ts';
import { serverManifest, serverYaml, startHarness, type Harness } from './registry-api-harness.ts';

const BASE = '/apis/berth.dev/v1alpha1';
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ heartbeatMs: 100 });
});
afterAll(async () => {
  await h.close();
});

interface Snapshot {
  version: number;
  object: Resource | undefined;
  audit: number;
}
async function snapshot(name: string): Promise<Snapshot> {
  return {
    version: await h.store.currentVersion(),
    object: await h.store.get('MCPServer', name),
    audit: (await h.store.queryAudit({ limit: 1000 })).length,
  };
}

async function call(method: string, path: string, init: { token?: string | null; type?: string; body?: string | Uint8Array } = {}): Promise<{ status: number; type: string; body: Record<string, unknown> }> {
  const token = init.token === undefined ? h.adminToken : init.token;
  const res = await fetch(`${h.url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(init.type ? { 'content-type': init.type } : {}),
    },
    ...(init.body !== undefined ? { body: init.body } : {}),
  });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

describe('CRUD and apply', () => {
  it('creates, reads, replaces with optimistic concurrency, lists with filters and deletes', async () => {
    const created = await call('POST', `${BASE}/mcpservers`, { type: 'application/json', body: JSON.stringify(serverManifest('crud-a', { team: 'alpha' })) });
    expect(created.status).toBe(201);
    const obj = created.body as unknown as Resource;
    expect(obj.metadata.generation).toBe(1);
    expect((obj.spec as { routing: { path: string } }).routing.path).toBe('/mcp/crud-a'); // defaults applied server-side

    const again = await call('POST', `${BASE}/mcpservers`, { type: 'application/json', body: JSON.stringify(serverManifest('crud-a')) });
    expect(again.status).toBe(409);

    const edited = structuredClone(obj);
    (edited.spec as { description: string }).description = 'changed';
    const put = await call('PUT', `${BASE}/mcpservers/crud-a`, { type: 'application/json', body: JSON.stringify(edited) });
    expect(put.status).toBe(200);
    expect((put.body as unknown as Resource).metadata.generation).toBe(2);
    // The same body again carries a now-stale resourceVersion.
    const stale = await call('PUT', `${BASE}/mcpservers/crud-a`, { type: 'application/json', body: JSON.stringify(edited) });
    expect(stale.status).toBe(409);
    expect(stale.type).toContain('application/problem+json');
    await expect(h.admin.update(edited as MCPServer, obj.metadata.resourceVersion)).rejects.toBeInstanceOf(ConflictError);

    await h.admin.apply(serverManifest('crud-b', { team: 'beta' }));
    const byTeam = await h.admin.list('MCPServer', { ownerTeam: 'beta' });
    expect(byTeam.items.map((o) => o.metadata.name)).toContain('crud-b');
    expect(byTeam.items.map((o) => o.metadata.name)).not.toContain('crud-a');
    const paged = await h.admin.list('MCPServer', { limit: 1 });
    expect(paged.items).toHaveLength(1);
    expect(paged.continue).toBeTruthy();

    const del = await h.admin.delete('MCPServer', 'crud-b');
    expect(del.removed).toBe(true);
    expect(await h.admin.get('MCPServer', 'crud-b')).toBeUndefined();
  });

  it('apply reports created / configured / unchanged; unchanged bumps nothing and audits nothing', async () => {
    const first = await h.admin.apply(serverManifest('apply-a'));
    expect(first.result).toBe('created');
    const before = await snapshot('apply-a');
    const second = await h.admin.apply(serverManifest('apply-a'));
    expect(second.result).toBe('unchanged');
    expect(await snapshot('apply-a')).toEqual(before);
    const third = await h.admin.apply(serverManifest('apply-a', { description: 'new words' }));
    expect(third.result).toBe('configured');
    expect(third.object.metadata.generation).toBe(2);
    const dry = await h.admin.apply(serverManifest('apply-a', { description: 'dry' }), { dryRun: true });
    expect(dry.result).toBe('configured');
    expect((await h.store.get('MCPServer', 'apply-a'))?.spec).toEqual(third.object.spec);
  });

  it('accepts YAML bodies', async () => {
    const res = await call('POST', `${BASE}/mcpservers/yaml-a/apply`, { type: 'application/yaml', body: serverYaml('yaml-a') });
    expect(res.status).toBe(201);
    expect(res.body.result).toBe('created');
  });

  it('keeps finalizers on delete: marks deleting, removes when the last finalizer goes', async () => {
    const obj = await h.admin.apply(serverManifest('fin-a'));
    const withFinalizer = structuredClone(obj.object);
    withFinalizer.metadata.finalizers = ['berth.dev/runtime'];
    const updated = await h.admin.update(withFinalizer, obj.object.metadata.resourceVersion);
    const marked = await h.admin.delete('MCPServer', 'fin-a');
    expect(marked.removed).toBe(false);
    expect(marked.object.metadata.deletionTimestamp).toBeTruthy();
    const again = await call('POST', `${BASE}/mcpservers/fin-a/apply`, { type: 'application/json', body: JSON.stringify(serverManifest('fin-a')) });
    expect(again.status).toBe(409);
    const current = (await h.admin.get('MCPServer', 'fin-a'))!;
    expect(current.metadata.resourceVersion).not.toBe(updated.metadata.resourceVersion);
    await h.admin.update({ ...current, metadata: { ...current.metadata, finalizers: [] } }, current.metadata.resourceVersion);
    expect(await h.admin.get('MCPServer', 'fin-a')).toBeUndefined();
  });
});

describe('bad input → a clear 4xx problem, and nothing stored changes', () => {
  const name = 'guarded';
  let reader: string;
  let otherPublisher: string;
  let expired: string;
  let revoked: string;
  beforeAll(async () => {
    await h.admin.apply(serverManifest(name, { team: 'alpha' }));
    reader = await h.token('reader');
    otherPublisher = await h.token('publisher', { team: 'beta' });
    expired = await h.token('admin', { expiresAt: new Date(Date.now() - 1000) });
    revoked = await h.token('admin', { revoked: true });
  });

  const good = (): string => JSON.stringify(serverManifest(name, { team: 'alpha', description: 'attempted change' }));
  const cases: { label: string; status: number; problem: string; req: () => Parameters<typeof call> }[] = [
    { label: 'malformed JSON', status: 400, problem: 'malformed-json', req: () => ['POST', `${BASE}/mcpservers/${name}/apply`, { type: 'application/json', body: '{"apiVersion": "berth.dev/v1alpha1",\n  "kind": }' }] },
    { label: 'malformed YAML', status: 400, problem: 'malformed-yaml', req: () => ['POST', `${BASE}/mcpservers/${name}/apply`, { type: 'application/yaml', body: 'kind: MCPServer\nmetadata:\n  name: [unclosed\n' }] },
    { label: 'wrong content type', status: 415, problem: 'unsupported-media-type', req: () => ['POST', `${BASE}/mcpservers/${name}/apply`, { type: 'text/plain', body: good() }] },
    { label: 'no content type', status: 415, problem: 'unsupported-media-type', req: () => ['PUT', `${BASE}/mcpservers/${name}`, { body: new TextEncoder().encode(good()) }] },
    { label: '10 MB body', status: 413, problem: 'body-too-large', req: () => ['POST', `${BASE}/mcpservers/${name}/apply`, { type: 'application/json', body: `{"x":"${'a'.repeat(10 * 1024 * 1024)}"}` }] },
    {
      label: 'invalid object',
      status: 422,
      problem: 'invalid-object',
      req: () => {
        const bad = serverManifest(name, { team: 'alpha' }) as unknown as { spec: Record<string, unknown> };
        bad.spec.risk = 'extreme';
        bad.spec.enviroment = 'dev';
        return ['POST', `${BASE}/mcpservers/${name}/apply`, { type: 'application/json', body: JSON.stringify(bad) }];
      },
    },
    { label: 'name in body differs from URL', status: 400, problem: 'name-mismatch', req: () => ['PUT', `${BASE}/mcpservers/${name}`, { type: 'application/json', body: JSON.stringify(serverManifest('other')) }] },
    { label: 'missing token', status: 401, problem: 'unauthorized', req: () => ['POST', `${BASE}/mcpservers/${name}/apply`, { token: null, type: 'application/json', body: good() }] },
    { label: 'invalid token', status: 401, problem: 'unauthorized', req: () => ['POST', `${BASE}/mcpservers/${name}/apply`, { token: 'berth_tok_aaaaaaaaaaaa_' + 'b'.repeat(43), type: 'application/json', body: good() }] },
    { label: 'garbage token', status: 401, problem: 'unauthorized', req: () => ['DELETE', `${BASE}/mcpservers/${name}`, { token: 'hunter2' }] },
    { label: 'expired token', status: 401, problem: 'unauthorized', req: () => ['POST', `${BASE}/mcpservers/${name}/apply`, { token: expired, type: 'application/json', body: good() }] },
    { label: 'revoked token', status: 401, problem: 'unauthorized', req: () => ['DELETE', `${BASE}/mcpservers/${name}`, { token: revoked }] },
    { label: 'reader writing', status: 403, problem: 'forbidden', req: () => ['POST', `${BASE}/mcpservers/${name}/apply`, { token: reader, type: 'application/json', body: good() }] },
    { label: "publisher writing another team's server", status: 403, problem: 'forbidden', req: () => ['POST', `${BASE}/mcpservers/${name}/apply`, { token: otherPublisher, type: 'application/json', body: good() }] },
    {
      label: "publisher moving another team's server to its team",
      status: 403,
      problem: 'forbidden',
      req: () => ['POST', `${BASE}/mcpservers/${name}/apply`, { token: otherPublisher, type: 'application/json', body: JSON.stringify(serverManifest(name, { team: 'beta' })) }],
    },
    { label: "publisher deleting another team's server", status: 403, problem: 'forbidden', req: () => ['DELETE', `${BASE}/mcpservers/${name}`, { token: otherPublisher }] },
    { label: 'reader writing status', status: 403, problem: 'forbidden', req: () => ['PUT', `${BASE}/mcpservers/${name}/status`, { token: reader, type: 'application/json', body: '{"status":{"phase":"Ready"}}' }] },
    { label: 'path trick ..%2f', status: 400, problem: 'invalid-name', req: () => ['DELETE', `${BASE}/mcpservers/..%2f${name}`, {}] },
    { label: 'path trick %2e%2e%2f', status: 400, problem: 'invalid-name', req: () => ['DELETE', `${BASE}/mcpservers/%2e%2e%2f${name}`, {}] },
    { label: 'path trick a/b', status: 400, problem: 'invalid-path', req: () => ['DELETE', `${BASE}/mcpservers/${name}/x`, {}] },
    { label: 'encoded slash', status: 400, problem: 'invalid-name', req: () => ['PUT', `${BASE}/mcpservers/${name}%2Fx`, { type: 'application/json', body: good() }] },
    { label: 'unicode name', status: 400, problem: 'invalid-name', req: () => ['POST', `${BASE}/mcpservers/gu%C3%A4rded/apply`, { type: 'application/json', body: good() }] },
    { label: 'upper-case name', status: 400, problem: 'invalid-name', req: () => ['DELETE', `${BASE}/mcpservers/Guarded`, {}] },
    { label: 'stale resourceVersion', status: 409, problem: 'conflict', req: () => ['PUT', `${BASE}/mcpservers/${name}`, { type: 'application/json', body: JSON.stringify({ ...serverManifest(name, { team: 'alpha', description: 'x' }), metadata: { name, resourceVersion: '1' } }) }] },
  ];

  for (const c of cases) {
    it(`${c.label} → ${c.status} ${c.problem}`, async () => {
      const before = await snapshot(name);
      const res = await call(...c.req());
      expect(res.status).toBe(c.status);
      expect(res.type).toContain('application/problem+json');
      expect(res.body.type).toBe(`https://berth.dev/problems/${c.problem}`);
      expect(res.body.status).toBe(c.status);
      expect(typeof res.body.detail).toBe('string');
      expect(res.body.instance).toBeTruthy();
      expect(await snapshot(name)).toEqual(before);
    });
  }

  it('reports validation problems with the same paths and messages as berth validate', async () => {
    const bad = serverManifest(name, { team: 'alpha' }) as unknown as { spec: Record<string, unknown> };
    bad.spec.enviroment = 'dev';
    const res = await call('POST', `${BASE}/mcpservers/${name}/apply`, { type: 'application/json', body: JSON.stringify(bad) });
    const errors = res.body.errors as { path: string; message: string }[];
    const { validateObject } = await import('../src/manifest/index.ts');
    expect(errors).toEqual(validateObject(bad).map((p) => ({ path: p.path, message: p.message, code: p.code })));
    expect(errors.some((e) => e.path === 'spec.enviroment' && /did you mean "environment"/.test(e.message))).toBe(true);
  });

  it('gives the position of a JSON syntax error', async () => {
    const res = await call('POST', `${BASE}/mcpservers`, { type: 'application/json', body: '{\n  "kind": "MCPServer",\n  "metadata": {,\n}' });
    expect(res.body).toMatchObject({ line: 3, status: 400 });
  });
});

describe('roles', () => {
  it('a publisher writes its own team, an approver only changes the lifecycle, tokens are admin-only', async () => {
    const pub = new HttpRegistryClient({ baseUrl: h.url, token: await h.token('publisher', { team: 'gamma' }) });
    expect((await pub.apply(serverManifest('role-a', { team: 'gamma' }))).result).toBe('created');
    await expect(pub.apply({ apiVersion: 'berth.dev/v1alpha1', kind: 'AccessPolicy', metadata: { name: 'role-p' }, spec: { subjects: [{ agent: 'x' }], allow: ['a.read'] } })).rejects.toBeInstanceOf(ForbiddenError);
    await expect(pub.listTokens()).rejects.toBeInstanceOf(ForbiddenError);

    const approver = new HttpRegistryClient({ baseUrl: h.url, token: await h.token('approver') });
    const current = (await approver.get('MCPServer', 'role-a'))!;
    const promoted = structuredClone(current);
    (promoted.spec as { lifecycle: string }).lifecycle = 'approved-production';
    expect(((await approver.update(promoted, current.metadata.resourceVersion)).spec as { lifecycle: string }).lifecycle).toBe('approved-production');
    const sneaky = structuredClone(promoted);
    (sneaky.spec as { description: string }).description = 'sneaky';
    await expect(approver.update(sneaky)).rejects.toBeInstanceOf(ForbiddenError);

    const audit = await h.admin.queryAudit({ name: 'role-a' });
    expect(audit.map((a) => a.action)).toEqual(['update', 'create']);
    expect(audit[0]!.generationBefore).toBe(1);
    expect(audit[0]!.generationAfter).toBe(2);
    expect(audit[0]!.specHash).toMatch(/^[0-9a-f]{64}$/);
    expect(audit[0]!.details?.role).toBe('approver');
  });

  it('writes status only through the status path (admin), without bumping generation', async () => {
    const { object } = await h.admin.apply(serverManifest('status-a'));
    const status = { phase: 'Ready', observedGeneration: 1, endpoint: 'http://127.0.0.1:9999/mcp' };
    const updated = await h.admin.updateStatus('MCPServer', 'status-a', status, object.metadata.resourceVersion);
    expect(updated.status).toEqual(status);
    expect(updated.metadata.generation).toBe(1);
    const patched = await call('PATCH', `${BASE}/mcpservers/status-a/status`, { type: 'application/merge-patch+json', body: '{"status":{"phase":"Degraded"}}' });
    expect(patched.body.status).toEqual({ ...status, phase: 'Degraded' });
    const invalid = await call('PUT', `${BASE}/mcpservers/status-a/status`, { type: 'application/json', body: '{"status":{"phase":"Sleeping"}}' });
    expect(invalid.status).toBe(422);
  });

  it('creates the bootstrap token file with mode 0600 and creates, lists and revokes tokens', async () => {
    expect((await stat(join(h.dir, 'admin-token'))).mode & 0o777).toBe(0o600);
    const { token, record } = await h.admin.createToken({ role: 'reader', expires: '1d' });
    const reader = new HttpRegistryClient({ baseUrl: h.url, token });
    await reader.list('MCPServer');
    expect((await h.admin.listTokens()).find((t) => t.id === record.id)).not.toHaveProperty('hash');
    await h.admin.revokeToken(record.id);
    await expect(reader.list('MCPServer')).rejects.toThrow(UnauthorizedError);
    await expect(reader.list('MCPServer')).rejects.toThrow(/was revoked at/);
  });
});

describe('watch', () => {
  async function collect(client: HttpRegistryClient, from: number, count: number): Promise<WatchEvent[]> {
    const ac = new AbortController();
    const out: WatchEvent[] = [];
    for await (const ev of client.watch('MCPServer', from, ac.signal)) {
      if (ev.type === 'BOOKMARK') continue;
      out.push(ev);
      if (out.length >= count) break;
    }
    ac.abort();
    return out;
  }

  it('a client that disconnects and reconnects from its last version sees every change exactly once, in order', async () => {
    const start = await h.store.currentVersion();
    const writes = async (prefix: string, n: number): Promise<void> => {
      for (let i = 0; i < n; i++) await h.admin.apply(serverManifest(`${prefix}-${i}`));
    };
    const firstHalf = collect(h.admin, start, 10);
    await writes('wa', 10);
    const seen = await firstHalf;
    const last = seen.at(-1)!.resourceVersion;
    await writes('wb', 10); // while disconnected
    seen.push(...(await collect(h.admin, last, 10)));

    // Across a server restart too: the stream ends with RECONNECT, and a watcher that resumes from
    // the last version it saw (as the informer does) still sees every change once, in order.
    const ac = new AbortController();
    const across: WatchEvent[] = [];
    const consumer = (async () => {
      while (across.length < 10) {
        const from = (across.at(-1) ?? seen.at(-1)!).resourceVersion;
        try {
          for await (const ev of h.admin.watch('MCPServer', from, ac.signal)) {
            if (ev.type === 'BOOKMARK') continue;
            across.push(ev);
            if (across.length === 10) break;
          }
        } catch {
          await new Promise((r) => setTimeout(r, 20)); // the registry is restarting
        }
      }
    })();
    await writes('wc', 5);
    await h.restart();
    await writes('wd', 5);
    await consumer;
    ac.abort();
    seen.push(...across);

    const truth = (await h.store.changesSince(start, { kind: 'MCPServer', limit: 1000 })).slice(0, 30);
    expect(seen.map((e) => e.resourceVersion)).toEqual(truth.map((e) => e.resourceVersion));
    expect(new Set(seen.map((e) => e.object.metadata.name)).size).toBe(30);
  });

  it('sends heartbeat bookmarks on an idle stream', async () => {
    const res = await fetch(`${h.url}${BASE}/mcpservers?watch=1&resourceVersion=${await h.store.currentVersion()}`, { headers: { authorization: `Bearer ${h.adminToken}` } });
    const reader = res.body!.getReader();
    const { value } = await reader.read();
    await reader.cancel();
    expect(JSON.parse(new TextDecoder().decode(value).split('\n')[0]!).type).toBe('BOOKMARK');
  });

  it('a too-old version gets 410; relisting and watching from the list version works', async () => {
    await h.admin.apply(serverManifest('gone-a'));
    await h.store.compact(1);
    const raw = await call('GET', `${BASE}/mcpservers?watch=1&resourceVersion=0`);
    expect(raw.status).toBe(410);
    expect(raw.body.type).toBe('https://berth.dev/problems/gone');
    await expect(collect(h.admin, 0, 1)).rejects.toBeInstanceOf(GoneError);
    const listed = await h.admin.list('MCPServer');
    const next = collect(h.admin, listed.resourceVersion, 1);
    await h.admin.apply(serverManifest('gone-b'));
    expect((await next)[0]!.object.metadata.name).toBe('gone-b');
  });
});

describe('operations endpoints', () => {
  it('serves healthz, readyz, metrics and an OpenAPI 3.1 document embedding the schemas', async () => {
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${h.url}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${h.url}/metrics`)).text();
    expect(metrics).toMatch(/berth_registry_http_requests_total\{method="POST",route="\/apis\/berth.dev\/v1alpha1\/:plural\/:name\/apply",code="201"\} \d+/);
    expect(metrics).toMatch(/berth_registry_objects\{kind="MCPServer"\} \d+/);
    expect(metrics).toMatch(/berth_registry_watchers \d+/);
    const doc = (await (await fetch(`${h.url}/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown>; components: { schemas: Record<string, { $id?: string }> } };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.paths).toHaveProperty(`${BASE}/mcpservers/{name}/apply`);
    expect(doc.components.schemas.MCPServer!.$id).toContain('mcpserver');
    expect(doc.components.schemas.AccessPolicy!.$id).toContain('accesspolicy');
  });
});
