/**
 * Which reads a person's role allows, restated from the registry's rules
 * (`src/registry/auth/authorize.ts`) so a page asks only for what it may read and
 * says why instead of showing a refusal. The registry still decides: asked
 * anyway, it refuses with 403.
 */
import type { MCPServer } from '../manifest/types.ts';

/** Who is asking: a session's role and team (`SessionInfo` has both). */
export interface Person {
  role: string;
  team?: string | undefined;
}
/** Call records and their statistics: admins, approvers, readers (mayReadCallAudit). */
export function mayReadCalls(session: Person): boolean {
  return session.role === 'admin' || session.role === 'approver' || session.role === 'reader';
}

/** A server's output: admins, approvers, and publishers of its owner team (mayReadServerLogs). */
export function mayReadLogs(session: Person, server: MCPServer): boolean {
  return session.role === 'admin' || session.role === 'approver' || (session.role === 'publisher' && session.team !== undefined && session.team === server.spec.owner.team);
}

/**
 * Approving or refusing a lifecycle stage or a held tool call: approvers and
 * admins (mayDecideStage, mayDecideApprovals). Never a publisher, not even for
 * its own team's request: its `spec.lifecycle` is a request someone else grants.
 */
export function mayDecide(session: Person): boolean {
  return session.role === 'admin' || session.role === 'approver';
}
