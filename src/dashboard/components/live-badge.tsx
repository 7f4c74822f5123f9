/** The "Live / Reconnecting…" badge beside a view's title, announced politely to screen readers. */
import type { LiveState } from '../use-watched.ts';

const TEXT: Record<LiveState, string> = { connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…', 'signed-out': 'Signed out' };

/** The badge for `state`. */
export function LiveBadge(props: { state: LiveState }) {
  return (
    <span class={`live ${props.state}`} role="status" data-testid="live">
      {TEXT[props.state]}
    </span>
  );
}
