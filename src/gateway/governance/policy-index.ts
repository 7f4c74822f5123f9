/**
 * The AccessPolicies the gateway decides with, kept current by an informer over
 * the registry, and each caller's grants computed once per policy change: a
 * request costs a Map lookup, not a walk over every policy.
 */
import type { Clock } from '../../kit/clock.ts';
import { Informer, type InformerLogger, type ListWatchSource } from '../../client/informer.ts';
import { grantsFor, type Grants } from '../../manifest/policy.ts';
import type { AccessPolicy } from '../../manifest/types.ts';
import { agentOf, type CallerIdentity } from '../auth/identity.ts';

/** Most callers whose grants are remembered; the oldest go first past it. */
const MAX_CALLERS = 10_000;

/**
 * AccessPolicies by informer, grants by caller.
 * @example
 * const policies = new PolicyIndex({ source: client, logger });
 * await policies.synced();
 * const grants = policies.grantsOf(identity);
 */
export class PolicyIndex {
  readonly #informer: Informer<'AccessPolicy'>;
  #grants = new Map<string, Grants>();

  constructor(opts: { source: ListWatchSource; logger: InformerLogger; clock?: Clock }) {
    this.#informer = new Informer({
      source: opts.source,
      kind: 'AccessPolicy',
      logger: opts.logger,
      ...(opts.clock ? { clock: opts.clock } : {}),
      // Any change may change anyone's grants: start afresh (policies change rarely).
      onEvent: () => (this.#grants = new Map()),
    });
    this.#informer.start();
  }

  /** Resolves once the first list of policies is held. */
  synced(): Promise<void> {
    return this.#informer.synced();
  }

  /** True once the first list of policies is held. */
  get hasSynced(): boolean {
    return this.#informer.hasSynced;
  }

  /** Every policy held. */
  policies(): AccessPolicy[] {
    return this.#informer.list();
  }

  /** What the caller's policies grant it (nothing for an anonymous caller). */
  grantsOf(who: CallerIdentity): Grants {
    const agent = agentOf(who);
    const key = agent === undefined ? '' : who.groups.length === 0 ? agent : `${agent}\u0000${who.groups.join('\u0000')}`;
    let grants = this.#grants.get(key);
    if (grants === undefined) {
      grants = grantsFor(this.#informer.list(), agent === undefined ? { groups: [] } : { agent, groups: who.groups });
      if (this.#grants.size >= MAX_CALLERS) this.#grants.delete(this.#grants.keys().next().value!);
      this.#grants.set(key, grants);
    }
    return grants;
  }

  /** Stops following the registry. */
  stop(): Promise<void> {
    return this.#informer.stop();
  }
}
