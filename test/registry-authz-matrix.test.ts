/**
 * The registry's authorization matrix (src/registry/auth/authorize.ts and the
 * README's security notes), every role × action, held to a real registry over
 * HTTP: each cell either succeeds or is refused with 403 and a reason. Objects
 * of team `platform` are "own" (the publisher's team), of team `other` "foreign".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ForbiddenError } from '../src/client/errors.ts';
import { HttpRegistryClient } from '../src/client/http-client.ts';
import type { Role } from '../src/client/wire.ts';
import type { MCPServer } from '../src/manifest/types.ts';
import { serverManifest, startHarness, type Harness } from './registry-api-harness.ts';

type Action =
  | 'read'
  | 'create own server'
  | 'request a lifecycle stage'
  | 'change own spec'
  | 'write finalizers'
  | 'write status'
  | 'approve a stage'
  | 'reject a stage'
  | 'delete own server'
  | 'prune own server'
  | 'prune foreign server'
  | 'hold a lease'
  | 'append audit'
  | 'create a token';

const ROLES_UNDER_TEST = ['admin', 'controller', 'publisher', 'approver', 'reader', 'agent', 'gateway'] as const satisfies readonly Role[];
type R = (typeof ROLES_UNDER_TEST)[number];

/** Which roles may do each action; every other role gets 403. */
const MATRIX: Record<Action, readonly R[]> = {
  read: ['admin', 'controller', 'publisher', 'approver', 'reader', 'agent', 'gateway'],
  'create own server': ['admin', 'publisher'],
  'request a lifecycle stage': ['admin', 'publisher', 'approver'],
  'change own spec': ['admin', 'publisher'],
  'write finalizers': ['admin', 'controller'],
  'write status': ['admin', 'controller'],
  'approve a stage': ['admin', 'approver'],
  'reject a stage': ['admin', 'approver'],
  'delete own server': ['admin', 'publisher'],
  'prune own server': ['admin', 'publisher'],
  'prune foreign server': ['admin'],
  'hold a lease': ['admin', 'controller'],
  'append audit': ['admin', 'controller'],
  'create a token': ['admin'],
};

let h: Harness;
const clients = {} as Record<R, HttpRegistryClient>;
let n = 0;

beforeAll(async () => {
  h = await startHarness();
  for (const role of ROLES_UNDER_TEST) {
    const token = role === 'admin' ? h.adminToken : await h.token(role, role === 'publisher' ? { team: 'platform' } : role === 'agent' ? { agent: 'matrix-agent' } : {});
    clients[role] = new HttpRegistryClient({ baseUrl: h.url, token });
  }
}, 30_000);

afterAll(async () => {
  await h?.close();
});

/** A fresh server (created by the admin) for one cell, so cells never share state. */
async function fresh(team = 'platform'): Promise<MCPServer> {
  n += 1;
  return h.admin.create(serverManifest(`cell-${n}`, { team }));
}

const ACTIONS: Record<Action, (c: HttpRegistryClient) => Promise<unknown>> = {
  read: (c) => c.list('MCPServer'),
  'create own server': async (c) => c.create(serverManifest(`new-${++n}`, { team: 'platform' })),
  'request a lifecycle stage': async (c) => {
    const s = await fresh();
    return c.update({ ...s, spec: { ...s.spec, lifecycle: 'approved-production' } });
  },
  'change own spec': async (c) => {
    const s = await fresh();
    return c.update({ ...s, spec: { ...s.spec, description: 'changed' } });
  },
  'write finalizers': async (c) => {
    const s = await fresh();
    return c.update({ ...s, metadata: { ...s.metadata, finalizers: ['berth.dev/runtime'] } });
  },
  'write status': async (c) => c.updateStatus('MCPServer', (await fresh()).metadata.name, { phase: 'Ready' }),
  'approve a stage': async (c) => c.decideStage((await fresh()).metadata.name, { stage: 'approved-dev', decision: 'approved' }),
  'reject a stage': async (c) => c.decideStage((await fresh()).metadata.name, { stage: 'approved-production', decision: 'rejected', note: 'no' }),
  'delete own server': async (c) => c.delete('MCPServer', (await fresh()).metadata.name),
  'prune own server': async (c) => c.delete('MCPServer', (await fresh()).metadata.name, { reason: 'prune' }),
  'prune foreign server': async (c) => c.delete('MCPServer', (await fresh('other')).metadata.name, { reason: 'prune' }),
  'hold a lease': (c) => c.acquireLease(`matrix-${++n}`, 'holder', 1_000),
  'append audit': (c) => c.appendAudit({ actor: 'matrix', action: 'drift', kind: 'MCPServer', name: 'x' }),
  'create a token': (c) => c.createToken({ role: 'reader' }),
};

const cells = (Object.keys(MATRIX) as Action[]).flatMap((action) => ROLES_UNDER_TEST.map((role) => [action, role, MATRIX[action].includes(role)] as const));

describe('registry authorization matrix', () => {
  it.each(cells)('%s as %s: allowed %s', async (action, role, allowed) => {
    const outcome = await ACTIONS[action](clients[role]).then(
      () => 'ok' as const,
      (e: unknown) => e,
    );
    if (allowed) {
      expect(outcome).toBe('ok');
    } else {
      expect(outcome).toBeInstanceOf(ForbiddenError);
      expect((outcome as ForbiddenError).message.length, 'a refusal says why').toBeGreaterThan(20);
    }
  });

  it("a publisher's refusals say what it may do instead", async () => {
    const approve = await clients.publisher.decideStage((await fresh()).metadata.name, { stage: 'approved-dev', decision: 'approved' }).catch((e: unknown) => e);
    expect((approve as Error).message).toContain('a publisher requests a stage in spec.lifecycle; an approver approves it (berth approve)');
    const foreign = await clients.publisher.delete('MCPServer', (await fresh('other')).metadata.name, { reason: 'prune' }).catch((e: unknown) => e);
    expect((foreign as Error).message).toMatch(/prune acts only on objects your team owns: MCPServer\/cell-\d+ belongs to team "other"/);
    const s = await fresh();
    const fin = await clients.approver.update({ ...s, metadata: { ...s.metadata, finalizers: ['evil/stuck'] } }).catch((e: unknown) => e);
    expect((fin as Error).message).toContain('only the controller (the reconciler) and admins write metadata.finalizers');
  });
});
