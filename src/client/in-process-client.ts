/**
 * InProcessRegistryClient: the {@link RegistryClient} for parts that run in the
 * registry's own process (`berth up`'s reconciler and gateway, tests). It sends
 * every call to the registry API's request handler directly — the same handler
 * the network reaches, without a socket — so it behaves exactly like
 * {@link HttpRegistryClient}: the same authorization, validation, route claims,
 * audit, and the same errors.
 *
 * @example
 * const client = new InProcessRegistryClient(registry.handlerFor(controllerPrincipal));
 * await client.updateStatus('MCPServer', 'weather', status);
 */
import { HttpRegistryClient } from './http-client.ts';

/** The registry API as a function: a web-standard request in, its response out. */
export type RegistryHandler = (request: Request) => Promise<Response>;

/** Origin the in-process requests are addressed to; never resolved or dialled. */
const IN_PROCESS_ORIGIN = 'http://registry.in-process';

/** A {@link RegistryClient} over a {@link RegistryHandler} in this process. See the module comment. */
export class InProcessRegistryClient extends HttpRegistryClient {
  constructor(handler: RegistryHandler) {
    super({ baseUrl: IN_PROCESS_ORIGIN, fetch: (input, init) => inProcessFetch(handler, new Request(input, init), init?.signal ?? undefined) });
  }
}

/**
 * Sends `request` to `handler`, and ends the response body on both sides when
 * `signal` aborts, as closing a socket would. A request's own signal cannot be
 * relied on for that in process: Node follows it through weak references, so once
 * the request object is collected the handler never hears of the abort, and a
 * watch stream would wait forever.
 */
async function inProcessFetch(handler: RegistryHandler, request: Request, signal: AbortSignal | undefined): Promise<Response> {
  const res = await handler(request);
  if (signal === undefined || res.body === null) return res;
  const reader = res.body.getReader();
  const end = (): void => void reader.cancel(signal.reason).catch(() => undefined);
  if (signal.aborted) end();
  else signal.addEventListener('abort', end, { once: true });
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (!done) return controller.enqueue(value);
      signal.removeEventListener('abort', end);
      controller.close();
    },
    cancel(reason) {
      signal.removeEventListener('abort', end);
      return reader.cancel(reason);
    },
  });
  return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
}
