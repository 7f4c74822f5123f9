/** Apply step for the server's Route 53 records: one atomic change batch per action. */
import { ChangeResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { BUSY_MS, type ActionOf, type ApplyContext, type StepResult } from './apply-context.ts';
import { errorCode } from './aws-error.ts';

/**
 * ChangeResourceRecordSets with the planned batch (aliases and ownership TXT
 * together). The view forgets the zone listing whatever the answer: a refused
 * batch usually means the listing it was planned from is stale. A zone busy
 * with a prior change asks to be called again.
 */
export async function changeDns(action: ActionOf<'change-dns'>, ctx: ApplyContext): Promise<StepResult> {
  try {
    await ctx.clients.route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: action.hostedZoneId,
        ChangeBatch: { Comment: `berth: ${action.op} ${ctx.server}`, Changes: action.changes.map((c) => ({ Action: c.action, ResourceRecordSet: c.record })) },
      }),
      ctx.sendOptions,
    );
  } catch (err) {
    const code = errorCode(err);
    ctx.view.recordsChanged();
    if (code === 'PriorRequestNotComplete') return { result: 'zone busy; retrying later', requeueAfterMs: BUSY_MS.zoneBusy };
    throw err;
  }
  ctx.view.recordsChanged();
  return action.op === 'create' ? 'created' : action.op === 'delete' ? 'deleted' : 'updated';
}
