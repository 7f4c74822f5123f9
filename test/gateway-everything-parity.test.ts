/**
 * Parity: everything `@modelcontextprotocol/server-everything` does behaves the
 * same through the gateway as direct. One SDK-client scenario runs twice against
 * the same real server-everything process (streamable HTTP transport, started from
 * node_modules), once direct and once via the gateway; the transcripts must be
 * equal once values that legitimately differ per session (uuids, clock times) are
 * normalised.
 *
 * Covered: initialize (server info, capabilities, instructions), tools/list, tool
 * calls (echo, get-sum, structured content, images, resource links/references),
 * progress notifications, logging notifications (setLevel + simulated logging),
 * server-to-client requests (sampling, elicitation, roots/list over the GET
 * stream), resources (list, read, templates, template read), prompts (list, get),
 * and session resumption (disconnect mid-call, reconnect with Last-Event-ID,
 * receive the replayed events and the result).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CallToolResultSchema,
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  type LoggingMessageNotification,
} from '@modelcontextprotocol/sdk/types.js';
import { RouteTable } from '../src/gateway/route-table.ts';
import { startGateway, type RunningGateway } from '../src/gateway/gateway.ts';
import { server, silentLogger, spawnServer, type ChildServer } from './gateway-helpers.ts';
import { freePort } from './support/free-port.ts';
import { LOOPBACK_REMOTES } from './support/remote-allow.ts';

const EVERYTHING = 'node_modules/@modelcontextprotocol/server-everything/dist/index.js';

function until<T>(what: string, ms: number, probe: () => T | undefined): Promise<T> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + ms;
    const tick = () => {
      const v = probe();
      if (v !== undefined) return resolve(v);
      if (Date.now() > deadline) return reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
      setTimeout(tick, 10);
    };
    tick();
  });
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;
const CLOCK = /\d{1,2}:\d{2}:\d{2}(\s?[AP]M)?/g;

/** Replaces what legitimately differs between two sessions: uuids (session ids) and clock times. */
function normalise(v: unknown): unknown {
  if (typeof v === 'string') return v.replace(UUID, '<uuid>').replace(CLOCK, '<time>');
  if (Array.isArray(v)) return v.map(normalise);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (k === 'blob' && typeof x === 'string') {
        const text = Buffer.from(x, 'base64').toString('utf8');
        // Text blobs carry a creation time; binary ones are compared as they are.
        out[k] = /^Resource /.test(text) ? `base64(${normalise(text) as string})` : x;
      } else out[k] = normalise(x);
    }
    return out;
  }
  return v;
}

/** The scenario: everything an SDK client can do with server-everything, recorded. */
async function scenario(url: string): Promise<Record<string, unknown>> {
  const t: Record<string, unknown> = {};
  const logs: LoggingMessageNotification['params'][] = [];
  const serverRequests: string[] = [];
  const client = new Client(
    { name: 'parity', version: '1.0.0' },
    { capabilities: { sampling: {}, elicitation: { form: {} }, roots: { listChanged: true } } },
  );
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logs.push(n.params));
  client.setRequestHandler(CreateMessageRequestSchema, async (req) => {
    serverRequests.push(`sampling/createMessage: ${JSON.stringify(req.params.messages)}`);
    return { role: 'assistant', content: { type: 'text', text: 'sampled answer' }, model: 'parity-model', stopReason: 'endTurn' };
  });
  client.setRequestHandler(ElicitRequestSchema, async (req) => {
    serverRequests.push(`elicitation/create: ${req.params.message}`);
    return { action: 'accept', content: { name: 'Ada Lovelace', check: true, integer: 7 } };
  });
  client.setRequestHandler(ListRootsRequestSchema, async () => {
    serverRequests.push('roots/list');
    return { roots: [{ uri: 'file:///tmp/berth-parity', name: 'parity root' }] };
  });
  const transport = new StreamableHTTPClientTransport(new URL(url));
  await client.connect(transport);
  try {
    t.serverVersion = client.getServerVersion();
    t.capabilities = client.getServerCapabilities();
    t.instructions = client.getInstructions();

    // roots/list arrives over the GET stream ~350 ms after initialisation, then a log says so.
    await until('roots/list from the server', 5_000, () => (serverRequests.includes('roots/list') ? true : undefined));
    await until('the roots log message', 5_000, () => (logs.some((l) => String(l.data).startsWith('Roots updated')) ? true : undefined));
    t.rootsLog = logs.splice(0).map((l) => normalise(l));

    const tools = await client.listTools();
    t.tools = tools.tools.sort((a, b) => a.name.localeCompare(b.name));
    t.echo = await client.callTool({ name: 'echo', arguments: { message: 'hello through berth ✓' } });
    t.sum = await client.callTool({ name: 'get-sum', arguments: { a: 2, b: 40 } });
    t.structured = await client.callTool({ name: 'get-structured-content', arguments: { location: 'New York' } });
    t.image = await client.callTool({ name: 'get-tiny-image', arguments: {} });
    t.annotated = await client.callTool({ name: 'get-annotated-message', arguments: { messageType: 'error', includeImage: false } });
    t.links = await client.callTool({ name: 'get-resource-links', arguments: { count: 2 } });
    t.reference = await client.callTool({ name: 'get-resource-reference', arguments: { resourceType: 'Text', resourceId: 1 } });
    t.roots = await client.callTool({ name: 'get-roots-list', arguments: {} });

    const progress: Array<[number, number | undefined]> = [];
    t.longRunning = await client.callTool(
      { name: 'trigger-long-running-operation', arguments: { duration: 0.6, steps: 3 } },
      CallToolResultSchema,
      { onprogress: (p) => void progress.push([p.progress, p.total]) },
    );
    t.progress = progress;

    await client.setLoggingLevel('debug');
    t.loggingOn = await client.callTool({ name: 'toggle-simulated-logging', arguments: {} });
    await until('a simulated log message', 5_000, () => (logs.length > 0 ? true : undefined));
    t.loggingOff = await client.callTool({ name: 'toggle-simulated-logging', arguments: {} });
    // The level of a simulated message is random (and server-everything spells one
    // of them "Alert level-message"); the rest of its shape is not.
    t.simulatedLog = logs
      .slice(0, 1)
      .map((l) => ({ ...l, level: '<random>', data: String(l.data).replace(/^\w+[- ]level[- ]message/i, '<Level>-level message') }));

    t.sampling = await client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'say hi', maxTokens: 20 } });
    t.elicitation = await client.callTool({ name: 'trigger-elicitation-request', arguments: {} });
    t.serverRequests = [...serverRequests];

    t.resources = await client.listResources();
    const first = (t.resources as { resources: Array<{ uri: string }> }).resources[0]!;
    t.firstResource = await client.readResource({ uri: first.uri });
    t.templates = await client.listResourceTemplates();
    t.templateText = await client.readResource({ uri: 'demo://resource/dynamic/text/3' });
    t.templateBlob = await client.readResource({ uri: 'demo://resource/dynamic/blob/4' });
    t.prompts = await client.listPrompts();
    t.simplePrompt = await client.getPrompt({ name: 'simple-prompt' });
    t.argsPrompt = await client.getPrompt({ name: 'args-prompt', arguments: { city: 'Lisbon', state: 'PT' } });
    t.resourcePrompt = await client.getPrompt({ name: 'resource-prompt', arguments: { resourceType: 'Text', resourceId: '2' } });
    t.completion = await client.complete({ ref: { type: 'ref/prompt', name: 'completable-prompt' }, argument: { name: 'department', value: 'E' } });
  } finally {
    await transport.terminateSession().catch(() => undefined);
    await client.close();
  }
  t.resumption = await resumption(url);
  return normalise(t) as Record<string, unknown>;
}

/**
 * Session resumption: call a long-running tool, drop the connection after the first
 * progress notification, wait until the server has finished, then reconnect to the
 * same session with the last event id: the missed events and the result are replayed.
 */
async function resumption(url: string): Promise<Record<string, unknown>> {
  const args = { duration: 0.6, steps: 3 };
  const first = new Client({ name: 'resume-1', version: '1.0.0' });
  const t1 = new StreamableHTTPClientTransport(new URL(url));
  await first.connect(t1);
  const sessionId = t1.sessionId!;
  let token: string | undefined;
  const seenBeforeDrop: number[] = [];
  let dropped!: () => void;
  const droppedP = new Promise<void>((r) => (dropped = r));
  first
    .callTool({ name: 'trigger-long-running-operation', arguments: args }, CallToolResultSchema, {
      onresumptiontoken: (tok) => void (token = tok),
      onprogress: (p) => {
        seenBeforeDrop.push(p.progress);
        void t1.close().then(dropped); // the network "fails" right after the first progress event
      },
    })
    .catch(() => undefined);
  await droppedP;
  await new Promise((r) => setTimeout(r, 900)); // the server finishes meanwhile, recording events

  const second = new Client({ name: 'resume-2', version: '1.0.0' });
  const t2 = new StreamableHTTPClientTransport(new URL(url), { sessionId });
  await second.connect(t2); // known session: no new initialize
  // Record every message the resumed stream delivers (progress for the old request's
  // token is not routed to a handler by the SDK, so watch the transport itself).
  const replayed: unknown[] = [];
  const deliver = t2.onmessage!;
  t2.onmessage = (m) => {
    const msg = m as { method?: string; params?: { progress?: number }; result?: unknown };
    replayed.push(msg.method ? `${msg.method} ${msg.params?.progress ?? ''}`.trim() : 'result');
    deliver(m);
  };
  const result = await second.request(
    { method: 'tools/call', params: { name: 'trigger-long-running-operation', arguments: args } },
    CallToolResultSchema,
    { resumptionToken: token, timeout: 5_000 },
  );
  await t2.terminateSession().catch(() => undefined);
  await second.close();
  return { hadToken: token !== undefined, seenBeforeDrop, replayed, result };
}

describe('server-everything through the gateway behaves as direct', () => {
  let everything: ChildServer;
  let gateway: RunningGateway;

  beforeAll(async () => {
    const port = await freePort();
    everything = await spawnServer([EVERYTHING, 'streamableHttp'], {
      env: { PORT: String(port) },
      portPattern: /listening on port (\d+)/,
    });
    const table = new RouteTable();
    table.replaceAll([server('everything', { endpoint: everything.url })]);
    gateway = await startGateway({ routeTable: table, host: '127.0.0.1', port: 0, logger: silentLogger, closeGraceMs: 200, remoteAddresses: LOOPBACK_REMOTES });
  });
  afterAll(async () => {
    await gateway?.close();
    await everything?.kill();
  });

  it('runs the same SDK scenario direct and via the gateway with equal results', async () => {
    const direct = await scenario(everything.url);
    const via = await scenario(`${gateway.url}/mcp/everything`);
    // The scenario really exercised each feature (guards against two equally empty transcripts).
    expect((direct.tools as unknown[]).length).toBeGreaterThan(10);
    expect(direct.progress).toEqual([[1, 3], [2, 3], [3, 3]]);
    expect(direct.serverRequests).toEqual([
      'roots/list',
      'sampling/createMessage: [{"role":"user","content":{"type":"text","text":"Resource trigger-sampling-request context: say hi"}}]',
      'elicitation/create: Please provide inputs for the following fields:',
    ]);
    expect(JSON.stringify(direct.sampling)).toContain('sampled answer');
    expect(JSON.stringify(direct.elicitation)).toContain('Ada Lovelace');
    expect(direct.resumption).toMatchObject({
      hadToken: true,
      seenBeforeDrop: [1],
      replayed: ['notifications/progress 2', 'notifications/progress 3', 'result'],
    });
    expect(JSON.stringify((direct.resumption as { result: unknown }).result)).toContain('Long running operation completed');
    expect(via).toEqual(direct);
  }, 60_000);
});
