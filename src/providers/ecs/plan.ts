/**
 * The ECS plan for one server, PURE: ordered AWS actions with reasons.
 *
 * Deploy order: target group → its attributes → listener rule (→ remove
 * duplicate rules Berth owns) → task definition (an ACTIVE revision whose
 * spec-hash tag matches is reused: a crash after RegisterTaskDefinition never
 * registers a second one) → service (create with a deterministic clientToken,
 * or update only the fields that differ) → DNS aliases (A, AAAA) + ownership TXT →
 * clean-up (old records, old target groups, old task definition revisions not
 * used by any deployment, keeping the last known-good one).
 * Retire order: DNS → rules → service (scale to 0, delete with force, wait
 * until INACTIVE) → target groups → task definitions.
 * While a foreign resource blocks (Conflict) nothing is written.
 *
 * Each step is planned in its own file: plan-target-group.ts,
 * plan-listener-rule.ts, plan-task-definition.ts, plan-service.ts, plan-dns.ts,
 * plan-cleanup.ts, plan-retire.ts.
 */
import type { DesiredServer, Plan } from '../provider.ts';
import { analyseDeploy, type DeployAnalysis } from './analyse.ts';
import type { EcsEnvironmentConfig } from './config.ts';
import { CONTAINER_NAME } from './naming.ts';
import { planCleanup } from './plan-cleanup.ts';
import { planDns } from './plan-dns.ts';
import { planListenerRule } from './plan-listener-rule.ts';
import { planRetire } from './plan-retire.ts';
import { planService } from './plan-service.ts';
import { needsNewTaskDefinition, planTaskDefinition } from './plan-task-definition.ts';
import { planTargetGroup } from './plan-target-group.ts';
import type { EcsAction, EcsObservation } from './types.ts';


/** Plans `desired` (undefined: retire) against `obs`. Pure. */
export function planEcs(desired: DesiredServer | undefined, obs: EcsObservation, config: EcsEnvironmentConfig): Plan<EcsAction> {
  // Marked so the provider's mass-deletion guard can tell a retirement from a deploy's clean-up.
  if (desired === undefined) return { server: obs.name, actions: planRetire(obs, config).map((a) => ({ ...a, retiring: true as const })) };
  const a = analyseDeploy(desired, obs, config);
  if (a.conflicts.length > 0) return { server: obs.name, actions: [] };
  return { server: obs.name, actions: planDeploy(a, obs, config) };
}

/** The deploy steps in the order of the file comment; a step that halts leaves the later ones to a later pass. */
function planDeploy(a: DeployAnalysis, obs: EcsObservation, config: EcsEnvironmentConfig): EcsAction[] {
  const out = planTargetGroup(a);
  const rule = planListenerRule(a);
  out.push(...rule.actions);
  if (rule.halt) return out;
  const needsTaskDefinition = needsNewTaskDefinition(a);
  out.push(...planTaskDefinition(a, needsTaskDefinition));
  const service = planService(a, obs, needsTaskDefinition);
  out.push(...service.actions);
  if (service.halt) return out;
  out.push(...planDns(a, config));
  out.push(...planCleanup(a, obs));
  return out;
}

