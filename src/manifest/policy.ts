/**
 * The authorization rules of the governed gateway, written once: may this caller
 * send this MCP request to this server, and if so, now or after a human approval?
 * Every decision carries a sentence a 403 or a JSON-RPC error can show as it is.
 *
 * The policy model:
 * - A caller holds what its AccessPolicies give (subjects name its agent or a group;
 *   {@link grantsFor}) plus the server's `access.anonymousScopes`. An anonymous caller
 *   holds only those; a server without them refuses anonymous callers (401).
 * - Per needed scope, deny beats requireApproval, which beats allow (the policy
 *   schema's order), across all the caller's policies: one denied scope refuses, one
 *   scope not held refuses and names it, one held only through requireApproval — or a
 *   tool the manifest marks `approval: required` — waits for a human approval, which an
 *   anonymous caller can never get.
 * - `tools/call` needs all of the tool's scopes; a tool the manifest does not list
 *   follows `access.undeclaredTools` (`deny`, or the server's `defaultScopes`).
 *   `resources/*` need `access.resourceScopes` and `prompts/*` `access.promptScopes`:
 *   absent, they are refused; approvals are given per tool call, so there a scope
 *   held only through requireApproval refuses.
 * - Session methods (`initialize`, `ping`, `tools/list`, `notifications/*`,
 *   `completion/complete`, `logging/setLevel`) pass when the caller may use the server
 *   at all ({@link mayUseServer}); a server it may not use answers 403 and is left out
 *   of its discovery. `tools/list` shows exactly the tools `tools/call` would not
 *   refuse ({@link visibleTools}), so "may see" and "may call" cannot disagree.
 * - Any other method is refused. (Responses to the server's own requests — sampling,
 *   roots, elicitation — carry no method and are the session's, not decided here.)
 *
 * Pure: the gateway resolves the caller and the policies, then asks here.
 */
import type { Grants } from './policy-grants.ts';
import { callerLabel, codeList, decideScopes, policyList, type DecideOptions, type Decision, type DecisionCode, type GovernedServer } from './policy-scopes.ts';

export type { Decision, DecideOptions, DecisionCode, GovernedServer, Verdict } from './policy-scopes.ts';
export { grantsFor, scopeMatches, type Caller, type Grants, type RateLimitGrant, type ScopeGrant } from './policy-grants.ts';
export { argumentsHash, payloadsToRecord, redactPayload, REDACTED, type RecordedPayloads, type RedactOptions } from './policy-payload.ts';

/** Methods open to every caller that may use the server at all. */
const SESSION_METHODS: ReadonlySet<string> = new Set(['initialize', 'ping', 'tools/list', 'completion/complete', 'logging/setLevel']);

/**
 * May the caller call `tool`? A tool the manifest lists needs its scopes; one it
 * does not list follows `access.undeclaredTools`. Then, in this order: a denied
 * scope refuses (naming scope and policy), scopes not held refuse (naming them),
 * `approval: required` in the manifest or a scope held only through requireApproval
 * asks for an approval (refused to anonymous callers), else allow.
 * @example decideToolCall(grantsFor(policies, { agent: 'sales-copilot', groups: [] }), quote, 'createQuote')
 * // { verdict: 'deny', code: 'missing-scope', scopes: ['quote.write'], missing: ['quote.write'],
 * //   reason: 'tool `createQuote` on MCPServer `quote` needs scope `quote.write`, which agent `sales-copilot` does not hold; ask for an AccessPolicy that allows `quote.write`' }
 */
export function decideToolCall(grants: Grants, server: GovernedServer, tool: string, opts: DecideOptions = {}): Decision {
  const subject = `tool \`${tool}\` on MCPServer \`${server.metadata.name}\``;
  if (opts.anonymous && !admitsAnonymous(server)) return anonymousRefused(server);
  const declared = server.spec.tools?.find((t) => t.name === tool);
  if (declared) return decideScopes(grants, server, subject, declared.scopes, { ...opts, approvalByManifest: declared.approval === 'required' });
  const refusal = undeclaredRefusal(server, tool);
  if (refusal) return refusal;
  return decideScopes(grants, server, subject, server.spec.defaultScopes ?? [], opts);
}

/**
 * Any MCP request from a client, by method (`name`: the tool of a `tools/call`,
 * the URI or prompt name of others, used in reasons only). See the module comment
 * for the model.
 * @example decideMethod(grants, everything, 'resources/read', 'demo://resource/1').verdict // 'allow' when resourceScopes are held
 * @example decideMethod(grants, quote, 'sampling/createMessage').code // 'unknown-method'
 */
export function decideMethod(grants: Grants, server: GovernedServer, method: string, name?: string, opts: DecideOptions = {}): Decision {
  if (method === 'tools/call') {
    if (name !== undefined) return decideToolCall(grants, server, name, opts);
    return { verdict: 'deny', code: 'undeclared-tool', reason: 'tools/call names no tool; there is nothing to authorize', scopes: [] };
  }
  if (SESSION_METHODS.has(method) || method.startsWith('notifications/')) {
    const access = mayUseServer(grants, server, opts);
    return { verdict: access.allowed ? 'allow' : 'deny', code: access.code, reason: access.reason, scopes: [] };
  }
  const access = server.spec.access;
  if (method.startsWith('resources/')) return decideExposed(grants, server, method, 'resourceScopes', access?.resourceScopes, opts);
  if (method.startsWith('prompts/')) return decideExposed(grants, server, method, 'promptScopes', access?.promptScopes, opts);
  return {
    verdict: 'deny',
    code: 'unknown-method',
    reason: `method \`${method}\` is outside what the gateway forwards (tools, resources, prompts, initialize, ping, notifications, completion/complete, logging/setLevel), so it is refused`,
    scopes: [],
  };
}

/** {@link mayUseServer}'s answer. */
export interface ServerAccess {
  allowed: boolean;
  /** `allowed`, or why not: `anonymous-refused` (401) or `no-access` (403). */
  code: DecisionCode;
  reason: string;
}

/**
 * May the caller use the server at all (connect, list, see it in discovery)? Yes
 * when a declared tool would not be refused, when it may use resources or prompts,
 * or when undeclared tools follow `defaultScopes` and it holds them.
 * @example mayUseServer(grantsFor(policies, { agent: 'sales-copilot', groups: [] }), quote)
 * // { allowed: true, code: 'allowed', reason: 'agent `sales-copilot` may call tool `searchProducts` on MCPServer `quote`' }
 */
export function mayUseServer(grants: Grants, server: GovernedServer, opts: DecideOptions = {}): ServerAccess {
  const name = server.metadata.name;
  if (opts.anonymous && !admitsAnonymous(server)) return { allowed: false, code: 'anonymous-refused', reason: anonymousRefused(server).reason };
  const who = callerLabel(grants, opts);
  for (const tool of server.spec.tools ?? []) {
    if (decideToolCall(grants, server, tool.name, opts).verdict !== 'deny') {
      return { allowed: true, code: 'allowed', reason: `${who} may call tool \`${tool.name}\` on MCPServer \`${name}\`` };
    }
  }
  const undeclared = undeclaredScopes(server);
  if (undeclared && decideScopes(grants, server, '', undeclared, opts).verdict !== 'deny') {
    return { allowed: true, code: 'allowed', reason: `${who} may call the tools MCPServer \`${name}\` does not list (it holds its defaultScopes)` };
  }
  for (const method of ['resources/list', 'prompts/list']) {
    if (decideMethod(grants, server, method, undefined, opts).verdict === 'allow') {
      return { allowed: true, code: 'allowed', reason: `${who} may use ${method.split('/')[0]} on MCPServer \`${name}\`` };
    }
  }
  return { allowed: false, code: 'no-access', reason: noAccessReason(grants, server, opts) };
}

/**
 * The tools a `tools/list` answer may show: those a `tools/call` would allow or
 * hold for approval, in the order given.
 * @example visibleTools(grantsFor(policies, { agent: 'sales-copilot', groups: [] }), quote, ['searchProducts', 'createQuote', 'getQuote'])
 * // ['searchProducts', 'getQuote']
 */
export function visibleTools(grants: Grants, server: GovernedServer, toolNames: readonly string[], opts: DecideOptions = {}): string[] {
  return toolNames.filter((tool) => decideToolCall(grants, server, tool, opts).verdict !== 'deny');
}

/** The scopes an undeclared tool needs, or undefined when undeclared tools are refused. */
function undeclaredScopes(server: GovernedServer): string[] | undefined {
  const scopes = server.spec.defaultScopes ?? [];
  // An empty list would open every unlisted tool to every caller; validation refuses it too.
  return server.spec.access?.undeclaredTools === 'defaultScopes' && scopes.length > 0 ? scopes : undefined;
}

function undeclaredRefusal(server: GovernedServer, tool: string): Decision | undefined {
  if (undeclaredScopes(server)) return undefined;
  const name = server.metadata.name;
  const rule =
    server.spec.access?.undeclaredTools === 'defaultScopes'
      ? 'spec.defaultScopes is empty'
      : `undeclared tools are refused (spec.access.undeclaredTools: deny${server.spec.defaultScopes?.length ? '; spec.defaultScopes applies only with undeclaredTools: defaultScopes' : ''})`;
  return {
    verdict: 'deny',
    code: 'undeclared-tool',
    reason: `tool \`${tool}\` is not declared in MCPServer \`${name}\`'s manifest and ${rule}; its owners can list it under spec.tools with the scopes it needs`,
    scopes: [],
  };
}

/** resources/* and prompts/*: the server's scopes for them, without approvals. */
function decideExposed(
  grants: Grants,
  server: GovernedServer,
  method: string,
  field: 'resourceScopes' | 'promptScopes',
  scopes: string[] | undefined,
  opts: DecideOptions,
): Decision {
  const name = server.metadata.name;
  if (opts.anonymous && !admitsAnonymous(server)) return anonymousRefused(server);
  if (!scopes?.length) {
    return {
      verdict: 'deny',
      code: 'not-exposed',
      reason: `MCPServer \`${name}\` does not expose ${method.split('/')[0]} through the gateway (spec.access.${field} is not set)`,
      scopes: [],
    };
  }
  return decideScopes(grants, server, `\`${method}\` on MCPServer \`${name}\``, scopes, { ...opts, approvalUnavailable: true });
}

function admitsAnonymous(server: GovernedServer): boolean {
  return (server.spec.access?.anonymousScopes?.length ?? 0) > 0;
}

function anonymousRefused(server: GovernedServer): Decision {
  return {
    verdict: 'deny',
    code: 'anonymous-refused',
    reason: `MCPServer \`${server.metadata.name}\` admits no anonymous callers (spec.access.anonymousScopes is not set); authenticate with an agent key or token`,
    scopes: [],
  };
}

function noAccessReason(grants: Grants, server: GovernedServer, opts: DecideOptions): string {
  const access = server.spec.access;
  const needed = [
    ...new Set([
      ...(server.spec.tools ?? []).flatMap((t) => t.scopes),
      ...(undeclaredScopes(server) ?? []),
      ...(access?.resourceScopes ?? []),
      ...(access?.promptScopes ?? []),
    ]),
  ];
  const name = server.metadata.name;
  if (needed.length === 0) return `MCPServer \`${name}\` declares no tool, resource or prompt a caller could be granted`;
  if (opts.anonymous) {
    return `an anonymous caller may use nothing on MCPServer \`${name}\`: its anonymousScopes open no tool, resource or prompt without approval; authenticate as an agent`;
  }
  const who = callerLabel(grants, opts);
  const one = needed.length === 1;
  const held =
    grants.policies.length === 0
      ? `no AccessPolicy names ${who}`
      : `${policyList(grants.policies)} ${grants.policies.length === 1 ? (one ? 'does not grant it' : 'grants none of them') : one ? 'do not grant it' : 'grant none of them'}`;
  return `${who} may use nothing on MCPServer \`${name}\`: it would need ${one ? '' : 'one of '}${codeList(needed)}, and ${held}; ask for an AccessPolicy that allows ${one ? codeList(needed) : 'one of them'}`;
}
