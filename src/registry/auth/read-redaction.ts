/**
 * Who reads a server's secrets-in-waiting (env values, secret-looking command
 * words, URL userinfo) and who reads them redacted (src/manifest/redact-secrets.ts).
 * Kept apart from authorize.ts so the read routes ask one small question.
 *
 * | role                         | env values, flagged args, URL userinfo |
 * |------------------------------|----------------------------------------|
 * | admin, controller (reconciler) | shown: it runs them                  |
 * | approver                     | shown: they review what will run       |
 * | publisher of the owning team | shown                                  |
 * | publisher of another team    | `<redacted>`                           |
 * | reader, agent, gateway       | `<redacted>` (so gateway discovery never has them) |
 *
 * A redacted MCPServer carries `metadata.specHashes`, the approval hashes of the
 * unredacted spec (approval-hash.ts), so its reader — the gateway's traffic gate
 * included — tells the same effective stage as the reconciler.
 */
import { redactServerSecrets } from '../../manifest/redact-secrets.ts';
import type { Resource } from '../../manifest/resource.ts';
import { codeHash, reviewHash } from '../../manifest/approval-hash.ts';
import type { MCPServerSpec } from '../../manifest/types.ts';
import type { Principal } from './authenticate.ts';

/** True when `who` may read `obj`'s env values and the rest unredacted. */
export function seesServerSecrets(who: Principal, obj: Resource): boolean {
  if (who.role === 'admin' || who.role === 'controller' || who.role === 'approver') return true;
  if (who.role !== 'publisher' || who.team === undefined) return false;
  const team = (obj.spec as { owner?: { team?: unknown } } | undefined)?.owner?.team;
  return team === who.team;
}

/** `obj` as `who` may read it: unchanged when {@link seesServerSecrets}, else redacted. */
export function readableBy<T extends Resource>(who: Principal, obj: T): T {
  if (seesServerSecrets(who, obj)) return obj;
  const redacted = redactServerSecrets(obj);
  if (obj.kind !== 'MCPServer') return redacted;
  const spec = obj.spec as MCPServerSpec;
  return { ...redacted, metadata: { ...redacted.metadata, specHashes: { review: reviewHash(spec), code: codeHash(spec) } } };
}
