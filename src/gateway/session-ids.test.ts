/**
 * Sealed session ids without sockets: what opens, what does not (every byte
 * flipped, another server, another key, garbage), key rotation, the endpoint
 * found among the route's targets, the caller check, and the cache.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseTarget, type Route } from './route.ts';
import { SessionIds } from './session-ids.ts';
import { SessionKeys } from './session-keys.ts';
import { endpointHash, openSessionId, sealSessionId, subjectHash } from './session-seal.ts';

/** A routable route of `name` over `urls` (only what the session ids read). */
function route(name: string, urls: string[]): Route {
  return { name, targets: urls.map((u) => parseTarget(name, u)), routable: true } as unknown as Route;
}

const A = 'http://10.0.0.1:8080/mcp';
const B = 'http://10.0.0.2:8080/mcp';
const UPSTREAM = '6f1c2a8e-3b4d-4e5f-8a9b-0c1d2e3f4a5b';

describe('sealed session ids', () => {
  const keys = new SessionKeys([randomBytes(32)]);
  const seal = { upstreamSessionId: UPSTREAM, endpoint: endpointHash(A), subject: subjectHash('agent-key:sales-bot'), issuedAt: 1_700_000_000 };

  it('open what they seal, for the server they were sealed for, and stay short', () => {
    const id = sealSessionId(keys, 'crm', seal);
    expect(id).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(id.length).toBeLessThanOrEqual(140);
    expect(openSessionId(keys, 'crm', id)).toEqual(seal);
    expect(id).not.toContain(UPSTREAM);
    // A fresh nonce each time: two seals of the same session differ.
    expect(sealSessionId(keys, 'crm', seal)).not.toBe(id);
  });

  it('open for nothing else: another server, another key, any byte changed, garbage', () => {
    const id = sealSessionId(keys, 'crm', seal);
    expect(openSessionId(keys, 'billing', id)).toBeUndefined();
    expect(openSessionId(new SessionKeys([randomBytes(32)]), 'crm', id)).toBeUndefined();
    const raw = Buffer.from(id, 'base64url');
    for (let i = 0; i < raw.length; i++) {
      const tampered = Buffer.from(raw);
      tampered[i]! ^= 0x01;
      expect(openSessionId(keys, 'crm', tampered.toString('base64url')), `byte ${i}`).toBeUndefined();
    }
    for (const garbage of ['', 'made-up-session', UPSTREAM, `${id}A`, id.slice(0, -1), `${id}=`, 'x'.repeat(5_000)]) {
      expect(openSessionId(keys, 'crm', garbage), garbage.slice(0, 20)).toBeUndefined();
    }
  });

  it('rotate: a ring seals with its first key and opens ids of every key it holds', () => {
    const oldKey = randomBytes(32);
    const newKey = randomBytes(32);
    const before = new SessionKeys([oldKey]);
    const rotated = new SessionKeys([newKey, oldKey]);
    const old = sealSessionId(before, 'crm', seal);
    expect(openSessionId(rotated, 'crm', old)).toEqual(seal);
    const fresh = sealSessionId(rotated, 'crm', seal);
    expect(openSessionId(new SessionKeys([newKey]), 'crm', fresh)).toEqual(seal);
    expect(openSessionId(before, 'crm', fresh)).toBeUndefined();
  });

  it('keep an upstream id that is not a UUID exactly as it came', () => {
    const odd = { ...seal, upstreamSessionId: '~!x'.repeat(30), subject: undefined };
    expect(openSessionId(keys, 'crm', sealSessionId(keys, 'crm', odd))).toEqual(odd);
  });

  it('refuse keys that are not 32 bytes, naming which', () => {
    expect(() => new SessionKeys([])).toThrow('at least one session key');
    expect(() => new SessionKeys([randomBytes(32), randomBytes(16)])).toThrow('session key 2 has 16 bytes; a session key is 32 random bytes');
  });
});

describe('SessionIds', () => {
  const keys = new SessionKeys([randomBytes(32)]);

  it('routes a session to the endpoint that holds it, by id alone, on any instance holding the keys', () => {
    const crm = route('crm', [A, B]);
    const issuer = new SessionIds({ keys });
    const other = new SessionIds({ keys });
    const id = issuer.issue(crm, UPSTREAM, crm.targets[1]!, 'agent-key:sales-bot');
    for (const ids of [issuer, other]) {
      const found = ids.lookup(crm, id);
      expect(found.kind).toBe('open');
      expect(found.kind === 'open' && [found.target.url, found.session.upstreamId]).toEqual([B, UPSTREAM]);
    }
  });

  it('tells an endpoint the route no longer has, another server, and a made-up id apart', () => {
    const ids = new SessionIds({ keys });
    const crm = route('crm', [A, B]);
    const id = ids.issue(crm, UPSTREAM, crm.targets[1]!, undefined);
    expect(ids.lookup(route('crm', [A]), id).kind).toBe('endpoint-gone');
    expect(ids.lookup(route('crm', [B]), id).kind).toBe('open');
    expect(ids.lookup(route('billing', [A, B]), id).kind).toBe('unknown');
    expect(ids.lookup(crm, 'made-up-session').kind).toBe('unknown');
  });

  it('checks the caller against the one that opened the session', () => {
    const ids = new SessionIds({ keys });
    const crm = route('crm', [A]);
    const governed = ids.lookup(crm, ids.issue(crm, UPSTREAM, crm.targets[0]!, 'agent-key:sales-bot'));
    const open = governed.kind === 'open' ? governed.session : undefined;
    expect([open?.openedBy('agent-key:sales-bot'), open?.openedBy('agent-key:ops-bot'), open?.openedBy('agent-key:sales-bot')]).toEqual([true, false, true]);
    const plain = ids.lookup(crm, ids.issue(crm, UPSTREAM, crm.targets[0]!, undefined));
    expect(plain.kind === 'open' && plain.session.openedBy('anonymous')).toBe(false);
  });

  it('keeps a bounded cache; an id pushed out opens again', () => {
    const ids = new SessionIds({ keys, maxCached: 2 });
    const crm = route('crm', [A]);
    const first = ids.issue(crm, 'u1', crm.targets[0]!, undefined);
    const firstOpened = ids.lookup(crm, first);
    expect(ids.lookup(crm, first)).toEqual(firstOpened); // cached: the same object
    ids.issue(crm, 'u2', crm.targets[0]!, undefined);
    ids.issue(crm, 'u3', crm.targets[0]!, undefined);
    const again = ids.lookup(crm, first);
    expect(again.kind === 'open' && again.session.upstreamId).toBe('u1');
    expect(again.kind === 'open' && firstOpened.kind === 'open' && again.session !== firstOpened.session).toBe(true);
  });

  it('spreads requests without a session round-robin over the endpoints', () => {
    const ids = new SessionIds({ keys });
    const crm = route('crm', [A, B]);
    expect([1, 2, 3, 4].map(() => ids.spread(crm)?.url)).toEqual([B, A, B, A]);
    expect(ids.spread(route('one', [A]))?.url).toBe(A);
    expect(ids.spread(route('none', []))).toBeUndefined();
  });
});
