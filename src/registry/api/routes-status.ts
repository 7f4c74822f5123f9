/**
 * `PUT|PATCH /apis/berth.dev/v1alpha1/<plural>/<name>/status`: the status write
 * path (the controller — the reconciler — and admins). PATCH is an RFC 7386 merge patch. The
 * result is validated like a stored object before it is written.
 */
import type { Context } from 'hono';
import { NotFoundError, RegistryError } from '../../client/errors.ts';
import { validateObject } from '../../manifest/index.ts';
import type { Kind } from '../../manifest/resource.ts';
import { enforce, mayControl } from '../auth/authorize.ts';
import { readObjectBody } from './body.ts';
import { PREFIX, writerOf, type ApiApp, type ApiDeps, type ApiEnv } from './context.ts';
import { kindFromPlural, requireName } from './names.ts';
import { writeStatus } from './writes.ts';

/** RFC 7386 JSON merge patch. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** Registers the status routes. */
export function statusRoutes(app: ApiApp, deps: ApiDeps): void {
  const { store } = deps;
  const writer = (c: Context<ApiEnv>) => writerOf(deps, c);
  const statusWrite = (merge: boolean) => async (c: Context<ApiEnv>): Promise<Response> => {
    const kind: Kind = kindFromPlural(c.req.param('plural') ?? '');
    const name = requireName(c.req.param('name') ?? '');
    enforce(mayControl(c.get('principal')));
    const body = await readObjectBody(c.req.raw);
    const current = await store.get(kind, name);
    if (!current) throw new NotFoundError(`${kind}/${name} does not exist`);
    const status = merge ? mergePatch(current.status ?? {}, body.status ?? {}) : body.status;
    // Only the status is this write's business: a spec stored under an older, looser
    // schema must not make every later status write fail.
    const problems = validateObject({ ...current, status }, { allowServerOwned: true }).filter((p) => p.path === 'status' || p.path.startsWith('status.'));
    if (problems.length > 0) {
      throw new RegistryError(422, {
        type: 'invalid-object',
        title: 'Invalid status',
        detail: `status of ${kind}/${name} is invalid: ${problems[0]!.path} ${problems[0]!.message}`,
        errors: problems.map((p) => ({ path: p.path, message: p.message, code: p.code })),
      });
    }
    const rv = (body.metadata as { resourceVersion?: unknown } | undefined)?.resourceVersion;
    const updated = await writeStatus(writer(c), kind, name, status, typeof rv === 'string' ? { expectedResourceVersion: rv } : {});
    return c.json(updated);
  };
  app.put(`${PREFIX}/:plural/:name/status`, statusWrite(false));
  app.patch(`${PREFIX}/:plural/:name/status`, statusWrite(true));
}
