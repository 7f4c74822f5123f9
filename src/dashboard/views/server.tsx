/** The Server view (placeholder: its own session fills it in). */
import type { ViewProps } from './props.ts';

/** One server: spec summary, conditions, tools, policy matrix, runtime, logs, audit. */
export function ServerView(props: ViewProps & { name: string }) {
  return (
    <section aria-labelledby="view-title">
      <p>
        <a href="#/">← Fleet</a>
      </p>
      <h1 id="view-title">{props.name}</h1>
      <p>Coming: spec summary, conditions, tools, the policy matrix, runtime resources, logs and recent audit.</p>
    </section>
  );
}
