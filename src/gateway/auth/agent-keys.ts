/**
 * Berth agent keys at the gateway: `Authorization: Bearer berth_tok_…_…`. The
 * gateway hashes the secret itself and asks the registry to review the id and
 * hash (`POST …/tokenreviews`), so it needs no database and the secret never
 * leaves the gateway. Answers are cached for a short time (default 5 s) so a
 * busy agent costs one SHA-256 and a Map lookup per request; revocation takes
 * effect within that time. A refusal is cached for less (1 s), so a burst of
 * requests with a bad key cannot make the gateway hammer the registry.
 */
import type { Clock } from '../../kit/clock.ts';
import { describeError } from '../../kit/errors.ts';
import { RegistryError, RegistryUnreachableError } from '../../client/errors.ts';
import type { RegistryClient } from '../../client/registry-client.ts';
import { hashSecret, parseToken } from '../../client/tokens.ts';
import { TokenRejectedError } from './token-rejected.ts';
import { VerifiedTokenCache } from './token-cache.ts';
import { RateLimiter, type RateLimit } from '../governance/rate-limiter.ts';

/** The caller an agent key names. Frozen: shared by every request with the same key while cached. */
export interface AgentKeyIdentity {
  readonly kind: 'agent-key';
  /** The key's public id (`tok_…`), for audit. */
  readonly tokenId: string;
  readonly agent: string;
  readonly groups: readonly string[];
  /** A stable id for binding sessions to this caller. */
  readonly subject: string;
  /** Epoch ms the key expires at, when it does. */
  readonly expiresAt?: number;
}

/** Options of {@link AgentKeyVerifier}. */
export interface AgentKeyVerifierOptions {
  /** Who reviews keys: the registry client (gateway or admin token). */
  reviewer: Pick<RegistryClient, 'reviewToken'>;
  /** How long an accepted key is trusted without asking again; default 5 s. Revocation takes effect within it. */
  acceptedForMs?: number;
  /** How long a refused key is refused without asking again; default 1 s. */
  refusedForMs?: number;
  /** Most keys remembered; default 10,000. */
  maxEntries?: number;
  /**
   * How many refused keys one address may present before its next unknown key is
   * refused without asking the registry (HTTP 429); default a burst of 30, then
   * one a second. Keys already accepted are not affected.
   */
  refusalLimit?: RateLimit;
  clock?: Pick<Clock, 'now'>;
}

/**
 * Verifies agent keys against the registry, with a short cache. See the module comment.
 * @example
 * const keys = new AgentKeyVerifier({ reviewer: client });
 * const who = await keys.verify(bearer); // { kind: 'agent-key', agent: 'sales-copilot', … }
 */
export class AgentKeyVerifier {
  readonly #reviewer: Pick<RegistryClient, 'reviewToken'>;
  readonly #acceptedForMs: number;
  readonly #refusedForMs: number;
  readonly #clock: Pick<Clock, 'now'>;
  readonly #accepted: VerifiedTokenCache<AgentKeyIdentity>;
  readonly #refused: VerifiedTokenCache<TokenRejectedError>;
  readonly #refusals: RateLimiter;
  readonly #refusalLimit: RateLimit;
  /** Reviews in flight, so concurrent first requests with one key ask the registry once. */
  readonly #pending = new Map<string, Promise<AgentKeyIdentity>>();

  constructor(opts: AgentKeyVerifierOptions) {
    this.#reviewer = opts.reviewer;
    this.#acceptedForMs = opts.acceptedForMs ?? 5_000;
    this.#refusedForMs = opts.refusedForMs ?? 1_000;
    this.#clock = opts.clock ?? { now: () => Date.now() };
    this.#accepted = new VerifiedTokenCache(opts.maxEntries ?? 10_000);
    this.#refused = new VerifiedTokenCache(opts.maxEntries ?? 10_000);
    this.#refusals = new RateLimiter({ clock: this.#clock });
    this.#refusalLimit = opts.refusalLimit ?? { requestsPerMinute: 60, burst: 30 };
  }

  /**
   * The identity `token` names.
   * @throws TokenRejectedError `malformed`, `unknown-agent-key`, `revoked`, `expired`,
   *   `not-an-agent-key`, or `registry-unreachable` (answer 503: not the agent's fault)
   */
  verify(token: string, remoteAddress?: string): Promise<AgentKeyIdentity> {
    const now = this.#clock.now();
    const hit = this.#accepted.get(token, now);
    if (hit !== undefined) {
      if (hit.expiresAt !== undefined && hit.expiresAt <= now) return Promise.reject(new TokenRejectedError('expired', `agent key ${hit.tokenId} has expired; ask an admin for a new one`));
      return Promise.resolve(hit);
    }
    const refused = this.#refused.get(token, now);
    if (refused !== undefined) return Promise.reject(refused);
    // Each unknown key costs a review at the registry: an address that keeps
    // presenting refused ones waits before its next unknown key is looked at.
    const from = `refused@${remoteAddress ?? '?'}`;
    const budget = this.#refusals.peek(from, this.#refusalLimit);
    if (!budget.ok) {
      return Promise.reject(new TokenRejectedError('too-many-refusals', `too many refused agent keys from this address; retry after ${budget.retryAfterSeconds} s`, { retryAfterSeconds: budget.retryAfterSeconds }));
    }
    let pending = this.#pending.get(token);
    if (pending === undefined) {
      pending = this.#review(token)
        .catch((err: unknown) => {
          if (err instanceof TokenRejectedError && err.code !== 'registry-unreachable') this.#refusals.take(from, this.#refusalLimit);
          throw err;
        })
        .finally(() => this.#pending.delete(token));
      this.#pending.set(token, pending);
    }
    return pending;
  }

  async #review(token: string): Promise<AgentKeyIdentity> {
    const parsed = parseToken(token);
    if (parsed === undefined) throw this.#refuse(token, new TokenRejectedError('malformed', 'the bearer token is not a Berth agent key (berth_tok_<id>_<secret>) nor a JWT the gateway accepts'));
    let review;
    try {
      review = await this.#reviewer.reviewToken({ tokenId: parsed.id, hash: hashSecret(parsed.secret) });
    } catch (err) {
      if (err instanceof RegistryUnreachableError || (err instanceof RegistryError && err.status >= 500)) {
        throw new TokenRejectedError('registry-unreachable', 'the gateway cannot reach the registry to check the agent key; retry shortly', { cause: err });
      }
      throw new TokenRejectedError('registry-unreachable', `the registry refused to review the agent key (${describeError(err)}); the gateway's own token may lack the gateway role`, { cause: err });
    }
    if (!review.authenticated) {
      const code = review.code === 'unknown' ? 'unknown-agent-key' : review.code;
      // The reason goes into WWW-Authenticate's error_description: no quotes or backslashes there.
      throw this.#refuse(token, new TokenRejectedError(code, review.reason.replace(/["\\]/g, "'")));
    }
    const expiresAt = review.expiresAt === undefined ? undefined : Date.parse(review.expiresAt);
    const identity: AgentKeyIdentity = Object.freeze({
      kind: 'agent-key' as const,
      tokenId: review.tokenId,
      agent: review.agent,
      groups: Object.freeze([...review.groups]),
      subject: `key:${review.tokenId}`,
      ...(expiresAt === undefined ? {} : { expiresAt }),
    });
    const now = this.#clock.now();
    this.#accepted.set(token, identity, Math.min(now + this.#acceptedForMs, expiresAt ?? Number.POSITIVE_INFINITY), now);
    return identity;
  }

  #refuse(token: string, err: TokenRejectedError): TokenRejectedError {
    const now = this.#clock.now();
    this.#refused.set(token, err, now + this.#refusedForMs, now);
    return err;
  }
}
