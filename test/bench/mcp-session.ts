/**
 * Opens an MCP session on a streamable-HTTP endpoint the way an SDK client does
 * (initialize, then notifications/initialized), for load generators that then
 * send raw tools/call requests with the returned `Mcp-Session-Id`. `extraHeaders`
 * go on both requests: a governed gateway needs the caller's `authorization`, and
 * binds the session to that caller.
 * @example const sid = await initSession('http://127.0.0.1:8080/mcp/bench', { authorization: `Bearer ${key}` });
 */
export async function initSession(url: string, extraHeaders: Record<string, string> = {}): Promise<string> {
  const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...extraHeaders };
  const init = await fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } } }),
  });
  const sid = init.headers.get('mcp-session-id');
  await init.text();
  if (!sid) throw new Error(`${url} returned no session id to initialize (HTTP ${init.status})`);
  const done = await fetch(url, { method: 'POST', headers: { ...headers, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18' }, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) });
  await done.text();
  return sid;
}
