/** The Audit view (a placeholder: its own session fills it in). */
import type { ViewProps } from './props.ts';

/** The audit explorer: filter, inspect and export. */
export function AuditView(_props: ViewProps) {
  return (
    <section aria-labelledby="view-title">
      <h1 id="view-title">Audit</h1>
      <p>Coming: the audit explorer: filter, inspect and export.</p>
    </section>
  );
}
