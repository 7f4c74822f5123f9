/**
 * The gateway's limits and their defaults, written once: what a client may
 * cost it (how long it may take to send a request, how long an idle connection
 * is kept, how many connections it may hold) and what each server's traffic is
 * held to (body size, how long the server may take to answer), which a
 * manifest's `spec.gateway` overrides per server.
 *
 * Why these defaults (README, "The gateway's limits"): headers take
 * milliseconds, so 10 s only ever cuts slowloris; 30 s for a body is minutes of
 * a slow mobile link for the 4 MiB allowed; a kept-alive connection lives 65 s,
 * longer than an AWS ALB's 60 s idle timeout, so the balancer, not the gateway,
 * ends a connection it might be about to reuse; an SSE stream silent for 15 s
 * gets a comment, well inside every common load balancer's idle timeout.
 */

/** Limits of the gateway's edge: client connections and requests, for every server alike. */
export interface EdgeLimits {
  /**
   * A request's headers must have arrived this long after its first byte (for a
   * new connection: after it opened, so a connection that never sends a byte is
   * closed after it too). Then 408 and the connection is closed.
   */
  headerTimeoutMs: number;
  /** The whole request (headers and body) must have arrived within the header timeout plus this. Then 408 and the connection is closed. */
  bodyTimeoutMs: number;
  /** A kept-alive connection with no request in progress is closed after this. */
  idleTimeoutMs: number;
  /** Client connections open at once; a connection over it is closed as soon as it is accepted. */
  maxConnections: number;
  /** Client connections open at once from one address (the TCP peer: behind a load balancer, the balancer's). */
  maxConnectionsPerAddress: number;
  /** An SSE response to a client that has been silent this long gets a `: keepalive` comment line. */
  sseKeepaliveMs: number;
}

/** What each server's traffic is held to unless its manifest's `spec.gateway` says otherwise. */
export interface ServerLimits {
  /** Largest request body; larger is answered 413. */
  maxRequestBodyBytes: number;
  /** How long the server may take to answer: its response headers, and for a body that is not an SSE stream, the body's end. Then 504. */
  upstreamTimeoutMs: number;
}

/** The edge's defaults; see the module comment for why. */
export const DEFAULT_EDGE_LIMITS: Readonly<EdgeLimits> = Object.freeze({
  headerTimeoutMs: 10_000,
  bodyTimeoutMs: 30_000,
  idleTimeoutMs: 65_000,
  maxConnections: 10_000,
  maxConnectionsPerAddress: 1_024,
  sseKeepaliveMs: 15_000,
});

/** The per-server defaults: 4 MiB bodies, 60 s to answer. */
export const DEFAULT_SERVER_LIMITS: Readonly<ServerLimits> = Object.freeze({
  maxRequestBodyBytes: 4 * 1024 * 1024,
  upstreamTimeoutMs: 60_000,
});
