/**
 * Which settings of Berth's ECS service were changed outside Berth, PURE: every
 * field `plan-service.ts` would put back is named here, so no correction is
 * silent (status Drifted + an audit entry, see reconcile.ts).
 */
import type { RenderedServer } from './render.ts';
import type { ObservedService } from './types.ts';

/**
 * Drift of the service's grace period, network configuration, load balancer
 * and circuit breaker. `recorded`: the service's spec-hash tag says Berth last
 * wrote exactly the rendered settings, so any difference came from elsewhere
 * (otherwise a difference is a manifest or config change, not drift). The
 * circuit breaker is drift whenever it is off: Berth never turns it off.
 * @example serviceSettingsDrift(svc, r, tgArn, true) // ['ECS service berth-weather: health-check grace period changed outside Berth to 5s; manifest says 30s']
 */
export function serviceSettingsDrift(svc: ObservedService, r: RenderedServer, targetGroupArn: string | undefined, recorded: boolean): string[] {
  const out: string[] = [];
  const at = `ECS service ${svc.name}`;
  if (recorded) {
    const want = r.service;
    if (svc.healthCheckGracePeriodSeconds !== want.healthCheckGracePeriodSeconds) {
      out.push(`${at}: health-check grace period changed outside Berth to ${svc.healthCheckGracePeriodSeconds ?? 'none'}s; manifest says ${want.healthCheckGracePeriodSeconds}s`);
    }
    const network = (subnets: readonly string[], groups: readonly string[], ip: string) => `subnets ${[...subnets].sort().join(',')}, security groups ${[...groups].sort().join(',')}, public IP ${ip}`;
    const have = network(svc.subnets, svc.securityGroups, svc.assignPublicIp ?? 'DISABLED');
    const wanted = network(want.subnets, want.securityGroups, want.assignPublicIp);
    if (have !== wanted) out.push(`${at}: network configuration changed outside Berth to ${have}; config says ${wanted}`);
    const lb = svc.loadBalancers[0];
    if (targetGroupArn !== undefined && (svc.loadBalancers.length !== 1 || lb?.targetGroupArn !== targetGroupArn || lb.containerPort !== want.containerPort)) {
      const now = svc.loadBalancers.map((l) => `${l.targetGroupArn ?? '?'}:${l.containerPort ?? '?'}`).join(', ') || 'none';
      out.push(`${at}: load balancer changed outside Berth to ${now}; manifest says ${r.targetGroup.name}:${want.containerPort}`);
    }
  }
  if (!svc.circuitBreaker.enable || !svc.circuitBreaker.rollback) {
    out.push(`${at}: deployment circuit breaker changed outside Berth (enable ${svc.circuitBreaker.enable}, rollback ${svc.circuitBreaker.rollback}); Berth keeps it on with rollback`);
  }
  return out;
}
