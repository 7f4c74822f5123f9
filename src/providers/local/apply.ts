/**
 * Carries out local plans: start, restart, stop, adopt, retag. One plan at a
 * time per server, and none before the scan for stray processes is done, so
 * a process is never started beside one an earlier Berth left.
 */
import { KeyedLock } from '../../kit/keyed-lock.ts';
import { ProviderError, type ApplyOutcome, type DesiredServer, type Plan } from '../provider.ts';
import { ensureStopped } from './ensure-stopped.ts';
import { launchConfigOf, launchHashOf, type LaunchConfig } from './launch.ts';
import { verifyIdentity } from './process-identity.ts';
import type { LocalProviderState } from './provider-state.ts';
import { Supervisor } from './supervisor.ts';
import type { LocalAction } from './types.ts';

/** Applies plans against one provider's processes until closed. */
export class LocalApplier {
  readonly #state: LocalProviderState;
  /** One apply at a time per server, whatever the caller does. */
  readonly #locks = new KeyedLock();
  #closed = false;

  /** `state`: the provider's shared state; the applier adds supervisors to its table. */
  constructor(state: LocalProviderState) {
    this.#state = state;
  }

  /** From now on `apply` refuses: Berth is shutting down or handing its processes over. */
  close(): void {
    this.#closed = true;
  }

  /**
   * Carries out `plan` in order, logging each action with its reason. Throws
   * ProviderError (provider_closed after `close`; `<op>_failed` wrapping any
   * other error) and stops at the first failure.
   */
  async apply(plan: Plan<LocalAction>): Promise<ApplyOutcome<LocalAction>> {
    if (this.#closed) throw new ProviderError('the local provider is closed; Berth is shutting down', { code: 'provider_closed' });
    await this.#state.strays.marked(); // never spawn before the scan for unrecorded processes is done
    return this.#locks.run(plan.server, async () => {
      const done: ApplyOutcome<LocalAction>['done'] = [];
      for (const action of plan.actions) {
        this.#state.ctx.logger.info({ server: plan.server, op: action.op }, `${action.op} ${action.resource}: ${action.reason}`);
        try {
          done.push({ action, result: await this.#applyAction(action) });
        } catch (err) {
          if (err instanceof ProviderError) throw err;
          throw new ProviderError(`${action.op} ${action.resource} failed: ${(err as Error).message}`, { code: `${action.op}_failed`, cause: err });
        }
      }
      return { done };
    });
  }

  #applyAction(a: LocalAction): Promise<string> {
    const name = a.desired?.name ?? a.resource.replace(/^process /, '');
    switch (a.op) {
      case 'start':
      case 'restart':
        return this.#startOrRestart(name, a);
      case 'stop':
        return ensureStopped(name, this.#state);
      case 'adopt':
        return this.#adopt(name, a);
      case 'retag':
        return this.#retag(name, a);
    }
  }

  /** Replaces whatever runs for `name` with a new process, on the recorded port when there is one (clients keep their URL). */
  async #startOrRestart(name: string, a: LocalAction): Promise<string> {
    const desired = need(a);
    const current = this.#state.table.get(name);
    if (a.op === 'start' && current && current.launchHash === this.#launchHashOrUndefined(desired)) return 'unchanged';
    const previousPort = (await this.#state.ctx.store.get(name))?.port;
    const stopped = await ensureStopped(name, this.#state);
    await this.#start(desired, previousPort);
    return a.op === 'restart' || stopped === 'deleted' ? 'updated' : 'created';
  }

  /** Supervises the process an earlier Berth recorded, if it is still the one the plan saw; else starts afresh. */
  async #adopt(name: string, a: LocalAction): Promise<string> {
    const desired = need(a);
    const { table, strays, ctx } = this.#state;
    if (table.has(name)) return 'unchanged';
    const record = await ctx.store.get(name);
    if (record && record.pid === a.pid && (await verifyIdentity(record.pid, record.identity)).same) {
      await strays.end(name, record.pid);
      table.set(name, await Supervisor.adopt(desired, this.#configOf(desired), record, ctx, a.seen));
      return 'adopted';
    }
    // It went away between observe and apply: start afresh (after making sure nothing remains).
    await ensureStopped(name, this.#state);
    await this.#start(desired, record?.port);
    return 'created';
  }

  /** Records a spec change that does not change how the process runs. */
  async #retag(name: string, a: LocalAction): Promise<string> {
    const desired = need(a);
    const sup = this.#state.table.get(name);
    if (!sup) return 'unchanged';
    await sup.retag(desired, this.#configOf(desired));
    return 'updated';
  }

  async #start(desired: DesiredServer, port?: number): Promise<void> {
    const sup = await Supervisor.launch(desired, this.#configOf(desired), this.#state.ctx, port);
    this.#state.table.set(desired.name, sup);
  }

  #configOf(desired: DesiredServer): LaunchConfig {
    const config = launchConfigOf(desired, this.#state.ctx.settings);
    if ('problem' in config) throw new ProviderError(config.problem, { code: 'invalid_spec', retryable: false });
    return config;
  }

  #launchHashOrUndefined(desired: DesiredServer): string | undefined {
    const config = launchConfigOf(desired, this.#state.ctx.settings);
    return 'problem' in config ? undefined : launchHashOf(config);
  }
}

function need(a: LocalAction): DesiredServer {
  if (!a.desired) throw new ProviderError(`${a.op} ${a.resource} needs the desired server in the action`, { code: 'invalid_plan', retryable: false });
  return a.desired;
}
