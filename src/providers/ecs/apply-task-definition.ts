/** Apply steps for the server's task definition family: register a revision, deregister an old one. */
import { DeregisterTaskDefinitionCommand, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { ProviderError } from '../provider.ts';
import type { ActionOf, ApplyContext, StepResult } from './apply-context.ts';
import { ecsTags } from './ownership.ts';

/**
 * RegisterTaskDefinition with Berth's tags in the call; binds the new ARN for
 * the service step after it and tells the view about the revision (the family
 * listing may lag). Throws when AWS returns no ARN.
 */
export async function registerTaskDefinition(action: ActionOf<'register-task-definition'>, ctx: ApplyContext): Promise<StepResult> {
  const out = await ctx.clients.ecs.send(new RegisterTaskDefinitionCommand({ ...action.input, tags: ecsTags(action.tags) }), ctx.sendOptions);
  const td = out.taskDefinition;
  if (td?.taskDefinitionArn === undefined) throw new ProviderError('RegisterTaskDefinition returned no ARN', { code: 'internal' });
  ctx.bound.taskDefinitionArn = td.taskDefinitionArn;
  ctx.view.rememberTaskDefinition({
    arn: td.taskDefinitionArn,
    family: td.family ?? '',
    revision: td.revision ?? 0,
    status: td.status ?? 'ACTIVE',
    tags: action.tags,
    ...(td.containerDefinitions?.[0]?.image !== undefined ? { image: td.containerDefinitions[0].image } : {}),
  });
  return `registered revision ${td.revision}`;
}

/** DeregisterTaskDefinition, remembering the revision as INACTIVE so the next plan does not deregister it again. */
export async function deregisterTaskDefinition(action: ActionOf<'deregister-task-definition'>, ctx: ApplyContext): Promise<StepResult> {
  const out = await ctx.clients.ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: action.taskDefinitionArn }), ctx.sendOptions);
  const td = out.taskDefinition;
  ctx.view.rememberTaskDefinition({
    arn: action.taskDefinitionArn,
    family: td?.family ?? '',
    revision: td?.revision ?? 0,
    status: td?.status ?? 'INACTIVE',
    tags: {},
  });
  return 'deregistered';
}
