/**
 * Responses rewritten on their way back — through the governance (tools/list
 * filtered, the gateway's own answers to refused messages of a batch added) and
 * the response steps — used only when something rewrites them (otherwise relay.ts
 * streams bodies untouched). A JSON body is one
 * message or batch, so it is buffered, transformed and re-serialised with a new
 * Content-Length. An SSE stream is never buffered: it is re-framed event by
 * event as events complete, each `message` event's JSON-RPC message transformed
 * in arrival order; other events and non-JSON data pass through untouched.
 */
import { parseJsonRpcBody, type JsonRpcId, type JsonRpcMessage } from './json-rpc.ts';
import type { ProxiedRequest } from './proxied-request.ts';
import { formatSseEvent, SseParser } from './sse.ts';
import type { UpstreamBody } from './upstream.ts';

/** How a response is rewritten: each message transformed, and the gateway's own answers added. */
export interface Rewrite {
  transform(m: JsonRpcMessage): JsonRpcMessage | Promise<JsonRpcMessage>;
  /** Responses the gateway gives itself for messages it did not forward (a partly refused batch). */
  answers: readonly JsonRpcMessage[];
}

/**
 * Buffers `upRes`'s JSON body, passes each message through `rewrite`, adds its
 * answers, and answers `r` with `status`, `headers` (its Content-Length replaced)
 * and the result. A body that is not JSON-RPC is sent as it came. A failing
 * rewrite goes to `broken`.
 */
export function transformJson(r: ProxiedRequest, rewrite: Rewrite, upRes: UpstreamBody, status: number, headers: string[], broken: (err: unknown) => void): void {
  const { res } = r;
  const chunks: Buffer[] = [];
  upRes.on('data', (c: Buffer) => chunks.push(c));
  upRes.on('end', () => {
    void (async () => {
      const raw = Buffer.concat(chunks);
      const parsed = parseJsonRpcBody(raw);
      let out = raw;
      if (parsed) {
        try {
          const msgs: JsonRpcMessage[] = [];
          for (const m of parsed.messages) msgs.push(await rewrite.transform(m));
          msgs.push(...rewrite.answers);
          out = Buffer.from(JSON.stringify(parsed.batch || msgs.length > 1 ? msgs : msgs[0]));
        } catch (err) {
          broken(err);
          return;
        }
      }
      const h: string[] = [];
      for (let i = 0; i < headers.length; i += 2) if (headers[i]!.toLowerCase() !== 'content-length') h.push(headers[i]!, headers[i + 1]!);
      h.push('content-length', String(out.length));
      if (!res.destroyed) {
        res.writeHead(status, h);
        res.end(out);
      }
    })();
  });
}

/**
 * Answers `r` with `status` and `headers` at once (and the rewrite's own answers
 * as the first events), then re-frames `upRes`'s event stream onto it, each
 * JSON-RPC `message` event through `rewrite`, one at a time in arrival order. Ids of responses written go into
 * `answered` (so a later break reports only the requests still open). A failing
 * rewrite goes to `broken`.
 */
export function transformSse(
  r: ProxiedRequest,
  rewrite: Rewrite,
  upRes: UpstreamBody,
  status: number,
  headers: string[],
  answered: Set<JsonRpcId>,
  broken: (err: unknown) => void,
): void {
  const { res } = r;
  res.writeHead(status, headers);
  for (const a of rewrite.answers) res.write(`event: message\ndata: ${JSON.stringify(a)}\n\n`);
  res.flushHeaders();
  const parser = new SseParser();
  // One promise chain keeps the events in order while a step awaits.
  let chain = Promise.resolve();
  upRes.on('data', (chunk: Buffer) => {
    const events = parser.push(chunk);
    if (events.length === 0) return;
    chain = chain.then(async () => {
      for (const ev of events) {
        if (ev.data && (ev.event === undefined || ev.event === 'message')) {
          let m: JsonRpcMessage | undefined;
          try {
            m = JSON.parse(ev.data) as JsonRpcMessage;
          } catch {
            m = undefined; // not JSON-RPC: pass the event through untouched
          }
          if (m && typeof m === 'object') {
            m = await rewrite.transform(m);
            if (m.id !== undefined && m.method === undefined) answered.add(m.id);
            ev.data = JSON.stringify(m);
          }
        }
        if (!res.destroyed) res.write(formatSseEvent(ev));
      }
    });
    chain.catch(broken);
  });
  upRes.on('end', () => {
    chain.then(() => res.end(), broken);
  });
}
