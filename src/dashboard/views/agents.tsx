/** The Agents view (a placeholder: its own session fills it in). */
import type { ViewProps } from './props.ts';

/** Each agent's servers and tools, as the gateway would decide them. */
export function AgentsView(_props: ViewProps) {
  return (
    <section aria-labelledby="view-title">
      <h1 id="view-title">Agents</h1>
      <p>Coming: each agent's servers and tools, as the gateway would decide them.</p>
    </section>
  );
}
