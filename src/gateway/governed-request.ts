/**
 * The governed path's steps in the proxy (see governance/governor.ts for the
 * decisions): admit a request before anything of it is read or forwarded, answer
 * an unknown route or a server not available now only to authenticated callers,
 * and decide every message of a POST — forwarding the allowed ones, answering the
 * refused ones itself (a partly refused batch keeps its allowed calls).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { JSON_HEADERS, sendError } from './error-response.ts';
import { forward } from './forward.ts';
import type { Governance } from './governance/governance.ts';
import type { GovernedExchange } from './governance/exchange.ts';
import type { Refusal } from './governance/governor.ts';
import { GatewayErrorCode, singleId, type JsonRpcId } from './json-rpc.ts';
import type { ProxiedRequest } from './proxied-request.ts';
import type { Route } from './route.ts';
import type { SessionLookup } from './session-ids.ts';

/** Answers a governance refusal as a JSON-RPC error with its status and headers. */
export function sendRefusal(res: ServerResponse, refusal: Refusal, id: JsonRpcId): void {
  sendError(res, refusal.status, refusal.code, refusal.message, id, refusal.headers);
}

/**
 * Admits `r` (who calls, may it use this server, is `session` — what its
 * `Mcp-Session-Id` opened — its own and still served, rate limits, the audit able
 * to record), then reads its body (POST) or sends it on. Never rejects.
 */
export async function admitGoverned(r: ProxiedRequest, governance: Governance, session: SessionLookup | undefined, readBody: (r: ProxiedRequest) => void): Promise<void> {
  const { req, res, route } = r;
  let admission;
  try {
    admission = await governance.governor.admit({ route, httpMethod: req.method!, headers: req.headers, query: r.query, remoteAddress: req.socket.remoteAddress, session });
  } catch (err) {
    r.parts.logger.error({ err, server: route.name }, 'governance failed to admit a request');
    sendError(res, 500, -32603, `the gateway failed to process the request for server "${route.name}"`, null);
    return;
  }
  if (!admission.ok) {
    req.resume();
    sendRefusal(res, admission.refusal, null);
    return;
  }
  const exchange = admission.exchange;
  r.exchange = exchange;
  r.session = admission.session;
  if (req.method === 'POST') {
    readBody(r);
    return;
  }
  // A GET stream may replay earlier answers (Last-Event-ID): they pass the same filter.
  if (exchange.transformsStream) r.rewrite = { transform: (m) => exchange.transform(m), answers: [] };
  r.proceed();
}

/**
 * Decides the messages of an admitted POST and carries on: refused as a whole,
 * answered by the gateway alone (nothing allowed to forward), or forwarded —
 * the allowed messages only, with the refused ones' answers added to the reply.
 */
export async function decideGoverned(r: ProxiedRequest, exchange: GovernedExchange): Promise<void> {
  const { req, res, route } = r;
  const messages = r.messages!;
  let verdict;
  try {
    verdict = await exchange.decide(messages, r.batch, req.headers);
  } catch (err) {
    r.parts.logger.error({ err, server: route.name }, 'governance failed to decide a request');
    exchange.complete(500);
    sendError(res, 500, -32603, `the gateway failed to process the request for server "${route.name}"`, singleId(messages));
    return;
  }
  if (verdict.kind === 'refuse') {
    sendRefusal(res, verdict.refusal, singleId(messages));
    return;
  }
  if (verdict.forward.length === 0) {
    res.once('close', () => exchange.complete(res.statusCode));
    if (verdict.answers.length === 0) {
      res.writeHead(202);
      res.end();
      return;
    }
    res.writeHead(200, JSON_HEADERS);
    res.end(JSON.stringify(r.batch ? verdict.answers : verdict.answers[0]));
    return;
  }
  if (verdict.forward.length !== messages.length) {
    r.messages = verdict.forward;
    r.body = Buffer.from(JSON.stringify(r.batch ? verdict.forward : verdict.forward[0]));
  }
  if (verdict.filterResponses || verdict.answers.length > 0) r.rewrite = { transform: (m) => exchange.transform(m), answers: verdict.answers };
  if (r.parts.steps.passThrough) forward(r);
  else void r.parts.steps.run(r);
}

/**
 * An unknown route (`route` undefined) or a server not available now, on a
 * governed gateway: only an authenticated caller learns which (404, or 503 with
 * the reason); anyone else gets the authentication refusal.
 */
export async function answerGovernedMiss(governance: Governance, req: IncomingMessage, res: ServerResponse, pathname: string, query: string, route: Route | undefined): Promise<void> {
  req.resume();
  try {
    const who = await governance.governor.identify(req.headers, query, req.socket.remoteAddress);
    if (!who.ok) sendRefusal(res, who.refusal, null);
    else if (route === undefined) sendError(res, 404, GatewayErrorCode.RouteNotFound, `no MCP server routed at ${pathname}`, null);
    else sendError(res, 503, GatewayErrorCode.ServerUnavailable, route.reason ?? `server "${route.name}" is not routable`, null);
  } catch (err) {
    sendError(res, 500, -32603, 'the gateway failed to process the request', null);
    void err;
  }
}
