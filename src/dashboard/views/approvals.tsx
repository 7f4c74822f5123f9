/** The Approvals view (a placeholder: its own session fills it in). */
import type { ViewProps } from './props.ts';

/** Lifecycle approvals and held tool calls, to approve or deny with a note. */
export function ApprovalsView(_props: ViewProps) {
  return (
    <section aria-labelledby="view-title">
      <h1 id="view-title">Approvals</h1>
      <p>Coming: lifecycle approvals and held tool calls, to approve or deny with a note.</p>
    </section>
  );
}
