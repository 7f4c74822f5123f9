/**
 * The example MCP servers under examples/servers, run as real processes and driven
 * by the official SDK client over real sockets and pipes: tools listed and called,
 * resources and prompts read, /healthz, session and stateless use, clean exit on SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

const repo = fileURLToPath(new URL('..', import.meta.url));
const serverFile = (name: string): string => `${repo}examples/servers/${name}/server.ts`;
// The servers need Node 24 (type stripping). npm scripts put node_modules/.bin first, so
// vitest normally runs on it; fall back to the pinned binary when started some other way.
const nodeBin = Number(process.versions.node.split('.')[0]) >= 24 ? process.execPath : `${repo}node_modules/.bin/node`;

const children: ChildProcess[] = [];
const clients: Client[] = [];

afterEach(async () => {
  await Promise.allSettled(clients.splice(0).map((c) => c.close()));
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

interface Started {
  child: ChildProcess;
  port: number;
  /** Every JSON log line the server wrote to stderr so far. */
  logs: Array<Record<string, unknown>>;
}

/** Starts an HTTP example server on PORT=0 and resolves with the port it printed. */
function startHttpServer(name: string, env: Record<string, string> = {}): Promise<Started> {
  const child = spawn(nodeBin, [serverFile(name)], { env: { ...process.env, PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const logs: Array<Record<string, unknown>> = [];
  let stdout = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not print "listening" within 10 s`)), 10_000);
    createInterface({ input: child.stderr! }).on('line', (line) => {
      const entry = JSON.parse(line) as Record<string, unknown>; // a non-JSON log line fails the test here
      logs.push(entry);
      if (entry['msg'] === 'listening') {
        clearTimeout(timer);
        expect(stdout).toBe('');
        resolve({ child, port: entry['port'] as number, logs });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} before listening: ${JSON.stringify(logs)}`));
    });
  });
}

async function connectHttp(port: number): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const client = new Client({ name: 'berth-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`));
  await client.connect(transport);
  clients.push(client);
  return { client, transport };
}

/** Sends SIGTERM and resolves with the exit code and how long exiting took. */
function terminate(child: ChildProcess): Promise<{ code: number | null; signal: string | null; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal, ms: performance.now() - started }));
    child.kill('SIGTERM');
  });
}

/** The JSON a tool returned: its text content parsed, checked against structuredContent. */
function json(result: unknown): Record<string, any> {
  const r = result as CallToolResult;
  expect(r.isError ?? false).toBe(false);
  const first = r.content[0];
  if (first?.type !== 'text') throw new Error(`expected text content, got ${JSON.stringify(r.content)}`);
  const parsed = JSON.parse(first.text) as Record<string, any>;
  expect(r.structuredContent).toEqual(parsed);
  return parsed;
}

function errorText(result: unknown): string {
  const r = result as CallToolResult;
  expect(r.isError).toBe(true);
  const first = r.content[0];
  return first?.type === 'text' ? first.text : '';
}

describe('salesforce-opportunity example server', () => {
  it('serves /healthz and lists its three tools with annotations', async () => {
    const { port } = await startHttpServer('salesforce-opportunity');
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });

    const { client } = await connectHttp(port);
    expect(client.getServerVersion()?.name).toBe('salesforce-opportunity');
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['getAccountDetails', 'searchOpportunity', 'updateOpportunityStage']);
    const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
    expect(byName['searchOpportunity']?.annotations?.readOnlyHint).toBe(true);
    expect(byName['getAccountDetails']?.annotations?.readOnlyHint).toBe(true);
    expect(byName['updateOpportunityStage']?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: false, idempotentHint: true });
    expect(byName['updateOpportunityStage']?.inputSchema.required).toEqual(['id', 'stage']);
  });

  it('searches, updates a stage (seen by another session) and reads an account', async () => {
    const { port } = await startHttpServer('salesforce-opportunity');
    const { client } = await connectHttp(port);

    const acme = json(await client.callTool({ name: 'searchOpportunity', arguments: { query: 'acme', limit: 5 } }));
    expect(acme['totalSize']).toBe(2);
    expect(acme['records'].map((r: { Name: string }) => r.Name)).toEqual([
      'Acme Logistics - Fleet Analytics Expansion',
      'Acme Logistics - 2026 Renewal',
    ]);
    expect(acme['records'][0]).toMatchObject({ AccountName: 'Acme Logistics GmbH', StageName: 'Negotiation/Review', Amount: 184_000 });

    const inProposal = json(await client.callTool({ name: 'searchOpportunity', arguments: { query: '', stage: 'Proposal/Price Quote' } }));
    expect(inProposal['records'].map((r: { Id: string }) => r.Id).sort()).toEqual(['006Dn00000Op2AAA', '006Dn00000OpBAAA']);
    const limited = json(await client.callTool({ name: 'searchOpportunity', arguments: { query: '', limit: 3 } }));
    expect(limited['totalSize']).toBe(12);
    expect(limited['records']).toHaveLength(3);

    const moved = json(await client.callTool({ name: 'updateOpportunityStage', arguments: { id: '006Dn00000Op1AAA', stage: 'Closed Won' } }));
    expect(moved).toMatchObject({ previousStage: 'Negotiation/Review', newStage: 'Closed Won', probability: 100, summary: 'Negotiation/Review → Closed Won' });

    const other = await connectHttp(port);
    const after = json(await other.client.callTool({ name: 'searchOpportunity', arguments: { query: 'Fleet Analytics' } }));
    expect(after['records'][0]).toMatchObject({ Id: '006Dn00000Op1AAA', StageName: 'Closed Won', Probability: 100 });

    const account = json(await client.callTool({ name: 'getAccountDetails', arguments: { accountId: '001Dn00000AcmeQAA' } }));
    expect(account['account']).toMatchObject({ Name: 'Acme Logistics GmbH', Industry: 'Transportation', BillingCountry: 'Germany' });
    expect(account).toMatchObject({ openOpportunities: 1, openPipelineAmount: 96_500, wonAmount: 184_000 });

    expect(errorText(await client.callTool({ name: 'getAccountDetails', arguments: { accountId: '001Dn00000NopeQAA' } }))).toContain('No account with Id "001Dn00000NopeQAA"');
    expect(errorText(await client.callTool({ name: 'updateOpportunityStage', arguments: { id: '006Dn00000Op1AAA', stage: 'Won' } }))).toMatch(/stage/i);
  });

  it('answers a client that keeps no session, and ends sessions on DELETE', async () => {
    const { port } = await startHttpServer('salesforce-opportunity');
    const res = await fetch(`http://127.0.0.1:${port}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'getAccountDetails', arguments: { accountId: '001Dn00000InitcQAA' } } }),
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    const data = text.split('\n').find((l) => l.startsWith('data: '));
    const message = JSON.parse(data ? data.slice(6) : text) as { id: number; result: CallToolResult };
    expect(message.id).toBe(7);
    expect(json(message.result)['account']).toMatchObject({ Name: 'Initech Software' });

    const { transport } = await connectHttp(port);
    const sessionId = transport.sessionId;
    expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
    await transport.terminateSession();
    const stale = await fetch(`http://127.0.0.1:${port}/mcp`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': sessionId! },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(stale.status).toBe(404);

    const bad = await fetch(`http://127.0.0.1:${port}/mcp`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{not json' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: -32700 } });
  });

  it('exits 0 within 2 s on SIGTERM with a session and its SSE stream open', async () => {
    const { child, port, logs } = await startHttpServer('salesforce-opportunity');
    const { client } = await connectHttp(port);
    await client.listTools();
    const exit = await terminate(child);
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.ms).toBeLessThan(2000);
    expect(logs.some((l) => l['msg'] === 'shutting down')).toBe(true);
  });

  it('exits 1 with a reason when the port is taken', async () => {
    const first = await startHttpServer('salesforce-opportunity');
    const second = spawn(nodeBin, [serverFile('salesforce-opportunity')], { env: { ...process.env, PORT: String(first.port) }, stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(second);
    let stderr = '';
    second.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => second.once('exit', resolve));
    expect(code).toBe(1);
    expect(JSON.parse(stderr.trim().split('\n').at(-1)!)).toMatchObject({ msg: expect.stringContaining(`cannot listen on 127.0.0.1:${first.port}`) });
  });
});

describe('quote example server', () => {
  it('searches products, creates, reads and discounts a quote; serves the price book and a prompt', async () => {
    const { port, child } = await startHttpServer('quote');
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    const { client } = await connectHttp(port);

    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['applyDiscount', 'createQuote', 'getQuote', 'searchProducts']);

    const addOns = json(await client.callTool({ name: 'searchProducts', arguments: { query: '', family: 'Add-on' } }));
    expect(addOns['products'].map((p: { sku: string }) => p.sku)).toEqual(['ADD-ANL', 'ADD-SSO', 'ADD-SBX']);
    const core = json(await client.callTool({ name: 'searchProducts', arguments: { query: 'platform core' } }));
    expect(core['products']).toEqual([expect.objectContaining({ sku: 'PLT-CORE', listPrice: 540, maxRepDiscountPercent: 15 })]);

    const created = json(await client.callTool({
      name: 'createQuote',
      arguments: { accountName: 'Acme Logistics GmbH', opportunityId: '006Dn00000Op1AAA', lines: [{ sku: 'PLT-CORE', quantity: 200 }, { sku: 'ADD-ANL', quantity: 200 }, { sku: 'SVC-ONB', quantity: 5 }] },
    }));
    const quote = created['quote'];
    expect(quote).toMatchObject({ id: 'Q-00001', status: 'Draft', subtotal: 153_000, total: 153_000, currency: 'USD' });
    expect(quote['lines'][2]).toEqual({ sku: 'SVC-ONB', name: 'Onboarding Services', quantity: 5, unitPrice: 1800, lineTotal: 9000 });

    const read = json(await client.callTool({ name: 'getQuote', arguments: { quoteId: 'Q-00001' } }));
    expect(read['quote']).toEqual(quote);

    // Onboarding days allow no rep discount, so any discount on this quote needs approval.
    const discounted = json(await client.callTool({ name: 'applyDiscount', arguments: { quoteId: 'Q-00001', percent: 12.5, reason: 'Multi-year commitment' } }));
    expect(discounted).toMatchObject({ needsApproval: true, repLimitPercent: 0, quote: { discountPercent: 12.5, discountAmount: 19_125, total: 133_875, status: 'Needs Approval' } });

    const small = json(await client.callTool({ name: 'createQuote', arguments: { accountName: 'Initech Software', lines: [{ sku: 'PLT-ENT', quantity: 50 }] } }));
    expect(small['quote']['id']).toBe('Q-00002');
    const withinLimit = json(await client.callTool({ name: 'applyDiscount', arguments: { quoteId: 'Q-00002', percent: 20, reason: 'Competitive displacement' } }));
    expect(withinLimit).toMatchObject({ needsApproval: false, quote: { total: 36_000, status: 'Draft' } });

    expect(errorText(await client.callTool({ name: 'createQuote', arguments: { accountName: 'X', lines: [{ sku: 'NOPE-1', quantity: 1 }] } }))).toContain('Unknown SKU(s): NOPE-1');
    expect(errorText(await client.callTool({ name: 'getQuote', arguments: { quoteId: 'Q-09999' } }))).toContain('No quote "Q-09999"');
    expect(errorText(await client.callTool({ name: 'applyDiscount', arguments: { quoteId: 'Q-00001', percent: 55, reason: 'too much' } }))).toMatch(/40/);

    const { resources } = await client.listResources();
    expect(resources).toEqual([expect.objectContaining({ uri: 'pricebook://standard', mimeType: 'application/json' })]);
    const book = await client.readResource({ uri: 'pricebook://standard' });
    const bookContent = book.contents[0] as { text: string };
    expect((JSON.parse(bookContent.text) as { products: unknown[] }).products).toHaveLength(7);

    const { prompts } = await client.listPrompts();
    expect(prompts.map((p) => p.name)).toEqual(['quote-cover-email']);
    const prompt = await client.getPrompt({ name: 'quote-cover-email', arguments: { quoteId: 'Q-00002', contactName: 'Dana Ortiz' } });
    const promptText = (prompt.messages[0]?.content as { text: string }).text;
    expect(promptText).toContain('Dana Ortiz');
    expect(promptText).toContain('50 × Berth Platform Enterprise; total 36000 USD after a 20% discount');

    const exit = await terminate(child);
    expect(exit.code).toBe(0);
    expect(exit.ms).toBeLessThan(2000);
  });
});

describe('quote example server: CURRENCY (the README walkthrough changes it)', () => {
  it('prices and quotes in EUR when CURRENCY=EUR, converted from the USD list price', async () => {
    const { port } = await startHttpServer('quote', { CURRENCY: 'EUR' });
    const { client } = await connectHttp(port);
    const core = json(await client.callTool({ name: 'searchProducts', arguments: { query: 'platform core' } }));
    expect(core['products']).toEqual([expect.objectContaining({ sku: 'PLT-CORE', listPrice: 486, currency: 'EUR' })]);
    const created = json(await client.callTool({ name: 'createQuote', arguments: { accountName: 'Acme', lines: [{ sku: 'PLT-CORE', quantity: 2 }] } }));
    expect(created['quote']).toMatchObject({ currency: 'EUR', subtotal: 972, total: 972 });
  });

  it('exits 1 naming the supported currencies when CURRENCY is not one of them', async () => {
    const child = spawn(nodeBin, [serverFile('quote')], { env: { ...process.env, PORT: '0', CURRENCY: 'XYZ' }, stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(child);
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(JSON.parse(stderr.trim().split('\n').at(-1)!)).toMatchObject({ msg: 'CURRENCY=XYZ is not supported; use one of USD, EUR, GBP' });
  });
});

describe('knowledge-base example server (stdio)', () => {
  it('searches and reads articles, and serves kb://articles/{id}', async () => {
    const transport = new StdioClientTransport({ command: nodeBin, args: [serverFile('knowledge-base')], stderr: 'pipe' });
    const client = new Client({ name: 'berth-test', version: '1.0.0' });
    await client.connect(transport);
    clients.push(client);

    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['getArticle', 'searchArticles']);
    expect(tools.every((t) => t.annotations?.readOnlyHint === true)).toBe(true);

    const hits = json(await client.callTool({ name: 'searchArticles', arguments: { query: 'discount approval' } }));
    expect(hits['articles'][0]).toMatchObject({ id: 'KB-1001', title: 'How discount approval works', category: 'Pricing' });
    const security = json(await client.callTool({ name: 'searchArticles', arguments: { query: 'data', category: 'Security' } }));
    expect(security['articles'].map((a: { id: string }) => a.id)).toEqual(['KB-1004']);
    const none = json(await client.callTool({ name: 'searchArticles', arguments: { query: 'kubernetes' } }));
    expect(none).toEqual({ count: 0, articles: [] });

    const article = json(await client.callTool({ name: 'getArticle', arguments: { id: 'KB-1005' } }));
    expect(article['article']).toMatchObject({ title: 'Premier Support: response times', tags: ['support', 'sla', 'premier', 'severity'] });
    expect(article['article']['body']).toContain('Severity 1 incidents within 30 minutes');
    expect(errorText(await client.callTool({ name: 'getArticle', arguments: { id: 'KB-9999' } }))).toContain('No article "KB-9999"');

    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates).toEqual([expect.objectContaining({ uriTemplate: 'kb://articles/{id}', mimeType: 'text/markdown' })]);
    const { resources } = await client.listResources();
    expect(resources).toHaveLength(8);
    const read = await client.readResource({ uri: 'kb://articles/KB-1003' });
    const readContent = read.contents[0] as { text: string; uri: string };
    expect(readContent.uri).toBe('kb://articles/KB-1003');
    expect(readContent.text).toMatch(/^# Single sign-on with SAML and SCIM provisioning\n/);
    await expect(client.readResource({ uri: 'kb://articles/KB-0000' })).rejects.toThrow(/No article at kb:\/\/articles\/KB-0000/);
  });

  it('writes only JSON-RPC to stdout, exits 0 on SIGTERM and when stdin closes', async () => {
    const run = (): { child: ChildProcess; stdoutLines: string[]; stderrLines: string[] } => {
      const child = spawn(nodeBin, [serverFile('knowledge-base')], { stdio: ['pipe', 'pipe', 'pipe'] });
      children.push(child);
      const stdoutLines: string[] = [];
      const stderrLines: string[] = [];
      createInterface({ input: child.stdout! }).on('line', (l) => stdoutLines.push(l));
      createInterface({ input: child.stderr! }).on('line', (l) => stderrLines.push(l));
      return { child, stdoutLines, stderrLines };
    };
    const send = (child: ChildProcess, msg: object): void => {
      child.stdin!.write(`${JSON.stringify(msg)}\n`);
    };
    const handshake = (child: ChildProcess): void => {
      send(child, { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
      send(child, { jsonrpc: '2.0', method: 'notifications/initialized' });
      send(child, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'getArticle', arguments: { id: 'KB-1002' } } });
    };
    const until = async (check: () => boolean): Promise<void> => {
      for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 25));
    };

    const a = run();
    handshake(a.child);
    await until(() => a.stdoutLines.length >= 2);
    const messages = a.stdoutLines.map((l) => JSON.parse(l) as { jsonrpc: string; id: number; result: CallToolResult });
    expect(messages.map((m) => [m.jsonrpc, m.id])).toEqual([['2.0', 1], ['2.0', 2]]);
    expect(json(messages[1]!.result)['article']['title']).toBe('Opportunity stages and exit criteria');
    const exit = await terminate(a.child);
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.ms).toBeLessThan(2000);
    expect(a.stdoutLines).toHaveLength(2);
    expect(a.stderrLines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['ready', 'shutting down']);

    const b = run();
    handshake(b.child);
    await until(() => b.stdoutLines.length >= 2);
    const exited = new Promise<number | null>((resolve) => b.child.once('exit', resolve));
    b.child.stdin!.end();
    expect(await exited).toBe(0);
  });
});
