/**
 * Responses through the response steps, used only when a step transforms
 * responses (without one, relay.ts streams bodies untouched). A JSON body is one
 * message or batch, so it is buffered, transformed and re-serialised with a new
 * Content-Length. An SSE stream is never buffered: it is re-framed event by
 * event as events complete, each `message` event's JSON-RPC message transformed
 * in arrival order; other events and non-JSON data pass through untouched.
 */
import { parseJsonRpcBody, type JsonRpcId, type JsonRpcMessage } from './json-rpc.ts';
import type { GatewayContext } from './pipeline.ts';
import type { ProxiedRequest } from './proxied-request.ts';
import { formatSseEvent, SseParser } from './sse.ts';
import type { UpstreamBody } from './upstream.ts';

/**
 * Buffers `upRes`'s JSON body, passes each message through `r`'s response steps
 * (with `ctx`), and answers `r` with `status`, `headers` (its Content-Length
 * replaced) and the result. A body that is not JSON-RPC is sent as it came. A
 * failing step goes to `broken`.
 */
export function transformJson(r: ProxiedRequest, ctx: GatewayContext, upRes: UpstreamBody, status: number, headers: string[], broken: (err: unknown) => void): void {
  const { res, parts } = r;
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
          for (const m of parsed.messages) msgs.push(await parts.steps.transformResponse(ctx, m));
          out = Buffer.from(JSON.stringify(parsed.batch ? msgs : msgs[0]));
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
 * Answers `r` with `status` and `headers` at once, then re-frames `upRes`'s event
 * stream onto it, each JSON-RPC `message` event through `r`'s response steps
 * (with `ctx`), one at a time in arrival order. Ids of responses written go into
 * `answered` (so a later break reports only the requests still open). A failing
 * step goes to `broken`.
 */
export function transformSse(
  r: ProxiedRequest,
  ctx: GatewayContext,
  upRes: UpstreamBody,
  status: number,
  headers: string[],
  answered: Set<JsonRpcId>,
  broken: (err: unknown) => void,
): void {
  const { res, parts } = r;
  res.writeHead(status, headers);
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
            m = await parts.steps.transformResponse(ctx, m);
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
