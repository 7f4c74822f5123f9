/**
 * `GET|POST /apis/berth.dev/v1alpha1/tokens`, `DELETE …/tokens/<id>`: API tokens
 * (admin only). A token's secret is returned once, at creation; only its hash is stored.
 */
import { NotFoundError, RegistryError } from '../../client/errors.ts';
import { isTokenId } from '../../client/tokens.ts';
import { DURATION_EXAMPLES, parseDuration } from '../../kit/duration.ts';
import { enforce, mayAdminister } from '../auth/authorize.ts';
import { mintToken, ROLES, type Role } from '../auth/tokens.ts';
import { readObjectBody } from './body.ts';
import { PREFIX, type ApiApp, type ApiDeps } from './context.ts';
import { isDnsLabel } from './names.ts';

/** Registers the token routes. */
export function tokenRoutes(app: ApiApp, { store, clock }: ApiDeps): void {
  app.get(`${PREFIX}/tokens`, async (c) => {
    enforce(mayAdminister(c.get('principal')));
    const items = (await store.listTokens()).map(({ hash: _hash, ...rest }) => rest);
    return c.json({ items });
  });
  app.post(`${PREFIX}/tokens`, async (c) => {
    const who = c.get('principal');
    enforce(mayAdminister(who));
    const body = await readObjectBody(c.req.raw);
    const role = body.role as Role;
    if (!ROLES.includes(role)) throw new RegistryError(422, { type: 'invalid-token-request', title: 'Invalid token request', detail: `role must be one of ${ROLES.join(', ')}` });
    const team = body.team;
    if (team !== undefined && (typeof team !== 'string' || !isDnsLabel(team))) {
      throw new RegistryError(422, { type: 'invalid-token-request', title: 'Invalid token request', detail: 'team must be a DNS label such as "sales-platform"' });
    }
    if (role === 'publisher' && team === undefined) {
      throw new RegistryError(422, { type: 'invalid-token-request', title: 'Invalid token request', detail: 'a publisher token needs a team (--team T): publishers write only their team\'s servers' });
    }
    let ttlMs: number | undefined;
    if (body.expires !== undefined) {
      ttlMs = typeof body.expires === 'string' ? parseDuration(body.expires) : undefined;
      if (ttlMs === undefined) throw new RegistryError(422, { type: 'invalid-token-request', title: 'Invalid token request', detail: `expires must be ${DURATION_EXAMPLES}` });
    }
    const description = typeof body.description === 'string' ? body.description : undefined;
    const minted = mintToken({
      role,
      now: clock(),
      ...(typeof team === 'string' ? { team } : {}),
      ...(description !== undefined ? { description } : {}),
      ...(ttlMs !== undefined ? { ttlMs } : {}),
    });
    await store.putToken(minted.record);
    await store.appendAudit({ actor: who.tokenId, action: 'token.create', details: { role: who.role, tokenId: minted.record.id, tokenRole: role, ...(typeof team === 'string' ? { team } : {}) } });
    const { hash: _hash, ...record } = minted.record;
    return c.json({ token: minted.token, record }, 201);
  });
  app.delete(`${PREFIX}/tokens/:id`, async (c) => {
    const who = c.get('principal');
    enforce(mayAdminister(who));
    const id = c.req.param('id');
    if (!isTokenId(id)) throw new RegistryError(400, { type: 'invalid-name', title: 'Invalid token id', detail: `${JSON.stringify(id)} is not a token id (tok_ followed by 12 characters)` });
    const at = clock().toISOString();
    if (!(await store.revokeToken(id, at))) throw new NotFoundError(`no token ${id}`);
    await store.appendAudit({ actor: who.tokenId, action: 'token.revoke', details: { role: who.role, tokenId: id } });
    return c.json({ id, revokedAt: at });
  });
}
