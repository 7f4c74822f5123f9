/**
 * The gateway's extension point: steps that see every MCP request and may
 * transform every response message. Identity, per-tool scopes, tools/list
 * filtering, aggregation and audit are steps (a later issue); with zero steps the
 * proxy stays a pure pass-through that never re-serialises anything.
 *
 * Rules:
 * - `onRequest` runs in order for each POST, with the parsed JSON-RPC messages
 *   (a batch has several). It returns {@link CONTINUE}, `{ action: 'continue',
 *   messages }` to replace the messages sent upstream, or `{ action: 'reject', … }`
 *   to answer the client with a JSON-RPC error without contacting the upstream.
 *   GET (server→client stream) and DELETE (end session) run it with `messages = []`.
 * - `transformResponse` runs in order on every JSON-RPC message coming back — each
 *   message of an `application/json` body and each `message` event of a
 *   `text/event-stream` response, one event at a time as it arrives (no buffering
 *   of the stream). Return the message to send (the same object or a new one).
 * - Steps may keep per-request data in `ctx.state`.
 *
 * @example
 * const hideAdminTools: GatewayStep = {
 *   name: 'hide-admin-tools',
 *   transformResponse(ctx, m) {
 *     const tools = (m.result as { tools?: { name: string }[] } | undefined)?.tools;
 *     if (!tools) return m;
 *     return { ...m, result: { ...(m.result as object), tools: tools.filter((t) => !t.name.startsWith('admin_')) } };
 *   },
 * };
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { JsonRpcErrorObject, JsonRpcMessage } from './json-rpc.ts';
import type { Route } from './route.ts';

/** What a step knows about the request it is looking at. */
export interface GatewayContext {
  /** The route (server) the request goes to. */
  readonly route: Route;
  /** HTTP method: POST, GET or DELETE. */
  readonly httpMethod: string;
  /** Request headers as received from the client (lower-case names). */
  readonly headers: IncomingHttpHeaders;
  /** Mcp-Session-Id of the request, if any. */
  readonly sessionId: string | undefined;
  /** Client address as seen by the gateway. */
  readonly remoteAddress: string | undefined;
  /** Per-request scratch space shared by all steps. */
  readonly state: Map<string, unknown>;
}

/** Verdict of {@link GatewayStep.onRequest}. */
export type StepVerdict =
  | { action: 'continue'; messages?: JsonRpcMessage[] }
  | {
      action: 'reject';
      error: JsonRpcErrorObject;
      /** HTTP status of the rejection; default 403. */
      httpStatus?: number;
    };

/** The verdict "carry on unchanged"; a shared constant so steps don't allocate. */
export const CONTINUE: StepVerdict = Object.freeze({ action: 'continue' }) as StepVerdict;

/** One step on the gateway's request path. See the module comment for the rules. */
export interface GatewayStep {
  /** Short name, used in logs. */
  readonly name: string;
  onRequest?(ctx: GatewayContext, messages: JsonRpcMessage[]): StepVerdict | Promise<StepVerdict>;
  transformResponse?(ctx: GatewayContext, message: JsonRpcMessage): JsonRpcMessage | Promise<JsonRpcMessage>;
}
