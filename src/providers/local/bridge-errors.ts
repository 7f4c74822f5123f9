/**
 * Answers the stdio bridge gives itself, before or instead of the MCP SDK's
 * transport: each error knows its HTTP status, JSON-RPC error and headers, and
 * {@link writeBridgeError} is the one place they are written.
 */
import type { ServerResponse } from 'node:http';
import type { RequestId } from '@modelcontextprotocol/sdk/types.js';

/** JSON-RPC code of the bridge's own errors (implementation-defined server error range). */
export const BRIDGE_ERROR = -32000;
/** JSON-RPC code for "no such session" (what the SDK's transport answers too). */
export const SESSION_NOT_FOUND = -32001;

/** An error the bridge answers over HTTP with a JSON-RPC error body. */
export class BridgeHttpError extends Error {
  readonly status: number;
  readonly rpcCode: number;
  readonly data: unknown;
  readonly headers: Readonly<Record<string, string>>;
  constructor(status: number, rpcCode: number, message: string, options: { data?: unknown; headers?: Record<string, string>; cause?: unknown } = {}) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'BridgeHttpError';
    this.status = status;
    this.rpcCode = rpcCode;
    this.data = options.data;
    this.headers = options.headers ?? {};
  }
}

/** Names of the limits a new session can run into, as the manifest spells them. */
export type LimitName = 'maxSessions' | 'maxMemoryMiB';

/**
 * A new session refused because a limit is reached: 503 with `Retry-After`, and
 * `error.data` saying which limit, its value, and the manifest field that raises it.
 * @example
 * // HTTP 503, Retry-After: 12
 * // {"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"… raise spec.runtime.stdio.maxSessions …",
 * //   "data":{"limit":"maxSessions","value":8,"field":"spec.runtime.stdio.maxSessions","retryAfterSeconds":12}}}
 */
export class SessionRefusedError extends BridgeHttpError {
  readonly limit: LimitName;
  readonly retryAfterSeconds: number;
  constructor(limit: LimitName, value: number, message: string, retryAfterSeconds: number, facts: Record<string, number> = {}) {
    super(503, BRIDGE_ERROR, message, {
      headers: { 'retry-after': String(retryAfterSeconds) },
      data: { limit, value, field: `spec.runtime.stdio.${limit}`, retryAfterSeconds, ...facts },
    });
    this.name = 'SessionRefusedError';
    this.limit = limit;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * Writes `err` as its HTTP response: status, headers, and a JSON-RPC error
 * carrying the request's id when the bridge read one.
 */
export function writeBridgeError(res: ServerResponse, err: BridgeHttpError, id: RequestId | null = null): void {
  const error: { code: number; message: string; data?: unknown } = { code: err.rpcCode, message: err.message };
  if (err.data !== undefined) error.data = err.data;
  res.writeHead(err.status, { 'content-type': 'application/json', ...err.headers });
  res.end(JSON.stringify({ jsonrpc: '2.0', id, error }));
}
