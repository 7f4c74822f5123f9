/** What the pieces of an ECS plan share: how a piece says "stop here", wait times, readable ARNs. */
import type { EcsAction } from './types.ts';

/** How long to wait before looking again at a service that isn't visible yet or still draining. */
export const WAIT_MISSING_MS = 3_000;
/** Wait while a service drains. */
export const WAIT_DRAINING_MS = 10_000;

/**
 * One piece of a deploy plan. `halt`: the pieces after this one must not be
 * planned in this pass (what they would touch can't be written yet).
 */
export interface PlanSection {
  actions: EcsAction[];
  halt: boolean;
}

/** The last two path segments of an ARN, for readable plans. */
export function shortArn(arn: string): string {
  return arn.split('/').slice(-2).join('/');
}
