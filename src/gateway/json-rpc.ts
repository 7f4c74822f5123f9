/**
 * The slice of JSON-RPC 2.0 the gateway needs: message shapes it inspects, the
 * error codes it answers with, and body builders for its own error responses.
 * Wire errors only: these go to MCP clients, so messages name the server and
 * say what to do; nothing secret goes in them.
 */

/** A JSON-RPC id. `null` only on error responses to requests whose id is unknown. */
export type JsonRpcId = string | number | null;

/** The error object of a JSON-RPC error response. */
export interface JsonRpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

/**
 * Any JSON-RPC message (request, notification, result or error response), loosely
 * typed: the gateway passes through fields it does not know.
 */
export interface JsonRpcMessage {
  jsonrpc: '2.0';
  id?: JsonRpcId;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: JsonRpcErrorObject;
  [extra: string]: unknown;
}

/**
 * Error codes the gateway itself answers with. -32700/-32600 are JSON-RPC's own;
 * the -3200x range is implementation-defined server errors.
 */
export const GatewayErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  /** No server is routed at the request path (HTTP 404). */
  RouteNotFound: -32001,
  /** The server exists but is not routable now (HTTP 503). */
  ServerUnavailable: -32002,
  /** The upstream failed, refused, reset or timed out (HTTP 502 / 504, or in-stream). */
  UpstreamFailed: -32003,
  /** The request body is larger than the gateway accepts (HTTP 413). */
  PayloadTooLarge: -32004,
  /** The gateway refused the request: a policy, a session of another caller, a server the caller may not use (HTTP 403, or in the reply). */
  Rejected: -32005,
  /** A tool call waits for a human approval; `data.approvalId` names the request to approve. */
  ApprovalRequired: -32006,
  /** The caller is over a rate limit (HTTP 429 with Retry-After). */
  RateLimited: -32007,
  /** No credential, or one the gateway refused (HTTP 401 with WWW-Authenticate; 400 for a token in the query string). */
  Unauthenticated: -32008,
  /** The gateway cannot record calls in the audit, so it serves none (HTTP 503). */
  AuditUnavailable: -32009,
  /** The session id is not known to this gateway: start a new session (HTTP 404). */
  SessionNotFound: -32010,
} as const;

/**
 * Serialises a JSON-RPC error response.
 * @example jsonRpcErrorBody(-32001, 'no MCP server routed at /mcp/x', null)
 * // '{"jsonrpc":"2.0","error":{"code":-32001,"message":"no MCP server routed at /mcp/x"},"id":null}'
 */
export function jsonRpcErrorBody(code: number, message: string, id: JsonRpcId, data?: unknown): string {
  const error: JsonRpcErrorObject = data === undefined ? { code, message } : { code, message, data };
  return JSON.stringify({ jsonrpc: '2.0', error, id });
}

/** True for a request (has a method and an id); notifications and responses are not. */
export function isJsonRpcRequest(m: JsonRpcMessage): boolean {
  return typeof m.method === 'string' && m.id !== undefined && m.id !== null;
}

/**
 * Parses a POST body as one JSON-RPC message or a batch.
 * Returns `undefined` when the body is not JSON or is not an object / array of objects,
 * so the caller answers with a parse error instead of throwing on the hot path.
 */
export function parseJsonRpcBody(body: Buffer): { messages: JsonRpcMessage[]; batch: boolean } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (Array.isArray(parsed)) {
    for (const m of parsed) if (typeof m !== 'object' || m === null) return undefined;
    return { messages: parsed as JsonRpcMessage[], batch: true };
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  return { messages: [parsed as JsonRpcMessage], batch: false };
}

/** Ids of the requests among `messages` (the ones that expect a response). */
export function requestIds(messages: readonly JsonRpcMessage[]): JsonRpcId[] {
  const ids: JsonRpcId[] = [];
  for (const m of messages) if (isJsonRpcRequest(m)) ids.push(m.id as JsonRpcId);
  return ids;
}

/**
 * The id an error response about `messages` carries: the message's id when
 * there is exactly one message and it has one, else `null` (JSON-RPC's "id
 * unknown"), as one error answers a whole batch.
 */
export function singleId(messages: readonly JsonRpcMessage[] | undefined): JsonRpcId {
  if (messages?.length !== 1) return null;
  const id = messages[0]!.id;
  return id === undefined ? null : id;
}
