/**
 * MCP 2026-07-28 mirrors a request's method and name in HTTP headers
 * (`Mcp-Method`, `Mcp-Name`) so that intermediaries can route without parsing
 * the body. The gateway decides on the body; a header that says something else
 * is either a bug or an attempt to make some hop see a different call, so the
 * request is refused before anything is forwarded.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { JsonRpcMessage } from '../json-rpc.ts';

/** The name a message is about: a tool or prompt name, or a resource URI. */
export function messageName(m: JsonRpcMessage): string | undefined {
  const params = m.params as { name?: unknown; uri?: unknown } | undefined;
  if (params === undefined || params === null || typeof params !== 'object') return undefined;
  if (typeof params.name === 'string') return params.name;
  if (typeof params.uri === 'string') return params.uri;
  return undefined;
}

/**
 * Why the mirror headers disagree with the body, or undefined when they agree
 * (or are absent). A batch cannot be mirrored by one header pair, so headers on
 * a batch must be absent.
 * @example mirrorMismatch({ 'mcp-name': 'getQuote' }, [{ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'applyDiscount' } }], false)
 * // 'the Mcp-Name header says "getQuote" but the body calls "applyDiscount"'
 */
export function mirrorMismatch(headers: IncomingHttpHeaders, messages: readonly JsonRpcMessage[], batch: boolean): string | undefined {
  const method = headers['mcp-method'];
  const name = headers['mcp-name'];
  if (method === undefined && name === undefined) return undefined;
  if (batch || messages.length !== 1) return 'Mcp-Method and Mcp-Name headers describe one message; a batch must not carry them';
  const m = messages[0]!;
  if (method !== undefined && method !== m.method) return `the Mcp-Method header says ${JSON.stringify(method)} but the body's method is ${JSON.stringify(m.method ?? null)}`;
  if (name !== undefined && name !== messageName(m)) return `the Mcp-Name header says ${JSON.stringify(name)} but the body calls ${JSON.stringify(messageName(m) ?? null)}`;
  return undefined;
}
