/**
 * The restart rule, written once: an MCPServer's `berth.dev/restartedAt`
 * annotation is part of what a runtime runs. When its value changes, every
 * provider replaces what runs (local: a new process; ECS: a new task definition
 * revision and a rolling deployment), even though the spec is the same; and a
 * start that failed permanently for one value is tried again for a new one.
 * `berth rollout restart server <name>` sets it to the current time.
 */
import type { MCPServer } from './types.ts';

/** Annotation whose change asks the runtime to restart / redeploy a server. */
export const RESTARTED_AT_ANNOTATION = 'berth.dev/restartedAt';

/**
 * The server's restart marker (the annotation's value), or undefined when it was never restarted.
 * @example restartMarkerOf(server) // '2026-12-06T06:40:00.000Z'
 */
export function restartMarkerOf(server: Pick<MCPServer, 'metadata'>): string | undefined {
  const v = server.metadata.annotations?.[RESTARTED_AT_ANNOTATION];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * The annotations an apply stores: the applied ones, plus the stored restart marker
 * when the applied object does not name it (the marker is set by `berth rollout
 * restart`, never in Git), so re-applying neither drops it nor restarts the server.
 * Used by the registry's apply and by `berth diff`, so they agree.
 * @example appliedAnnotations({ 'berth.dev/restartedAt': 'T' }, { team: 'a' }) // { team: 'a', 'berth.dev/restartedAt': 'T' }
 */
export function appliedAnnotations(stored: Record<string, string> | undefined, applied: Record<string, string> | undefined): Record<string, string> | undefined {
  const marker = stored?.[RESTARTED_AT_ANNOTATION];
  if (marker === undefined || applied?.[RESTARTED_AT_ANNOTATION] !== undefined) return applied;
  return { ...applied, [RESTARTED_AT_ANNOTATION]: marker };
}
