/**
 * Runs a proxy's {@link GatewayStep}s (the rules are in pipeline.ts): the
 * request steps in order before anything goes upstream, and the response steps
 * on every message coming back. Built once per proxy, so the steps are sorted by
 * hook once, not per request.
 */
import type { JsonRpcMessage } from './json-rpc.ts';
import type { GatewayContext, GatewayStep } from './pipeline.ts';

/**
 * The steps of one proxy.
 * @example
 * const steps = new StepRunner([hideAdminTools]);
 * const m = await steps.transformResponse(ctx, message);
 */
export class StepRunner {
  /** True when there are no steps to run: requests and responses pass untouched. */
  readonly passThrough: boolean;
  /** The steps with an `onRequest` hook, in order. */
  readonly requestSteps: readonly GatewayStep[];
  /** True when some step transforms responses. */
  readonly transformsResponses: boolean;
  readonly #responseSteps: readonly GatewayStep[];

  constructor(steps: readonly GatewayStep[]) {
    this.requestSteps = steps.filter((s) => s.onRequest);
    this.#responseSteps = steps.filter((s) => s.transformResponse);
    this.transformsResponses = this.#responseSteps.length > 0;
    this.passThrough = this.requestSteps.length === 0 && !this.transformsResponses;
  }

  /** Passes one response message through the response steps, in order. */
  async transformResponse(ctx: GatewayContext, m: JsonRpcMessage): Promise<JsonRpcMessage> {
    for (const step of this.#responseSteps) m = await step.transformResponse!(ctx, m);
    return m;
  }
}
