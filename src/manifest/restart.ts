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
