/** Deploy plan for the server's task definition family: when to register a revision, and which old ones to deregister. */
import type { DeployAnalysis } from './analyse.ts';
import { TAG } from './naming.ts';
import { creationTags, ownedBy, type Owner } from './ownership.ts';
import type { TaskDefinitionInput } from './render.ts';
import type { EcsAction, EcsObservation } from './types.ts';

/**
 * Whether the service must move to the desired revision: there is no ACTIVE
 * service yet, or the running revision's spec-hash tag differs (unless the
 * desired configuration is the one ECS rolled back: then it is not pushed again).
 */
export function needsNewTaskDefinition(a: DeployAnalysis): boolean {
  const svc = a.service;
  return svc === undefined || svc.status !== 'ACTIVE' || (!a.guarded && a.runningTaskDefinition?.tags[TAG.specHash] !== a.r.taskDefinitionHash);
}

/** A register action when a new revision is `needed` and no ACTIVE one already renders to it (reuse after a crash). Pure. */
export function planTaskDefinition(a: DeployAnalysis, needed: boolean): EcsAction[] {
  if (!needed || a.desiredTaskDefinition !== undefined) return [];
  const { r } = a;
  return [
    {
      kind: 'register-task-definition',
      op: 'register',
      resource: `task definition ${r.family}`,
      reason: `${a.service === undefined ? 'first revision' : `image, command, env, secrets or size changed (running ${a.runningTaskDefinition?.image ?? 'unknown'}, manifest ${r.taskDefinition.containerDefinitions?.[0]?.image ?? ''})`}: ${describeTaskDefinition(r.taskDefinition)}`,
      input: r.taskDefinition,
      tags: creationTags(a.owner, r.taskDefinitionHash, r.extraTags),
    },
  ];
}

/**
 * What the revision runs, in one line for `berth plan`: image, entry point and
 * command (a stdio server's bridge shows here), port, size. Env values and
 * secrets are left out (names only would still be noise; values may be secret).
 * @example describeTaskDefinition(td) // 'image example/kb:1, entryPoint [berth bridge --port 8080 …], command [node /app/server.js], port 8080, 256 CPU / 512 MiB'
 */
export function describeTaskDefinition(td: TaskDefinitionInput): string {
  const c = td.containerDefinitions?.[0];
  const list = (xs: readonly string[] | undefined): string => `[${(xs ?? []).join(' ')}]`;
  return [
    `image ${c?.image ?? '?'}`,
    ...(c?.entryPoint !== undefined ? [`entryPoint ${list(c.entryPoint)}`] : []),
    ...(c?.command !== undefined ? [`command ${list(c.command)}`] : []),
    `port ${c?.portMappings?.[0]?.containerPort ?? '?'}`,
    `${td.cpu ?? '?'} CPU / ${td.memory ?? '?'} MiB`,
  ].join(', ');
}

/** Old revisions Berth registered, except those a deployment uses, the desired one and the last known-good one. Pure. */
export function cleanupTaskDefinitions(obs: EcsObservation, owner: Owner, a: DeployAnalysis): EcsAction[] {
  const inUse = new Set(a.service?.deployments.map((d) => d.taskDefinitionArn) ?? []);
  const running = a.runningTaskDefinition;
  const candidates = obs.family.filter((td) => td.status === 'ACTIVE' && ownedBy(td.tags, owner) && !inUse.has(td.arn) && td.arn !== a.desiredTaskDefinition?.arn);
  // Newest other revision below the running one: what a rollback would return to.
  const lastKnownGood = candidates.filter((td) => running === undefined || td.revision < running.revision).sort((x, y) => y.revision - x.revision)[0];
  return candidates
    .filter((td) => td.arn !== lastKnownGood?.arn)
    .map((td) => ({ kind: 'deregister-task-definition' as const, op: 'deregister', resource: `task definition ${td.family}:${td.revision}`, reason: 'no deployment uses it and it is not the last known-good revision', taskDefinitionArn: td.arn }));
}
