/**
 * The session id on the way back: an upstream's own `Mcp-Session-Id` never
 * reaches the client. On the response that creates a session it is replaced by a
 * sealed id (session-ids.ts), bound to the endpoint that answered and, when
 * governed, to the caller; on a response of a session the client already holds
 * (upstreams repeat the id on every response) by the id the client sent.
 */
import type { ProxiedRequest } from './proxied-request.ts';

/**
 * Replaces the value of every `mcp-session-id` in `headers` (a flat list with
 * lower-case names, as the upstream pool reports them) by the id the client is to
 * hold for `upstreamId`, the upstream's session of `r`.
 */
export function sealResponseSession(r: ProxiedRequest, headers: string[], upstreamId: string): void {
  const held = r.session;
  const id =
    held !== undefined && held.session.upstreamId === upstreamId
      ? held.id
      : r.parts.sessions.issue(r.route, upstreamId, r.target!, r.exchange?.identity.subject);
  for (let i = 0; i < headers.length; i += 2) if (headers[i]!.length === 14 && headers[i] === 'mcp-session-id') headers[i + 1] = id;
}
