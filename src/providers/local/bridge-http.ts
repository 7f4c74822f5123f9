/**
 * The HTTP the stdio bridge speaks itself, besides what the MCP SDK's transport
 * does: reading a POST body once (so the bridge can look at it before a server
 * process is started for it) and writing a finished stream's replay.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/sdk/types.js';
import { BRIDGE_ERROR, BridgeHttpError } from './bridge-errors.ts';
import type { StoredEvent } from './replay-buffer.ts';

/** The SDK transport's own bound on a POST body. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;

/**
 * Reads and parses a JSON request body of at most `maxBytes`.
 * @throws {BridgeHttpError} 413 when it is larger, 400 (-32700) when it is not JSON.
 */
export async function readJsonBody(req: IncomingMessage, maxBytes = MAX_BODY_BYTES): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (declared > maxBytes) throw tooLarge(maxBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (cause) {
    throw new BridgeHttpError(400, -32700, 'Parse error: the body is not JSON', { cause });
  }
}

/** Ids of the requests (not notifications or responses) in a parsed body, single or batch. */
export function requestIdsOf(body: unknown): RequestId[] {
  const list = Array.isArray(body) ? body : [body];
  const ids: RequestId[] = [];
  for (const m of list) {
    if (typeof m !== 'object' || m === null || !('method' in m) || !('id' in m)) continue;
    const id = (m as { id: unknown }).id;
    if (typeof id === 'string' || typeof id === 'number') ids.push(id);
  }
  return ids;
}

/** True when the request's Accept header takes an event stream. */
export function acceptsEventStream(req: IncomingMessage): boolean {
  return (req.headers.accept ?? '').includes('text/event-stream');
}

/**
 * Answers a resumption of a stream whose responses were all sent: the events
 * after the client's id, in the SDK transport's SSE format, then the end of the
 * stream — as the live stream would have ended after its last response.
 */
export function writeFinishedStream(res: ServerResponse, sessionId: string, events: readonly StoredEvent[]): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'mcp-session-id': sessionId,
  });
  for (const e of events) res.write(sseEvent(e.id, e.message));
  res.end();
}

function sseEvent(id: string, message: JSONRPCMessage): string {
  return `event: message\nid: ${id}\ndata: ${JSON.stringify(message)}\n\n`;
}

function tooLarge(maxBytes: number): BridgeHttpError {
  return new BridgeHttpError(413, BRIDGE_ERROR, `the request body is larger than ${maxBytes} bytes`);
}
