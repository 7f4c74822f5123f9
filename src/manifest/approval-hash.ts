/**
 * The two fingerprints an approval is bound to, so "is this still the spec the
 * approver saw?" is a string comparison.
 *
 * - {@link reviewHash}: everything an approver reviews — the whole spec except
 *   `lifecycle` (the request itself: asking for production must not void the dev
 *   approval it builds on), `deprecation` (deprecating keeps the approval of the
 *   stage it deprecates) and `description` (catalogue prose). Owner, environment,
 *   risk, data classification, runtime/remote, routing, gateway limits, tools,
 *   scopes and access rules all change what runs, where it is reachable or who may
 *   call it, so each of them voids an approval bound to this hash.
 * - {@link codeHash}: what runs — the runtime's image, command, args, env, secret
 *   and header references, transport, port, MCP path and local/stdio settings, or
 *   the remote URL, transport and headers. Only capacity (cpu, memory, replicas) and
 *   health-check timing are left out. A change here always needs re-approval.
 */
import { specHash } from './spec-hash.ts';
import type { MCPServerSpec } from './types.ts';

/** SHA-256 hex of the spec without `lifecycle`, `deprecation` and `description`. */
export function reviewHash(spec: MCPServerSpec): string {
  const { lifecycle: _l, deprecation: _d, description: _desc, ...reviewed } = spec;
  return specHash(reviewed);
}

/** SHA-256 hex of what runs: the runtime without capacity and health timing, or the remote. */
export function codeHash(spec: MCPServerSpec): string {
  const runtime = spec.runtime;
  const code = runtime
    ? (() => {
        const { cpu: _c, memory: _m, replicas: _r, healthCheck: _h, ...rest } = runtime;
        return { runtime: rest };
      })()
    : { remote: spec.remote };
  return specHash(code);
}
