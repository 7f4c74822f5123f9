/**
 * What the per-resource apply steps share: the clients and view they write
 * through, the ARNs bound earlier in the same plan, and how a step says
 * "done" or "not now, call again".
 */
import type { AwsView, EcsClients } from './aws-view.ts';
import type { EcsEnvironmentConfig } from './config.ts';
import type { KeyedLock } from '../../kit/keyed-lock.ts';
import type { EcsAction } from './types.ts';

/** What apply remembers across passes (per provider instance). */
export interface ApplyMemory {
  /** Service name → when this provider created it (MISSING right after means "not visible yet"). */
  createdAt: Map<string, number>;
  /** Server → last AWS error. */
  lastError: Map<string, { code: string; message: string; at: string; resolvedAt?: string }>;
}

/** The per-provider dependencies `applyEcs` is called with. */
export interface ApplyDeps {
  clients: EcsClients;
  view: AwsView;
  config: EcsEnvironmentConfig;
  memory: ApplyMemory;
  now: () => number;
  /** Serialises rule placement per load balancer (see the create-rule step). */
  placementLock: KeyedLock;
}

/** One plan's apply: the provider's dependencies plus what the plan carries from step to step. */
export interface ApplyContext extends ApplyDeps {
  /** The server the plan is for. */
  server: string;
  /** Passed to every SDK call, so an abort cancels the call in flight too. */
  sendOptions: { abortSignal?: AbortSignal };
  /**
   * ARNs created earlier in this plan. Actions planned before a resource existed
   * leave its ARN out; the step that creates it fills it in here for the later ones.
   */
  bound: { targetGroupArn?: string; taskDefinitionArn?: string };
}

/** A step's outcome: what it did, or what it did and how long to wait before the plan is made again. */
export type StepResult = string | { result: string; requeueAfterMs: number };

/** The planned action of one kind. */
export type ActionOf<K extends EcsAction['kind']> = Extract<EcsAction, { kind: K }>;

/** Retry delays when AWS says "not now". */
export const BUSY_MS = { targetGroupInUse: 5_000, zoneBusy: 2_000, serviceNotReady: 3_000, listenerFull: 1_000 } as const;
