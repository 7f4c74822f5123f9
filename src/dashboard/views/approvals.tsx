/**
 * The Approvals view: lifecycle approvals (servers whose requested stage lacks
 * an approval of their current spec, with the spec diff since the last approved
 * one) and held tool calls, each decided with a note. Who sees the buttons
 * follows src/registry/auth/authorize.ts exactly: approvers and admins decide
 * both (`mayDecideStage`, `mayDecideApprovals`); a publisher never approves,
 * not even its own team's request; readers and publishers see the lists
 * read-only (publishers do not see held calls at all: `mayReadCallAudit`).
 * Every decision lands in the audit (`stage.approve|reject`, `approval.approve|deny`).
 */
import { mayDecide, mayReadCalls } from '../roles.ts';
import type { ViewProps } from './props.ts';
import { HeldToolCalls } from './approvals-calls.tsx';
import { LifecycleApprovals } from './approvals-lifecycle.tsx';
import './approvals.css';

/** Lifecycle approvals and held tool calls, to approve or deny with a note. */
export function ApprovalsView(props: ViewProps) {
  const { role } = props.session;
  const canDecide = mayDecide(props.session);
  return (
    <section aria-labelledby="view-title">
      <h1 id="view-title">Approvals</h1>
      {!canDecide && (
        <p class="notice" data-testid="read-only">
          You are signed in as a {role}: you may read these requests, but only approvers and admins decide them
          {role === 'publisher' ? ' (a publisher requests a stage in spec.lifecycle; someone else approves it, even for its own team)' : ''}.
        </p>
      )}
      <div class="approvals-grid">
        <LifecycleApprovals canDecide={canDecide} />
        <HeldToolCalls canDecide={canDecide} canRead={mayReadCalls(props.session)} role={role} />
      </div>
    </section>
  );
}
