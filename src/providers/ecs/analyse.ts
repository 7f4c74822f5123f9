/**
 * Reads one observation against the rendered manifest: which resources are
 * Berth's, which names are taken by someone else, where the rule goes, what
 * drifted, and whether ECS rolled a deployment back. Pure; `plan.ts` turns it
 * into actions and `assess.ts` into status, so both always agree.
 */
import type { ResourceRecordSet } from '@aws-sdk/client-route-53';
import type { DesiredServer } from '../provider.ts';
import type { EcsEnvironmentConfig, ListenerConfig } from './config.ts';
import { aliasesAt, aliasRecords, ALIAS_TYPES, describeRecord, dnsHash, hashBeforeAaaa, ownershipRecord, sameAlias, vouchedTypes, type AliasesByType, type AliasType } from './dns.ts';
import { inDomain, normaliseDnsName, TAG } from './naming.ts';
import { findRecord, managedServer, ownedBy, parseOwnershipRecord, type Owner } from './ownership.ts';
import { chooseListener } from './quota.ts';
import { canonicalConditions, renderServer, type HealthCheckSettings, type RenderedServer } from './render.ts';
import { serviceSettingsDrift } from './service-drift.ts';
import { bandOf, choosePriorityInBand, foreignRuleProblem, inBand, routeOfConditions, type PriorityBand } from './rule-order.ts';
import type { EcsObservation, ObservedRule, ObservedService, ObservedTargetGroup, ObservedTaskDefinition } from './types.ts';

/** The alias records (A and AAAA) + ownership record a server should have. */
export interface DesiredDns {
  hostedZoneId: string;
  /** The host, normalised (trailing dot). */
  name: string;
  /** Alias A and AAAA to the ALB. */
  aliases: Record<AliasType, ResourceRecordSet>;
  ownership: ResourceRecordSet;
  hash: string;
}

/**
 * Records Berth owns for this server at one host: the ownership TXT and the
 * alias records it vouches for that are still there (any may be gone). On the
 * deploy path a CNAME standing where Berth's A was counts as that A.
 */
export interface OwnedDns {
  ownership: ResourceRecordSet;
  aliases: AliasesByType;
  hash: string;
}

/** The analysis of a deploy. */
export interface DeployAnalysis {
  r: RenderedServer;
  owner: Owner;
  /** Foreign resources in the way; while any, nothing is written. */
  conflicts: string[];
  /** Set when no configured listener has room for a new rule. */
  quota?: string;
  listener?: ListenerConfig;
  service?: ObservedService;
  /** The owned target group with the desired name. */
  targetGroup?: ObservedTargetGroup;
  /** Owned target groups of this server with other names (immutable fields changed). */
  staleTargetGroups: ObservedTargetGroup[];
  rule?: ObservedRule;
  duplicateRules: ObservedRule[];
  usedPriorities: number[];
  /** The priorities this server's rule belongs in (see rule-order.ts). */
  band: PriorityBand;
  /** Where a new rule goes: a free priority of {@link band} (after {@link ruleMoves}); undefined when none is free. */
  newRulePriority?: number;
  /** The kept rule's routing changes to another band: create the new rule first, then delete this one. */
  replaceRule: boolean;
  /**
   * Rules of this installation on the listener outside their band (written before
   * bands, by hash), moved into their bands in one atomic SetRulePriorities before
   * anything else touches the listener.
   */
  ruleMoves: Array<{ ruleArn: string; server: string; from: number; to: number }>;
  /** An ACTIVE revision of the family rendering to the desired definition (reused after a crash). */
  desiredTaskDefinition?: ObservedTaskDefinition;
  /** The task definition of the PRIMARY deployment. */
  runningTaskDefinition?: ObservedTaskDefinition;
  /** ECS's circuit breaker rolled the last deployment back. */
  rolledBack: boolean;
  /** Don't push the task definition: the desired configuration is the one that was rolled back. */
  guarded: boolean;
  /** Reason the circuit breaker gave, when known. */
  rollbackReason?: string;
  dns?: DesiredDns;
  dnsCurrent?: OwnedDns;
  /** Owned records at other names (host changed or removed). */
  dnsElsewhere: OwnedDns[];
  drift: string[];
  endpoint?: string;
}

/** Deploy-time analysis. Throws ProviderError (non-retryable) for specs ECS can't run. */
export function analyseDeploy(desired: DesiredServer, obs: EcsObservation, config: EcsEnvironmentConfig): DeployAnalysis {
  const r = renderServer(desired, config);
  const owner: Owner = { installationId: config.installationId, server: desired.name };
  const conflicts: string[] = [];
  const drift: string[] = [];

  // Service: INACTIVE is as good as gone (its name can be reused).
  const seen = obs.service !== undefined && obs.service.status !== 'INACTIVE' ? obs.service : undefined;
  let service: ObservedService | undefined;
  if (seen !== undefined) {
    if (ownedBy(seen.tags, owner)) service = seen;
    else conflicts.push(`ECS service ${seen.name} already exists in the cluster and is not Berth's (${describeTags(seen.tags)}); rename or delete it, or change metadata.name`);
  }

  // Target groups.
  const named = obs.targetGroups.find((tg) => tg.name === r.targetGroup.name);
  if (named !== undefined && !ownedBy(named.tags, owner)) {
    conflicts.push(`target group ${named.name} already exists and is not Berth's (${describeTags(named.tags)}); delete it or change metadata.name`);
  }
  const targetGroup = named !== undefined && ownedBy(named.tags, owner) ? named : undefined;
  const staleTargetGroups = obs.targetGroups.filter((tg) => tg.name !== r.targetGroup.name && ownedBy(tg.tags, owner));
  if (targetGroup !== undefined) {
    const same = sameHealthCheck(targetGroup.healthCheck, r.targetGroup.healthCheck);
    if (!same && targetGroup.tags[TAG.specHash] === r.targetGroup.hash) {
      drift.push(`target group ${targetGroup.name}: health check changed outside Berth (${describeHealth(targetGroup.healthCheck)}; manifest says ${describeHealth(r.targetGroup.healthCheck)})`);
    }
  }

  // Rules: keep one owned rule (the one matching, else the lowest priority), the rest are duplicates.
  const allRules = Object.values(obs.rulesByListener).flat();
  const owned = allRules.filter((rule) => ownedBy(rule.tags, owner));
  const desiredKey = canonicalConditions(r.ruleConditions);
  const ranked = [...owned].sort((a, b) => rank(a) - rank(b) || a.priority - b.priority || (a.arn < b.arn ? -1 : 1));
  function rank(rule: ObservedRule): number {
    return rule.conditionsKey === desiredKey && (targetGroup === undefined || rule.targetGroupArns.includes(targetGroup.arn)) ? 0 : 1;
  }
  const rule = ranked[0];
  const duplicateRules = ranked.slice(1);
  let listener: ListenerConfig | undefined;
  let quota: string | undefined;
  if (rule !== undefined) listener = config.listeners.find((l) => l.arn === rule.listenerArn);
  if (listener === undefined) {
    const pick = chooseListener(config.listeners, obs.rulesByListener, config.environment, targetGroup?.arn, config.rulesPerLoadBalancer);
    if (pick.listener !== undefined) listener = pick.listener;
    else quota = pick.problem;
  }
  const listenerRules = listener === undefined ? [] : (obs.rulesByListener[listener.arn] ?? []);
  const usedPriorities = listenerRules.map((x) => x.priority);
  const band = bandOf(r.path, r.host);
  const replaceRule = rule !== undefined && rule.conditionsKey !== desiredKey && !inBand(rule.priority, band);
  const leaving = new Set([...duplicateRules.map((d) => d.arn), ...(replaceRule && rule !== undefined ? [rule.arn] : [])]);
  const ruleMoves = misplacedRules(listenerRules, config.installationId, leaving, new Set(usedPriorities), rule === undefined ? undefined : { arn: rule.arn, band });
  const taken = new Set([...usedPriorities, ...ruleMoves.map((m) => m.to)]);
  const newRulePriority = rule === undefined || replaceRule ? choosePriorityInBand(r.name, band, taken) : undefined;
  // Priority the server's rule is (or will be) evaluated at, for the foreign-rule check.
  const movedTo = ruleMoves.find((m) => m.ruleArn === rule?.arn)?.to;
  const ourPriority = replaceRule || rule === undefined ? newRulePriority : (movedTo ?? rule.priority);
  for (const foreign of listenerRules.filter((x) => managedServer(x.tags, config.installationId) === undefined)) {
    if (foreign.conditionsKey === desiredKey) {
      conflicts.push(`listener rule ${foreign.arn} (priority ${foreign.priority}) already routes ${r.host ?? ''}${r.path} and is not Berth's (${describeTags(foreign.tags)}); remove it or change spec.routing`);
      continue;
    }
    const problem = ourPriority === undefined ? undefined : foreignRuleProblem(foreign, r.ruleConditions, r.path, r.host, ourPriority);
    if (problem !== undefined) conflicts.push(`${problem} (${describeTags(foreign.tags)})`);
  }
  if (rule !== undefined && rule.tags[TAG.specHash] === r.ruleHash) {
    if (rule.conditionsKey !== desiredKey) drift.push(`listener rule ${rule.arn}: conditions changed outside Berth to ${rule.conditionsKey}; manifest says ${desiredKey}`);
    else if (targetGroup !== undefined && !(rule.targetGroupArns.length === 1 && rule.targetGroupArns[0] === targetGroup.arn)) {
      drift.push(`listener rule ${rule.arn}: forwards to ${rule.targetGroupArns.join(', ') || 'nothing'} instead of ${targetGroup.name}`);
    }
  }

  // Task definitions.
  const ours = (td: ObservedTaskDefinition): boolean => ownedBy(td.tags, owner);
  const desiredTaskDefinition = obs.family.find((td) => td.status === 'ACTIVE' && ours(td) && td.tags[TAG.specHash] === r.taskDefinitionHash);
  const primary = service?.deployments.find((d) => d.status === 'PRIMARY');
  const runningTaskDefinition = primary === undefined ? undefined : obs.deploymentTaskDefinitions.find((td) => td.arn === primary.taskDefinitionArn);
  const rollback = service === undefined ? { rolledBack: false } : detectRollback(service);
  const rolledBack = rollback.rolledBack;
  const guarded = service !== undefined && (service.tags[TAG.failedSpecHash] === r.service.hash || (rolledBack && service.tags[TAG.specHash] === r.service.hash));

  if (service !== undefined && service.tags[TAG.specHash] === r.service.hash && service.status === 'ACTIVE') {
    if (service.desiredCount !== r.service.desiredCount) drift.push(`ECS service ${service.name}: desiredCount changed outside Berth to ${service.desiredCount}; manifest says ${r.service.desiredCount}`);
    const runningHash = runningTaskDefinition?.tags[TAG.specHash];
    if (!guarded && !rolledBack && primary !== undefined && runningHash !== r.taskDefinitionHash) {
      drift.push(`ECS service ${service.name}: task definition changed outside Berth to ${primary.taskDefinitionArn}; manifest renders ${desiredTaskDefinition?.arn ?? `a definition with hash ${r.taskDefinitionHash.slice(0, 12)}`}`);
    }  }
  if (service !== undefined && service.status === 'ACTIVE') drift.push(...serviceSettingsDrift(service, r, targetGroup?.arn, service.tags[TAG.specHash] === r.service.hash));

  // DNS.
  const elsewhereAll = ownedRecords(obs.records, owner, config.listeners);
  let dns: DesiredDns | undefined;
  let dnsCurrent: OwnedDns | undefined;
  if (r.host !== undefined && config.hostedZoneId !== undefined && config.domain !== undefined && inDomain(r.host, config.domain) && listener !== undefined) {
    const aliases = aliasRecords(r.host, listener);
    const hash = dnsHash(aliases);
    const ownership = ownershipRecord(r.host, owner, hash);
    const name = aliases.A.Name!;
    dns = { hostedZoneId: config.hostedZoneId, name, aliases, ownership, hash };
    const txt = findRecord(obs.records, ownership.Name!, 'TXT');
    const parsed = parseOwnershipRecord(txt);
    const ownTxt = parsed !== undefined && parsed.installationId === owner.installationId && parsed.server === owner.server;
    if (txt !== undefined && !ownTxt) conflicts.push(`DNS record ${ownership.Name} TXT belongs to ${parsed ? `Berth installation ${parsed.installationId}, server ${parsed.server}` : 'someone else'}; Berth will not take over ${r.host}`);
    else if (!ownTxt) {
      const atHost = findRecord(obs.records, name, 'A') ?? findRecord(obs.records, name, 'CNAME') ?? findRecord(obs.records, name, 'AAAA');
      if (atHost !== undefined) conflicts.push(`DNS record ${name} ${atHost.Type} already exists and is not Berth's (no ownership record ${ownership.Name}); delete it or choose another spec.routing.host`);
    } else {
      const vouched = vouchedTypes(name, parsed, obs.records, config.listeners);
      const found = aliasesAt(obs.records, name, vouched);
      // A CNAME can't live beside an A: one at the host replaced Berth's A.
      const cname = findRecord(obs.records, name, 'CNAME');
      if (found.A === undefined && cname !== undefined) found.A = cname;
      dnsCurrent = { ownership: txt!, aliases: found, hash: parsed.hash };
      for (const type of ALIAS_TYPES.filter((t) => !vouched.includes(t))) {
        const foreign = findRecord(obs.records, name, type);
        if (foreign !== undefined) {
          conflicts.push(`DNS record ${name} ${type} already exists and is not Berth's (ownership record ${ownership.Name} was written before Berth kept ${type} records and does not vouch for it); delete it or choose another spec.routing.host`);
        }
      }
      // Berth last wrote exactly these aliases (or, before AAAA support, this A alone): any difference was made outside Berth.
      if (parsed.hash === hash || parsed.hash === hashBeforeAaaa(aliases.A)) {
        for (const type of vouched) {
          const want = aliases[type];
          const have = found[type];
          if (!sameAlias(have, want)) drift.push(`DNS record ${name} ${type}: changed outside Berth (${have === undefined ? 'deleted' : describeRecord(have)}); manifest says alias to ${want.AliasTarget?.DNSName}`);
        }
      }
    }
  }
  const dnsElsewhere = elsewhereAll.filter((o) => dns === undefined || normaliseDnsName(o.ownership.Name ?? '') !== dns.ownership.Name);

  const endpointHost = r.host ?? listener?.dnsName;
  const endpoint = endpointHost === undefined ? undefined : `${config.endpointScheme}://${endpointHost}${r.path}`;

  return {
    r,
    owner,
    conflicts,
    ...(quota !== undefined ? { quota } : {}),
    ...(listener !== undefined ? { listener } : {}),
    ...(service !== undefined ? { service } : {}),
    ...(targetGroup !== undefined ? { targetGroup } : {}),
    staleTargetGroups,
    ...(rule !== undefined ? { rule } : {}),
    duplicateRules,
    usedPriorities,
    band,
    ...(newRulePriority !== undefined ? { newRulePriority } : {}),
    replaceRule,
    ruleMoves,
    ...(desiredTaskDefinition !== undefined ? { desiredTaskDefinition } : {}),
    ...(runningTaskDefinition !== undefined ? { runningTaskDefinition } : {}),
    rolledBack,
    guarded,
    ...(rollback.reason !== undefined ? { rollbackReason: rollback.reason } : {}),
    ...(dns !== undefined ? { dns } : {}),
    ...(dnsCurrent !== undefined ? { dnsCurrent } : {}),
    dnsElsewhere,
    drift,
    ...(endpoint !== undefined ? { endpoint } : {}),
  };
}

/**
 * Rules of this installation (any server) on one listener whose priority lies
 * outside the band of their own route, each with a free slot in its band;
 * rules about to be deleted (`leaving`) are left where they are. The server's
 * own rule (`own`) is judged by the band of its desired route, not of conditions
 * someone may have changed (those are put back by ModifyRule). Deterministic.
 */
function misplacedRules(
  rules: readonly ObservedRule[],
  installationId: string,
  leaving: ReadonlySet<string>,
  used: ReadonlySet<number>,
  own: { arn: string; band: PriorityBand } | undefined,
): DeployAnalysis['ruleMoves'] {
  const taken = new Set(used);
  const out: DeployAnalysis['ruleMoves'] = [];
  for (const rule of [...rules].sort((a, b) => (a.arn < b.arn ? -1 : 1))) {
    const server = managedServer(rule.tags, installationId);
    if (server === undefined || leaving.has(rule.arn)) continue;
    const route = routeOfConditions(rule.conditions);
    const band = rule.arn === own?.arn ? own.band : route === undefined ? undefined : bandOf(route.path, route.host);
    if (band === undefined) continue;
    if (inBand(rule.priority, band)) continue;
    const to = choosePriorityInBand(server, band, taken);
    if (to === undefined) continue;
    taken.add(to);
    out.push({ ruleArn: rule.arn, server, from: rule.priority, to });
  }
  return out;
}

/** Ownership TXT records of this server, each with the alias records beside it that it vouches for (those still there). */
export function ownedRecords(records: readonly ResourceRecordSet[], owner: Owner, listeners: readonly ListenerConfig[]): OwnedDns[] {
  const out: OwnedDns[] = [];
  for (const rec of records) {
    if (rec.Type !== 'TXT' || !normaliseDnsName(rec.Name ?? '').startsWith('_berth.')) continue;
    const parsed = parseOwnershipRecord(rec);
    if (parsed === undefined || parsed.installationId !== owner.installationId || parsed.server !== owner.server) continue;
    const host = normaliseDnsName(rec.Name ?? '').slice('_berth.'.length);
    out.push({ ownership: rec, aliases: aliasesAt(records, host, vouchedTypes(host, parsed, records, listeners)), hash: parsed.hash });
  }
  return out;
}

/**
 * Did ECS's circuit breaker roll the service back? Judged by the PRIMARY's
 * reason while the rollback runs, and afterwards by the newest deployment event
 * being a rollback (a deployment someone started later would be newer).
 */
export function detectRollback(service: ObservedService): { rolledBack: boolean; reason?: string } {
  const primary = service.deployments.find((d) => d.status === 'PRIMARY');
  if (primary?.rolloutStateReason !== undefined && /circuit breaker: rolling back/i.test(primary.rolloutStateReason)) {
    return { rolledBack: true, reason: primary.rolloutStateReason };
  }
  for (const message of service.recentEvents) {
    if (/rolling back/i.test(message)) {
      const failed = service.recentEvents.find((m) => /deployment failed/i.test(m));
      return { rolledBack: true, reason: failed ?? message };
    }
    if (/has started a deployment/i.test(message)) return { rolledBack: false };
  }
  return { rolledBack: false };
}

function sameHealthCheck(a: HealthCheckSettings, b: HealthCheckSettings): boolean {
  return (
    a.path === b.path &&
    a.intervalSeconds === b.intervalSeconds &&
    a.timeoutSeconds === b.timeoutSeconds &&
    a.healthyThreshold === b.healthyThreshold &&
    a.unhealthyThreshold === b.unhealthyThreshold &&
    a.matcher === b.matcher
  );
}

/** True when the health check of an observed group matches the rendered one. */
export function healthCheckMatches(tg: ObservedTargetGroup, desired: HealthCheckSettings): boolean {
  return sameHealthCheck(tg.healthCheck, desired);
}

function describeHealth(h: HealthCheckSettings): string {
  return `${h.path} every ${h.intervalSeconds}s, timeout ${h.timeoutSeconds}s, ${h.healthyThreshold}/${h.unhealthyThreshold}, codes ${h.matcher}`;
}

function describeTags(tags: Readonly<Record<string, string>>): string {
  const by = tags[TAG.managedBy];
  if (by === undefined) return 'no berth:managed-by tag';
  return `berth:managed-by=${by}, berth:server=${tags[TAG.server] ?? '?'}`;
}
