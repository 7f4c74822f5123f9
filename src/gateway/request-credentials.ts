/**
 * The step of `forward` that fetches a server's own credentials for one request
 * (upstream-credentials.ts has the rules): held → the headers; being read → the
 * request waits and is forwarded again once they are; unresolvable → 503 with the
 * reason, and the request never leaves without them.
 */
import { sendError } from './error-response.ts';
import { GatewayErrorCode, singleId } from './json-rpc.ts';
import type { ProxiedRequest } from './proxied-request.ts';

/**
 * The credentials to add to `r` (a flat name/value list), or undefined when `r`
 * is taken care of: answered 503, or handed to `again` once the values are read
 * (dropped if the client left meanwhile). Call only for a route with credentials.
 * @example
 * const credentials = requestCredentials(r, forward);
 * if (credentials === undefined) return;
 */
export function requestCredentials(r: ProxiedRequest, again: (r: ProxiedRequest) => void): readonly string[] | undefined {
  const found = r.parts.credentials.lookup(r.route);
  if (found.kind === 'ready') return found.headers;
  if (found.kind === 'pending') {
    void found.settled.then(() => {
      if (r.res.destroyed) r.exchange?.complete(r.res.statusCode);
      else again(r);
    });
    return undefined;
  }
  r.exchange?.complete(503);
  sendError(r.res, 503, GatewayErrorCode.ServerUnavailable, found.reason, singleId(r.messages));
  return undefined;
}
