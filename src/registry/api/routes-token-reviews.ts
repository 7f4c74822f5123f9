/**
 * `POST /apis/berth.dev/v1alpha1/tokenreviews`: a gateway asks whether an agent
 * key an agent presented is good, without the registry's database (the
 * Kubernetes TokenReview pattern). Gateway and admin tokens only.
 *
 * The body carries the key's public id and the SHA-256 of its secret — the
 * gateway hashes locally, so the secret never travels. The answer is 200 either
 * way: `{ authenticated: true, tokenId, agent, groups, expiresAt? }` for a known,
 * unexpired, unrevoked agent key, else `{ authenticated: false, code, reason }`. Only a
 * body that is not a review at all (a missing id, a hash that is not 64 hex
 * digits) is a 422. Reviews are reads: they are not audited, and neither the hash
 * nor anything derived from it is logged.
 *
 * @example
 * POST …/tokenreviews {"tokenId":"tok_3k9x…","hash":"9f86d0…"}
 * → 200 {"authenticated":true,"tokenId":"tok_3k9x…","agent":"sales-copilot","groups":[]}
 */
import { RegistryError } from '../../client/errors.ts';
import { isSecretHash, isTokenId } from '../../client/tokens.ts';
import type { TokenReview, TokenReviewRequest } from '../../client/wire.ts';
import { checkToken } from '../auth/authenticate.ts';
import { enforce, mayActAsGateway } from '../auth/authorize.ts';
import type { Store } from '../store.ts';
import { readObjectBody } from './body.ts';
import { PREFIX, type ApiApp, type ApiDeps } from './context.ts';

function invalid(detail: string): RegistryError {
  return new RegistryError(422, { type: 'invalid-token-review', title: 'Invalid token review', detail });
}

/** The review request in `body`. @throws RegistryError 422 when it is not one */
function readReviewRequest(body: Record<string, unknown>): TokenReviewRequest {
  const { tokenId, hash } = body;
  if (typeof tokenId !== 'string') throw invalid('tokenId must be the presented token\'s public id, a string such as "tok_3k9x…"');
  if (typeof hash !== 'string' || !isSecretHash(hash)) throw invalid("hash must be the SHA-256 of the presented token's secret: 64 lower-case hex digits");
  return { tokenId, hash };
}

/** The answer to `req` at `now`: only a live agent key with an agent name authenticates. */
async function review(store: Store, req: TokenReviewRequest, now: Date): Promise<TokenReview> {
  // A garbled id cannot match any token; say so without echoing what was sent.
  if (!isTokenId(req.tokenId)) return { authenticated: false, code: 'unknown', reason: 'tokenId is not a Berth token id (tok_ and 12 lower-case letters or digits)' };
  const check = await checkToken(store, { id: req.tokenId, hash: req.hash }, now);
  if (!check.valid) return { authenticated: false, code: check.problem, reason: check.reason };
  const { record } = check;
  if (record.role !== 'agent') return { authenticated: false, code: 'not-an-agent-key', reason: `token ${record.id} is not an agent key: role ${record.role}` };
  // Agent keys made before keys named their agent have none; no policy can name them.
  if (record.agent === undefined) return { authenticated: false, code: 'not-an-agent-key', reason: `agent key ${record.id} names no agent; create a new one with --agent NAME` };
  return {
    authenticated: true,
    tokenId: record.id,
    agent: record.agent,
    groups: record.groups ?? [],
    ...(record.expiresAt !== undefined ? { expiresAt: record.expiresAt } : {}),
  };
}

/** Registers the token review route. */
export function tokenReviewRoutes(app: ApiApp, { store, clock, logger }: ApiDeps): void {
  app.post(`${PREFIX}/tokenreviews`, async (c) => {
    const who = c.get('principal');
    enforce(mayActAsGateway(who));
    const req = readReviewRequest(await readObjectBody(c.req.raw));
    const answer = await review(store, req, clock());
    logger.debug({ reviewer: who.tokenId, authenticated: answer.authenticated, ...(answer.authenticated ? { tokenId: answer.tokenId } : {}) }, 'token review');
    return c.json(answer);
  });
}
