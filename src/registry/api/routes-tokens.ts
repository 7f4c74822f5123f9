/**
 * `GET|POST /apis/berth.dev/v1alpha1/tokens`, `DELETE …/tokens/<id>`: API tokens
 * (admin only). A token's secret is returned once, at creation; only its hash is stored.
 * What a create may ask for is checked in `token-request.ts`.
 */
import { ConflictError, NotFoundError, RegistryError } from '../../client/errors.ts';
import { isTokenId } from '../../client/tokens.ts';
import { enforce, mayAdminister } from '../auth/authorize.ts';
import { mintToken } from '../auth/tokens.ts';
import { readObjectBody } from './body.ts';
import { PREFIX, type ApiApp, type ApiDeps } from './context.ts';
import { readTokenRequest } from './token-request.ts';

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
    const request = readTokenRequest(await readObjectBody(c.req.raw));
    const minted = mintToken({ ...request, now: clock() });
    // The audit (committed with the token) names who the token is for (team, agent, groups); never its secret or hash.
    const { role: tokenRole, description: _description, ttlMs: _ttlMs, ...subject } = request;
    await store.putToken(minted.record, { audit: { actor: who.tokenId, action: 'token.create', details: { role: who.role, tokenId: minted.record.id, tokenRole, ...subject } } });
    const { hash: _hash, ...record } = minted.record;
    return c.json({ token: minted.token, record }, 201);
  });
  app.delete(`${PREFIX}/tokens/:id`, async (c) => {
    const who = c.get('principal');
    enforce(mayAdminister(who));
    const id = c.req.param('id');
    if (!isTokenId(id)) throw new RegistryError(400, { type: 'invalid-name', title: 'Invalid token id', detail: `${JSON.stringify(id)} is not a token id (tok_ followed by 12 characters)` });
    const at = clock().toISOString();
    const force = c.req.query('force') === 'true';
    // Revoking the last admin token leaves nobody able (a dashboard session ends with its token, so it does not count) to create another over the API: say so, and how to recover.
    if (!force) {
      const now = Date.parse(at);
      const admins = (await store.listTokens()).filter((t) => t.role === 'admin' && t.session !== true && t.revokedAt === undefined && (t.expiresAt === undefined || Date.parse(t.expiresAt) > now));
      if (admins.length === 1 && admins[0]!.id === id) {
        throw new ConflictError(
          `token ${id} is the last admin token: revoking it leaves no token that can create or revoke tokens. Create another admin token first (berth token create --role admin), or revoke with --force (?force=true) and recover with \`berth up --reset-admin-token\` on the machine that holds the state folder`,
        );
      }
    }
    const audit = { actor: who.tokenId, action: 'token.revoke', details: { role: who.role, tokenId: id, ...(force ? { force: true } : {}) } };
    if (!(await store.revokeToken(id, at, { audit }))) throw new NotFoundError(`no token ${id}`);
    return c.json({ id, revokedAt: at });
  });
}
