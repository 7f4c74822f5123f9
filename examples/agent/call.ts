/**
 * An agent calling one tool through the Berth gateway with the official MCP SDK,
 * for the README walkthrough:
 *
 *   npx node examples/agent/call.ts <server> <tool> ['<json arguments>'] [--key FILE] [--gateway URL]
 *
 * The agent key is read from FILE (default `.berth/agent-key`, which `berth up`
 * writes on its first start for the examples' agent `sales-copilot`); the gateway
 * defaults to BERTH_GATEWAY, else http://127.0.0.1:8080. Prints the
 * tool's result, or the gateway's JSON-RPC error (a refused call, or one waiting
 * for an approval). Exit 0 when the call returned a result, 1 otherwise.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { key: { type: 'string', default: '.berth/agent-key' }, gateway: { type: 'string', default: process.env.BERTH_GATEWAY ?? 'http://127.0.0.1:8080' } },
});
const [server, tool, json] = positionals;
if (server === undefined || tool === undefined) {
  process.stderr.write("usage: npx node examples/agent/call.ts <server> <tool> ['<json arguments>'] [--key FILE] [--gateway URL]\n");
  process.exit(2);
}
const agentKey = readFileSync(values.key!, 'utf8').trim();
const client = new Client({ name: 'berth-walkthrough', version: '1.0.0' });
const transport = new StreamableHTTPClientTransport(new URL(`${values.gateway}/mcp/${server}`), {
  requestInit: { headers: { Authorization: `Bearer ${agentKey}` } },
});
try {
  await client.connect(transport);
  const result = await client.callTool({ name: tool, arguments: json === undefined ? {} : (JSON.parse(json) as Record<string, unknown>) });
  const text = (result.content as Array<{ type: string; text?: string }>).find((c) => c.type === 'text')?.text;
  process.stdout.write(`${text ?? JSON.stringify(result)}\n`);
  process.exitCode = result.isError ? 1 : 0;
} catch (err) {
  // The gateway's refusals arrive as JSON-RPC errors: code, message and data say why and what to do.
  const e = err as { code?: number; message?: string; data?: unknown };
  process.stdout.write(`refused (${e.code ?? '?'}): ${e.message ?? String(err)}${e.data === undefined ? '' : `\n  data: ${JSON.stringify(e.data)}`}\n`);
  process.exitCode = 1;
} finally {
  await client.close();
}
